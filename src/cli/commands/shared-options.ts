/** Flags several commands share, declared once so their names, defaults and help agree. */
import type { Argv } from "yargs";

/** How the in-process ONNX runner runs: `--device`, `--threads`, `--batch-size`. */
export function runnerOptions(y: Argv): Argv {
  return y
    .option("device", { choices: ["cpu", "cuda", "auto"], default: "cpu", describe: "Execution provider" })
    .option("threads", { type: "number", default: 0, describe: "CPU threads (0: ONNX Runtime's choice)" })
    .option("batch-size", {
      type: "number",
      default: 16,
      describe: "Rows (prompts x samples) decoded together",
    });
}

/** CI gates on a finished run: `--fail-on`, `--baseline`, `--baseline-alpha`. */
export function gateOptions(y: Argv): Argv {
  return y
    .option("fail-on", {
      type: "string",
      array: true,
      default: [],
      describe: "Gate: fail (exit 1) when METRIC OP NUMBER holds, e.g. stale_rate>0.05 (repeatable)",
    })
    .option("baseline", {
      type: "string",
      describe: "summary.json of an earlier run: fail on significant regressions",
    })
    .option("baseline-alpha", {
      type: "number",
      default: 0.05,
      describe: "Significance level of --baseline",
    });
}
