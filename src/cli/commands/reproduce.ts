import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import yargs from "yargs";
import { auditFlags, PRESETS, presetSettings } from "../../calibrate/presets.js";
import { InputError } from "../../util/errors.js";
import { auditCommand } from "./audit.js";
import { runnerOptions } from "./shared-options.js";
import type { CliCommand } from "./types.js";

/** `litmus reproduce PRESET --model DIR`: a published experiment's audit settings on any model. */
export const reproduceCommand: CliCommand = {
  command: "reproduce <preset>",
  describe: "Rerun a published experiment's probes on a model (presets: phi15-probes)",
  builder: (y) =>
    runnerOptions(y)
      .positional("preset", { type: "string", choices: Object.keys(PRESETS), describe: "Preset name" })
      .option("model", {
        type: "string",
        demandOption: true,
        describe: "Model directory (optimum ONNX export)",
      })
      .option("out", { type: "string", describe: "Run folder (default reports/<preset>)" })
      .option("dataset", {
        type: "string",
        describe: "Override the data set: a GSM8K-format JSONL file (offline), or gsm8k",
      })
      .option("split", { type: "string", describe: "Split of a named data set (default test)" })
      .option("limit", { type: "number", describe: "Only the first N problems" })
      .option("n", { type: "number", describe: "Override the samples per prompt (preset: 10)" })
      .option("max-new-tokens", { type: "number", describe: "Override the completion length (preset: 256)" })
      .option("seed", { type: "number", describe: "Override the seed (preset: 1)" })
      .option("detectors", {
        type: "boolean",
        default: false,
        describe: "Also compute the contamination detectors",
      })
      .option("quiet", { type: "boolean", default: false, describe: "No progress line" }),
  run: async (args) => {
    const presetName = String(args["preset"]);
    const preset = PRESETS[presetName]!;
    const { settings, overrides } = presetSettings(presetName, args);
    const model = String(args["model"]);
    const out = String(args["out"] ?? preset.out);
    const flags = auditFlags(model, out, settings);
    const extra = [
      ...(args["limit"] === undefined ? [] : ["--limit", String(args["limit"])]),
      "--device",
      String(args["device"]),
      ...(args["detectors"] ? ["--detectors"] : []),
    ];
    process.stdout.write(
      `litmus reproduce ${presetName}: ${preset.describe}\n` +
        `settings: ${JSON.stringify(settings)}\n` +
        (overrides.length ? `overridden: ${overrides.join(", ")}\n` : "") +
        `equivalent to: litmus audit ${[...flags, ...extra].join(" ")}\n`,
    );
    // The audit command's own parser gives every other option its default; then the audit runs as is.
    const parser = yargs([])
      .exitProcess(false)
      .fail((msg, err) => {
        throw err ?? new InputError(msg);
      });
    const auditArgs = (await auditCommand
      .builder(parser)
      .parseAsync([
        ...flags,
        ...extra,
        "--threads",
        String(args["threads"]),
        "--batch-size",
        String(args["batch-size"]),
        ...(args["quiet"] ? ["--quiet"] : []),
      ])) as Record<string, unknown>;
    const code = await auditCommand.run(auditArgs);
    await mkdir(out, { recursive: true });
    await writeFile(
      join(out, "preset.json"),
      `${JSON.stringify({ preset: presetName, settings, overrides, limit: args["limit"] ?? null, device: args["device"] }, null, 2)}\n`,
    );
    return code;
  },
};
