import { auditCommand } from "./audit.js";
import { calibrateCommand } from "./calibrate.js";
import { generateCommand } from "./generate.js";
import { mergeCommand } from "./merge.js";
import { perturbCommand } from "./perturb.js";
import { recomputeCommand } from "./recompute.js";
import { reportCommand } from "./report.js";
import { reproduceCommand } from "./reproduce.js";
import { scoreCommand } from "./score.js";
import { serveCommand } from "./serve.js";
import type { CliCommand } from "./types.js";

/** Every CLI command, in the order `--help` lists them. */
export const commands: CliCommand[] = [
  perturbCommand,
  recomputeCommand,
  generateCommand,
  scoreCommand,
  serveCommand,
  auditCommand,
  mergeCommand,
  reportCommand,
  calibrateCommand,
  reproduceCommand,
];
