/**
 * `litmus calibrate` as a library: for a run of a model with a known leaked/unseen split, the AUROC
 * of every per-problem score at separating leaked from unseen problems, with a stratified bootstrap
 * interval, as JSON, a text table, a Markdown table and a PNG chart.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CANARY_MODEL_DIR } from "../data/litmus-mini.js";
import type { ChartSpec } from "../report/charts.js";
import { PALETTE } from "../report/charts.js";
import { renderPng } from "../report/png.js";
import { InputError } from "../util/errors.js";
import { DEFAULT_SEED, deriveSeed } from "../util/rng.js";
import { auroc, aurocBootstrapInterval } from "./auroc.js";
import { accuracyDrops, problemScores, SCORES, type SummaryLike } from "./scores.js";

/** The canary's leaked/unseen split of litmus-mini (same lists as data/litmus-mini/split.json). */
export const CANARY_SPLIT_PATH = join(CANARY_MODEL_DIR, "split.json");

export interface CalibrateOptions {
  /** Split file ({"leaked": [ids], "unseen": [ids]}); default: the canary's for litmus-mini runs. */
  split?: string;
  resamples: number;
  seed: number;
  level: number;
}

export const DEFAULT_CALIBRATE_OPTIONS: CalibrateOptions = {
  resamples: 10_000,
  seed: DEFAULT_SEED,
  level: 0.95,
};

export interface ScoreCalibration {
  auroc: number | null;
  ci: [number, number] | null;
  /** Problems of each class in the run that have this score (used in the AUROC). */
  n_leaked: number;
  n_unseen: number;
  /** Problems of each class in the run left out because the score is missing. */
  missing_leaked: number;
  missing_unseen: number;
  /** Mean raw score per class (null when none). */
  mean_leaked: number | null;
  mean_unseen: number | null;
  /** +1 raw value used; -1 raw value negated before the AUROC. */
  orientation: 1 | -1;
  label: string;
  definition: string;
}

export interface CalibrationResult {
  schema: "litmus/calibration";
  schema_version: 1;
  run: string;
  orientation: string;
  split: {
    source: string;
    leaked: number;
    unseen: number;
    /** Split problems present in the run, per class. */
    leaked_in_run: number;
    unseen_in_run: number;
    /** Run problems in neither list (left out of every AUROC). */
    run_not_in_split: number;
  };
  bootstrap: { method: string; resamples: number; seed: number; level: number };
  detectors: Record<string, ScoreCalibration>;
  warnings: string[];
}

interface SplitFile {
  leaked: string[];
  unseen: string[];
}

