/** Flags several commands share, declared once so their names, defaults and help agree. */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Argv } from "yargs";
import { type FlagType, readConfigFile } from "../config-file.js";

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

/** Nucleus sampling off, top-k off, 256 new tokens: one default per meaning in every command. */
export const DECODING_DEFAULTS = { topP: 1, topK: 0, maxNewTokens: 256 } as const;

/**
 * `--temperature`, `--top-p`, `--top-k`, `--max-new-tokens`, declared once. The temperature's
 * default differs by meaning: `generate` decodes greedily unless told otherwise, `audit` samples
 * its n completions at 0.8 beside the greedy one it always makes.
 */
export function decodingOptions(y: Argv, temperature: { default: number; describe: string }): Argv {
  return y
    .option("temperature", { type: "number", default: temperature.default, describe: temperature.describe })
    .option("top-p", {
      type: "number",
      default: DECODING_DEFAULTS.topP,
      describe: "Nucleus sampling: keep the most likely tokens up to this probability mass (1: off)",
    })
    .option("top-k", {
      type: "number",
      default: DECODING_DEFAULTS.topK,
      describe: "Keep only the k most likely tokens (0: off)",
    })
    .option("max-new-tokens", {
      type: "number",
      default: DECODING_DEFAULTS.maxNewTokens,
      describe: "Most tokens generated per completion",
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
      describe:
        "An earlier checkpoint's run folder (or its summary.json): fail on significant regressions, paired prompt by prompt",
    })
    .option("baseline-allow-partial", {
      type: "boolean",
      default: false,
      describe: "With --baseline: runs of different data or probes are compared on the prompts both hold",
    })
    .option("baseline-alpha", {
      type: "number",
      default: 0.05,
      describe: "Significance level of --baseline",
    });
}

/** Flags that configure nothing a file should hold. */
const NOT_SETTINGS = new Set(["help", "version", "config", "verbose"]);

/**
 * The flags a command declares, with their types, read from its yargs builder (for `--config`
 * files): kebab-case names as typed on the command line.
 */
export function declaredFlags(y: Argv): Map<string, FlagType> {
  const o = (
    y as unknown as {
      getOptions(): { key: Record<string, unknown>; number: string[]; boolean: string[]; array: string[] };
    }
  ).getOptions();
  const flags = new Map<string, FlagType>();
  for (const name of Object.keys(o.key)) {
    if (NOT_SETTINGS.has(name) || /[A-Z]/.test(name)) continue;
    const type: FlagType = o.array.includes(name)
      ? "array"
      : o.number.includes(name)
        ? "number"
        : o.boolean.includes(name)
          ? "boolean"
          : "string";
    flags.set(name, type);
  }
  return flags;
}

/** `--config FILE` on a command: its options from a YAML or JSON file, command-line flags first. */
export function configOption(y: Argv): Argv {
  return y.config(
    "config",
    "YAML or JSON file of options (flag names as keys, e.g. top-p: 0.9); flags on the command line override it",
    (path: string) => readConfigFile(path, declaredFlags(y)),
  );
}

/** Flags that name files or folders: written back absolute, so the file works from anywhere. */
const PATH_FLAGS = new Set([
  "model",
  "dataset",
  "ids",
  "format",
  "prompt-template",
  "exemplars",
  "baseline",
  "out",
]);

/**
 * The settings a command ran with, by flag name (the file `--config` reads back). A path is made
 * absolute (a name such as `gsm8k` or `qa` that is no file stays as it is), since the file is
 * read again from other folders (`litmus audit --config RUN_DIR/litmus.yaml`).
 */
export function settingsOf(
  args: Record<string, unknown>,
  flags: ReadonlyMap<string, FlagType>,
): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const name of [...flags.keys()].sort()) {
    const value = args[name];
    if (value === undefined) continue;
    const isPath = PATH_FLAGS.has(name) && typeof value === "string" && (name === "out" || existsSync(value));
    settings[name] = isPath ? resolve(value as string) : value;
  }
  return settings;
}
