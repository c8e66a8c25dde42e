import type { AuditOptions } from "../audit/types.js";
import { InputError } from "../util/errors.js";

/**
 * Audit presets for `litmus reproduce`: fixed `litmus audit` settings that rerun a published
 * experiment on any model. A preset is only data; the command passes it to the audit library.
 */

/** The audit settings a preset fixes: the same fields as `litmus audit`'s options, split required. */
export type AuditPresetSettings = Pick<
  AuditOptions,
  "dataset" | "format" | "probes" | "n" | "ks" | "temperature" | "topP" | "topK" | "maxNewTokens" | "seed"
> & { split: string };

export interface AuditPreset {
  name: string;
  describe: string;
  settings: AuditPresetSettings;
  /** Settings a user may override on the command line (recorded as overrides). */
  overridable: ReadonlyArray<keyof AuditPresetSettings>;
  /** Default run folder. */
  out: string;
}

/**
 * The 2023 phi-1.5 probes: GSM8K test in phi-1.5's model-card `qa` format ("Question: ...\nAnswer:"),
 * originals plus newline reformatting, price edits and number swaps; greedy plus 10 samples at
 * temperature 0.8 with top-p 1.0 (plain temperature sampling; top-k off), 256 new tokens.
 */
export const PHI15_PROBES: AuditPreset = {
  name: "phi15-probes",
  describe:
    "The 2023 phi-1.5 probes: GSM8K test, qa, newline/price-edit/number-swap, greedy + 10 samples at T 0.8",
  settings: {
    dataset: "gsm8k",
    split: "test",
    format: "qa",
    probes: "newline,number-swap,price-edit",
    n: 10,
    ks: [1, 5, 10],
    temperature: 0.8,
    topP: 1.0,
    topK: 0,
    maxNewTokens: 256,
    seed: 1,
  },
  overridable: ["dataset", "split", "n", "maxNewTokens", "seed"],
  out: "reports/phi15-probes",
};

export const PRESETS: Readonly<Record<string, AuditPreset>> = { [PHI15_PROBES.name]: PHI15_PROBES };

/** The settings a preset run uses after the allowed overrides, and which of them were overridden. */
export function presetSettings(
  presetName: string,
  args: Record<string, unknown>,
): { settings: AuditPresetSettings; overrides: string[] } {
  const preset = PRESETS[presetName];
  if (!preset)
    throw new InputError(`unknown preset ${presetName} (known: ${Object.keys(PRESETS).join(", ")})`);
  const settings = { ...preset.settings, ks: [...preset.settings.ks] };
  const overrides: string[] = [];
  const flags: Record<string, keyof AuditPresetSettings> = {
    dataset: "dataset",
    split: "split",
    n: "n",
    "max-new-tokens": "maxNewTokens",
    seed: "seed",
  };
  for (const [flag, key] of Object.entries(flags)) {
    if (args[flag] === undefined) continue;
    if (!preset.overridable.includes(key))
      throw new InputError(`--${flag} cannot be changed in ${presetName}`);
    (settings as unknown as Record<string, unknown>)[key] =
      typeof settings[key] === "number" ? Number(args[flag]) : String(args[flag]);
    overrides.push(key);
  }
  // A data set file has no named split.
  if (overrides.includes("dataset") && !overrides.includes("split") && settings.dataset !== "gsm8k")
    settings.split = "";
  settings.ks = settings.ks.filter((k) => k <= settings.n);
  return { settings, overrides };
}

/** The settings as `litmus audit` flags (what the run is equivalent to). */
export function auditFlags(model: string, out: string, s: AuditPresetSettings): string[] {
  return [
    "--model",
    model,
    "--dataset",
    s.dataset,
    ...(s.split ? ["--split", s.split] : []),
    "--format",
    s.format,
    "--probes",
    s.probes,
    "--n",
    String(s.n),
    ...(s.ks.length ? ["--k", s.ks.join(",")] : []),
    "--temperature",
    String(s.temperature),
    "--top-p",
    String(s.topP),
    "--top-k",
    String(s.topK),
    "--max-new-tokens",
    String(s.maxNewTokens),
    "--seed",
    String(s.seed),
    "--out",
    out,
  ];
}