async function readJson(path: string, what: string): Promise<unknown> {
  const text = await readFile(path, "utf8").catch(() => {
    throw new InputError(`${path}: cannot read ${what}`);
  });
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

/** Reads and checks a split file: two lists of ids, disjoint. */
export async function readSplit(path: string): Promise<SplitFile> {
  const raw = (await readJson(path, "the split file")) as Partial<SplitFile> | null;
  const list = (key: "leaked" | "unseen") => {
    const v = raw?.[key];
    if (!Array.isArray(v) || !v.every((x) => typeof x === "string"))
      throw new InputError(`${path}: "${key}" must be a list of problem ids`);
    return v;
  };
  const split = { leaked: list("leaked"), unseen: list("unseen") };
  const leaked = new Set(split.leaked);
  const both = split.unseen.find((id) => leaked.has(id));
  if (both !== undefined) throw new InputError(`${path}: ${both} is both leaked and unseen`);
  return split;
}

/** The split a run is calibrated against: --split, else the canary's when the run is on litmus-mini. */
export function defaultSplitPath(summary: SummaryLike, explicit?: string): string {
  if (explicit !== undefined) return explicit;
  const name = summary.manifest?.config?.dataset?.name;
  if (name === "litmus-mini") return CANARY_SPLIT_PATH;
  throw new InputError(
    `--split FILE is required: the run's data set (${name ?? "unknown"}) has no bundled leaked/unseen split`,
  );
}

/** sha256 of the canary's model.onnx, from its SHA256SUMS (null when unreadable). */
async function canaryModelHash(): Promise<string | null> {
  const text = await readFile(join(CANARY_MODEL_DIR, "SHA256SUMS"), "utf8").catch(() => "");
  for (const line of text.split("\n")) {
    const [hash, file] = line.trim().split(/\s+/);
    if (file === "model.onnx" && hash) return hash;
  }
  return null;
}

function meanOf(values: readonly number[]): number | null {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

/** Calibrates one run folder (needs summary.json; samples.jsonl for the accuracy drop). */
export async function calibrateRun(
  runDir: string,
  partial: Partial<CalibrateOptions> = {},
): Promise<CalibrationResult> {
  const options = { ...DEFAULT_CALIBRATE_OPTIONS, ...partial };
  const summaryPath = join(runDir, "summary.json");
  if (!existsSync(summaryPath)) throw new InputError(`${summaryPath}: missing (not an audit run folder?)`);
  const summary = (await readJson(summaryPath, "the run summary")) as SummaryLike;
  if (summary.schema !== "litmus/audit-summary")
    throw new InputError(`${summaryPath}: not a litmus audit summary (schema ${String(summary.schema)})`);
  const splitPath = defaultSplitPath(summary, options.split);
  const split = await readSplit(splitPath);
  const warnings: string[] = [];

  const samplesPath = join(runDir, "samples.jsonl");
  let drops = new Map<string, number | null>();
  if (existsSync(samplesPath)) drops = await accuracyDrops(samplesPath);
  else warnings.push(`${samplesPath} missing: accuracy_drop not measured`);
  const scores = problemScores(summary, drops);
  if (!summary.detectors)
    warnings.push("the run has no detectors (audit without --detectors): likelihood and CDD scores missing");

  if (options.split === undefined) {
    const canary = await canaryModelHash();
    const ran = summary.manifest?.config?.modelFiles?.["model.onnx"];
    if (canary && ran && canary !== ran)
      warnings.push(
        "the run's model is not the canary, but the split is the canary's: leaked/unseen labels describe the canary's training data",
      );
  }

  const runIds = new Set<string>((summary.verdicts ?? []).map((v) => v.problem_id));
  const leakedIds = split.leaked.filter((id) => runIds.has(id));
  const unseenIds = split.unseen.filter((id) => runIds.has(id));
  const inSplit = new Set([...split.leaked, ...split.unseen]);
  const notInSplit = [...runIds].filter((id) => !inSplit.has(id)).length;
  if (notInSplit > 0) warnings.push(`${notInSplit} problems of the run are in neither list of the split`);

  const detectors: Record<string, ScoreCalibration> = {};
  for (const def of SCORES) {
    const byId = scores.get(def.name)!;
    const pick = (ids: string[]) =>
      ids.map((id) => byId.get(id)).filter((x): x is number => typeof x === "number" && Number.isFinite(x));
    const leaked = pick(leakedIds);
    const unseen = pick(unseenIds);
    const pos = leaked.map((x) => def.orientation * x);
    const neg = unseen.map((x) => def.orientation * x);
    detectors[def.name] = {
      auroc: auroc(pos, neg),
      ci: aurocBootstrapInterval(pos, neg, {
        resamples: options.resamples,
        seed: deriveSeed(options.seed, "calibrate", def.name),
        level: options.level,
      }),
      n_leaked: leaked.length,
      n_unseen: unseen.length,
      missing_leaked: leakedIds.length - leaked.length,
      missing_unseen: unseenIds.length - unseen.length,
      mean_leaked: meanOf(leaked),
      mean_unseen: meanOf(unseen),
      orientation: def.orientation,
      label: def.label,
      definition: def.definition,
    };
  }
  return {
    schema: "litmus/calibration",
    schema_version: 1,
    run: runDir,
    orientation:
      "higher score = more likely leaked; AUROC = P(leaked problem scores higher than unseen one), ties 0.5; no score is negated",
    split: {
      source: splitPath,
      leaked: split.leaked.length,
      unseen: split.unseen.length,
      leaked_in_run: leakedIds.length,
      unseen_in_run: unseenIds.length,
      run_not_in_split: notInSplit,
    },
    bootstrap: {
      method: "percentile bootstrap, problems resampled with replacement within each class",
      resamples: options.resamples,
      seed: options.seed,
      level: options.level,
    },
    detectors,
    warnings,
  };
}

const fmt = (x: number | null, digits = 3) => (x === null ? "n/a" : x.toFixed(digits));

/** Rows of the table: score, AUROC, interval, counts, class means. */
function tableRows(result: CalibrationResult): string[][] {
  const pct = Math.round(result.bootstrap.level * 100);
  const head = [
    "score",
    "AUROC",
    `${pct}% CI`,
    "leaked n",
    "unseen n",
    "missing",
    "mean leaked",
    "mean unseen",
  ];
  const rows = Object.entries(result.detectors).map(([name, d]) => [
    name,
    fmt(d.auroc),
    d.ci ? `[${fmt(d.ci[0])}, ${fmt(d.ci[1])}]` : "n/a",
    String(d.n_leaked),
    String(d.n_unseen),
    String(d.missing_leaked + d.missing_unseen),
    fmt(d.mean_leaked),
    fmt(d.mean_unseen),
  ]);
  return [head, ...rows];
}

/** Plain-text table for the terminal. */
export function calibrationTable(result: CalibrationResult): string {
  const rows = tableRows(result);
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
  const line = (r: string[]) =>
    r.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join("  ");
  const out = [
    `calibration of ${result.run} against ${result.split.source}`,
    `leaked ${result.split.leaked_in_run} / unseen ${result.split.unseen_in_run} problems in the run; ${result.orientation}`,
    "",
    line(rows[0]!),
    ...rows.slice(1).map(line),
    "",
    `bootstrap: ${result.bootstrap.resamples} resamples within each class, seed ${result.bootstrap.seed}`,
    ...result.warnings.map((w) => `warning: ${w}`),
  ];
  return `${out.join("\n")}\n`;
}

/** Markdown table (calibration.md). */
export function calibrationMarkdown(result: CalibrationResult): string {
  const rows = tableRows(result);
  const md = (r: string[]) => `| ${r.join(" | ")} |`;
  return [
    "# litmus calibration",
    "",
    `Run \`${result.run}\`, split \`${result.split.source}\`: ${result.split.leaked_in_run} leaked and ` +
      `${result.split.unseen_in_run} unseen problems in the run. ${result.orientation}.`,
    "",
    md(rows[0]!),
    md(rows[0]!.map(() => "---")),
    ...rows.slice(1).map(md),
    "",
    ...Object.entries(result.detectors).map(([name, d]) => `- \`${name}\`: ${d.definition}.`),
    ...result.warnings.map((w) => `- warning: ${w}`),
    "",
  ].join("\n");
}

/** Bar chart of the AUROCs with interval whiskers, chance (0.5) and target (0.9) lines. */
export function calibrationChart(result: CalibrationResult): ChartSpec {
  const names = Object.keys(result.detectors);
  const d = names.map((n) => result.detectors[n]!);
  const flat = (y: number, label: string, color: string) => ({
    type: "line",
    label,
    data: names.map(() => y),
    borderColor: color,
    borderDash: [6, 4],
    borderWidth: 1.5,
    pointRadius: 0,
    fill: false,
    order: 0,
  });
  return {
    id: "calibration-auroc",
    title: "AUROC at separating leaked from unseen problems",
    caption: `AUROC per score (higher = leaked), whiskers: ${Math.round(result.bootstrap.level * 100)}% bootstrap intervals; n/a scores are not drawn.`,
    config: {
      type: "bar",
      data: {
        labels: d.map((x) => `${x.label}${x.auroc === null ? " (n/a)" : ""}`),
        datasets: [
          {
            label: "AUROC",
            data: d.map((x) => x.auroc),
            backgroundColor: `${PALETTE[0]}cc`,
            borderColor: PALETTE[0],
            borderWidth: 1,
            errorBars: d.map((x) => x.ci),
            order: 1,
          },
          flat(0.5, "chance (0.5)", "#9a9a9a"),
          flat(0.9, "target (0.9)", PALETTE[3]!),
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: true, position: "bottom" }, title: { display: false } },
        scales: { y: { min: 0, max: 1, title: { display: true, text: "AUROC" } } },
      },
    },
  };
}

/** Writes calibration.json, calibration.md and auroc.png into `dir`; returns their paths. */
export async function writeCalibration(dir: string, result: CalibrationResult): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const json = join(dir, "calibration.json");
  const md = join(dir, "calibration.md");
  const png = join(dir, "auroc.png");
  await writeFile(json, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(md, calibrationMarkdown(result));
  await writeFile(png, await renderPng(calibrationChart(result), { width: 900, height: 450 }));
  return [json, md, png];
}
