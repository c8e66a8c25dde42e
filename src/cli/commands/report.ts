import { baselineRunDir } from "../../audit/baseline.js";
import { writeReport } from "../../report/index.js";
import { EXIT } from "../run.js";
import type { CliCommand } from "./types.js";

/** `litmus report`: the HTML report (plus PNG charts and report.md) of a run folder. */
export const reportCommand: CliCommand = {
  command: "report <run>",
  describe: "Write the self-contained HTML report (and PNG charts, report.md) of a run folder",
  builder: (y) =>
    y
      .positional("run", { type: "string", describe: "Run folder of an audit" })
      .option("baseline", {
        type: "string",
        describe: "An earlier checkpoint's run folder (or its summary.json) to compare with, as in audit",
      })
      .option("out", { type: "string", describe: "HTML file to write (default RUN/report.html)" })
      .option("model", {
        type: "string",
        describe:
          "The model's path, shown in the header (runs do not record it); an absolute path is shown relative to the run folder",
      })
      .option("png", {
        type: "boolean",
        default: true,
        describe: "Also write charts/*.png and report.md next to the HTML",
      }),
  run: async (args) => {
    const run = String(args["run"]);
    const result = await writeReport(run, {
      ...(args["baseline"] === undefined ? {} : { baseline: baselineRunDir(String(args["baseline"])) }),
      ...(args["out"] === undefined ? {} : { out: String(args["out"]) }),
      ...(args["model"] === undefined ? {} : { modelPath: String(args["model"]) }),
      pngs: args["png"] !== false,
    });
    process.stderr.write(
      `litmus: wrote ${result.html} (${(result.bytes / 1024 / 1024).toFixed(2)} MB, ${result.problems} problems)` +
        (result.markdown ? `, ${result.markdown} and ${result.pngs.length} PNG charts` : "") +
        "\n",
    );
    return EXIT.ok;
  },
};
