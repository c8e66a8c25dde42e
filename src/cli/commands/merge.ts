import { join } from "node:path";
import { mergeRuns, runConfigOf } from "../../audit/merge.js";
import { terminalTable } from "../../audit/report.js";
import { gatesOfRun, parseGatesFor, writeFinalReports } from "../../audit/run.js";
import { InputError } from "../../util/errors.js";
import { EXIT } from "../run.js";
import { gateOptions } from "./shared-options.js";
import type { CliCommand } from "./types.js";

/** `litmus merge`: shards of one audit into one run folder, with the same exports. */
export const mergeCommand: CliCommand = {
  command: "merge <runs..>",
  describe: "Merge the run folders of an audit's shards into one run",
  builder: (y) =>
    gateOptions(y)
      .positional("runs", { type: "string", array: true, describe: "Run folders of the shards" })
      .option("out", { type: "string", demandOption: true, describe: "Run folder of the merged run" }),

  run: async (args) => {
    const out = String(args["out"]);
    const runs = (args["runs"] as string[]).map(String);
    const failOn = (args["fail-on"] as string[] | undefined) ?? [];
    // Bad gates are refused before anything is written.
    const first = runs[0] === undefined ? null : runConfigOf(runs[0]);
    if (first) parseGatesFor(first, failOn);
    const result = await mergeRuns(runs, out);
    process.stderr.write(
      `litmus: merged ${result.shards} shards (${result.completions} completions) into ${out}\n`,
    );
    // The merged run ends like an audit: gates, summary.md, junit.xml and the HTML report.
    const alpha = Number(args["baseline-alpha"]);
    if (!(alpha > 0 && alpha < 1))
      throw new InputError(`--baseline-alpha must be in (0, 1), got ${args["baseline-alpha"]}`);
    const gates = gatesOfRun(out, result.summary, {
      failOn,
      ...(args["baseline"] === undefined ? {} : { baseline: String(args["baseline"]) }),
      baselineAlpha: alpha,
      baselineAllowPartial: args["baseline-allow-partial"] === true,
    });
    const served = result.summary.manifest.config.served;
    // The shards' model folder is not recorded (only its files' checksums): the title then names
    // the data set alone.
    const verdict = await writeFinalReports(
      out,
      result.summary,
      gates,
      served ? `openai:${served.model}` : null,
    );
    process.stdout.write(`${terminalTable(result.summary)}verdict: ${verdict}\n`);
    for (const g of gates)
      process.stdout.write(`gate ${g.failed ? "FAIL" : "pass"}  ${g.name}: ${g.message}\n`);
    process.stdout.write(`report: ${join(out, "report.html")}\n`);
    return gates.some((g) => g.failed) ? EXIT.gateFailed : EXIT.ok;
  },
};
