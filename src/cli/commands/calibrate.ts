import { join } from "node:path";
import {
  calibrateRun,
  calibrationTable,
  DEFAULT_CALIBRATE_OPTIONS,
  writeCalibration,
} from "../../calibrate/calibrate.js";
import { InputError } from "../../util/errors.js";
import { EXIT } from "../run.js";
import type { CliCommand } from "./types.js";

/** `litmus calibrate RUN_DIR`: AUROC of every per-problem score at separating leaked from unseen. */
export const calibrateCommand: CliCommand = {
  command: "calibrate <run>",
  describe: "AUROC of every per-problem score at separating a run's leaked from its unseen problems",
  builder: (y) =>
    y
      .positional("run", { type: "string", describe: "Run folder of an audit (summary.json, samples.jsonl)" })
      .option("split", {
        type: "string",
        describe:
          'Split file {"leaked": [ids], "unseen": [ids]} (default for litmus-mini runs: models/canary/split.json)',
      })
      .option("json", { type: "boolean", default: false, describe: "Print the calibration as JSON" })
      .option("out", {
        type: "string",
        describe: "Folder for calibration.json, calibration.md, auroc.png (default RUN/calibration)",
      })
      .option("resamples", {
        type: "number",
        default: DEFAULT_CALIBRATE_OPTIONS.resamples,
        describe: "Bootstrap resamples",
      })
      .option("bootstrap-seed", {
        alias: "seed",
        type: "number",
        default: DEFAULT_CALIBRATE_OPTIONS.seed,
        describe: "Seed of the bootstrap intervals, as audit's --bootstrap-seed (--seed is the same here)",
      })
      .option("level", {
        type: "number",
        default: DEFAULT_CALIBRATE_OPTIONS.level,
        describe: "Interval level",
      }),
  run: async (args) => {
    const run = String(args["run"]);
    const resamples = Number(args["resamples"]);
    const seed = Number(args["bootstrap-seed"]);
    const level = Number(args["level"]);
    if (!Number.isInteger(resamples) || resamples < 1)
      throw new InputError(`--resamples must be a positive integer`);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
      throw new InputError(`--bootstrap-seed must be an integer from 0 to 4294967295`);
    if (!(level >= 0.5 && level < 1)) throw new InputError(`--level must be in [0.5, 1)`);
    const result = await calibrateRun(run, {
      ...(args["split"] === undefined ? {} : { split: String(args["split"]) }),
      resamples,
      seed,
      level,
    });
    const files = await writeCalibration(String(args["out"] ?? join(run, "calibration")), result);
    if (args["json"]) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else process.stdout.write(calibrationTable(result));
    process.stderr.write(`litmus: wrote ${files.join(", ")}\n`);
    return EXIT.ok;
  },
};
