import { mergeRuns } from "../../audit/merge.js";
import { terminalTable } from "../../audit/report.js";
import { EXIT } from "../run.js";
import type { CliCommand } from "./types.js";

/** `litmus merge`: shards of one audit into one run folder, with the same exports. */
export const mergeCommand: CliCommand = {
  command: "merge <runs..>",
  describe: "Merge the run folders of an audit's shards into one run",
  builder: (y) =>
    y
      .positional("runs", { type: "string", array: true, describe: "Run folders of the shards" })
      .option("out", { type: "string", demandOption: true, describe: "Run folder of the merged run" }),
  run: async (args) => {
    const result = await mergeRuns((args["runs"] as string[]).map(String), String(args["out"]));
    process.stderr.write(
      `litmus: merged ${result.shards} shards (${result.completions} completions) into ${String(args["out"])}\n`,
    );
    process.stdout.write(terminalTable(result.summary));
    return EXIT.ok;
  },
};
