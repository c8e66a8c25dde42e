/**
 * `--baseline RUN_DIR|summary.json`: significant regressions against an earlier checkpoint's run,
 * as gates named `baseline:<metric>`. The two runs are paired prompt by prompt (variant ids are
 * content-addressed) and compared with paired tests (src/metrics/checkpoint.ts): exact McNemar on
 * greedy accuracy, a paired bootstrap over problems on pass@k, drops and the stale-answer rate.
 * Pairing needs each run's per-prompt results, so the baseline is its run folder (a summary.json
 * names the folder it sits in, whose run.sqlite is read).
 *
 * Runs of different data, probe sets or probe parameters (`--instances`) are refused: their figures
 * would be compared on different problems or variants. `--baseline-allow-partial` compares the prompts both runs hold, and says how many.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { type CompareOptions, compareCheckpoints, type UnitOutcome } from "../metrics/checkpoint.js";
import { ORIGINAL } from "../metrics/index.js";
import { canonicalJson, RUN_DB_FILE, type RunStore, SqliteRunStore } from "../store/index.js";
import { InputError } from "../util/errors.js";
import { fmt, type GateResult } from "./gates.js";
import { readStoredRun, type StoredRun } from "./records.js";
import { isStaleAnswer } from "./samples.js";
import type { AuditRunConfig } from "./types.js";

export interface BaselineOptions {
  /** The baseline's run folder, or its summary.json. */
  baseline: string;
  alpha: number;
  /** Compare the prompts both runs hold even when their data or probes differ. */
  allowPartial: boolean;
}

/** The run folder a `--baseline` argument names; an InputError when it holds no run store. */
export function baselineRunDir(arg: string): string {
  if (!existsSync(arg)) throw new InputError(`--baseline ${arg}: no such run folder or summary.json`);
  const dir = statSync(arg).isDirectory() ? arg : dirname(arg);
  if (!existsSync(join(dir, RUN_DB_FILE))) {
    throw new InputError(
      `--baseline ${arg}: no ${RUN_DB_FILE} in ${dir}; pairing needs the baseline's run folder, not only its summary.json`,
    );
  }
  return dir;
}

/** Opens the baseline's store, checked against the current configuration before any model loads. */
export function openBaseline(arg: string): { dir: string; store: SqliteRunStore; config: AuditRunConfig } {
  const dir = baselineRunDir(arg);
  const store = SqliteRunStore.openDir(dir);
  const manifest = store.manifest();
  if (!manifest) {
    store.close();
    throw new InputError(`--baseline ${arg}: the run store in ${dir} holds no run`);
  }
  return { dir, store, config: manifest.config as AuditRunConfig };
}

/**
 * Why two runs cannot be paired in full (null when they can): a comparison of checkpoints holds
 * everything but the model fixed, so a difference in the data, the probes and their seed, the
 * prompt format, the decoding or the answer extraction would be blamed on the checkpoint. (The
 * samples per prompt may differ: pass@k is compared for k up to the smaller n.)
 */
export function pairingProblem(current: AuditRunConfig, baseline: AuditRunConfig): string | null {
  if (current.dataset.sha256 !== baseline.dataset.sha256)
    return `the runs audited different data (${baseline.dataset.name} vs ${current.dataset.name})`;
  const a = [...baseline.probes].sort().join(",");
  const b = [...current.probes].sort().join(",");
  if (a !== b) return `the runs ran different probes (${a} vs ${b})`;
  const same = (x: unknown, y: unknown) => canonicalJson(x) === canonicalJson(y);
  // The same probes with other parameters (`--instances 3` against 1, another attempt count) make
  // other variants: the shared ones would be a subset, silently.
  const params = probeParamsDifference(baseline.probeParams, current.probeParams);
  if (params) return `the runs used other probe parameters (${params})`;
  const settings: Array<[string, unknown, unknown]> = [
    ["probe seed", baseline.seeds.probes, current.seeds.probes],
    ["prompt format", baseline.promptFormat, current.promptFormat],
    // Chat or plain prompts, and the chat form's system message (not the template: a new
    // checkpoint may bring its own).
    ["prompt style (chat or plain)", baseline.chat?.system ?? null, current.chat?.system ?? null],
    ["answer extraction", baseline.extraction, current.extraction],
    ["decoding", { ...baseline.decoding, n: undefined }, { ...current.decoding, n: undefined }],
  ];
  for (const [what, x, y] of settings) {
    if (same(x, y)) continue;
    const detail =
      what === "prompt format" ? formatDifference(baseline.promptFormat, current.promptFormat) : "";
    return `the runs used another ${what}${detail}`;
  }
  return null;
}

/** The probes whose parameters differ between two runs, as `name: a vs b`; null when none. */
function probeParamsDifference(
  a: AuditRunConfig["probeParams"] | undefined,
  b: AuditRunConfig["probeParams"] | undefined,
): string | null {
  const x = a ?? {};
  const y = b ?? {};
  const differ = [...new Set([...Object.keys(x), ...Object.keys(y)])]
    .filter((name) => canonicalJson(x[name] ?? null) !== canonicalJson(y[name] ?? null))
    .sort();
  if (differ.length === 0) return null;
  return differ
    .map((name) => `${name}: ${canonicalJson(x[name] ?? null)} vs ${canonicalJson(y[name] ?? null)}`)
    .join("; ");
}

/**
 * Which part of two prompt formats differs: their names, or the fields of one format's spec (a
 * built-in format whose stop strings a later litmus changed reads `qa differs in stop`).
 */
function formatDifference(a: AuditRunConfig["promptFormat"], b: AuditRunConfig["promptFormat"]): string {
  if (a.name !== b.name) return ` (${a.name} vs ${b.name})`;
  const x = a.spec as unknown as Record<string, unknown>;
  const y = b.spec as unknown as Record<string, unknown>;
  const fields = [...new Set([...Object.keys(x), ...Object.keys(y)])]
    .filter((k) => canonicalJson(x[k]) !== canonicalJson(y[k]))
    .sort();
  return ` (${a.name} differs in ${fields.join(", ")})`;
}

/** Each prompt's results in a stored run. */
export function unitOutcomes(store: RunStore, config: AuditRunConfig): UnitOutcome[] {
  return unitOutcomesOf(readStoredRun(store, config.probes, { texts: false }));
}

/** Each prompt's results in a run read back from its store. */
export function unitOutcomesOf(run: StoredRun): UnitOutcome[] {
  const units = new Map<string, UnitOutcome>();
  for (const row of run.rows) {
    const key = row.request.variantId ?? `${row.problem.id}/original`;
    const u = units.get(key) ?? {
      problemId: row.problem.id,
      unit: key,
      label: row.request.variantId === null ? ORIGINAL : row.request.probe,
      answerChanged: row.request.answerChanged,
      greedy: null,
      samples: [],
      stale: 0,
      completions: 0,
    };
    const c = row.completion;
    if (c.sampleIndex === null) u.greedy = c.correct;
    else u.samples.push(c.correct);
    u.completions++;
    if (isStaleAnswer(row.request, c.answer)) u.stale++;
    units.set(key, u);
  }
  return [...units.values()];
}

/**
 * The baseline gates of a run: one per compared figure, failed on a significant regression, and
 * an informational `baseline:shared` saying how many problems were compared.
 */
export function baselineGates(
  current: { store: RunStore; config: AuditRunConfig },
  options: BaselineOptions,
): GateResult[] {
  const base = openBaseline(options.baseline);
  try {
    const problem = pairingProblem(current.config, base.config);
    if (problem && !options.allowPartial) {
      throw new InputError(
        `--baseline ${options.baseline}: ${problem}; pass --baseline-allow-partial to compare only the prompts both runs hold`,
      );
    }
    const n = Math.min(current.config.decoding.n, base.config.decoding.n);
    const compareOptions: CompareOptions = {
      alpha: options.alpha,
      resamples: current.config.summary.resamples,
      seed: current.config.seeds.bootstrap,
      level: current.config.summary.level,
      ks: current.config.ks.filter((k) => k <= n),
    };
    const result = compareCheckpoints(
      unitOutcomes(base.store, base.config),
      unitOutcomes(current.store, current.config),
      compareOptions,
    );
    const gates: GateResult[] = [
      {
        name: "baseline:shared",
        failed: result.shared.units === 0,
        value: result.shared.problems,
        message:
          `compared on ${result.shared.problems} shared problems (${result.shared.units} prompts)` +
          (result.onlyCurrent.problems + result.onlyBaseline.problems > 0
            ? `; ${result.onlyCurrent.problems} only in this run, ${result.onlyBaseline.problems} only in the baseline`
            : "") +
          (result.shared.units === 0 ? ": nothing to compare" : ""),
      },
    ];
    for (const f of result.figures) {
      const test =
        f.test === "mcnemar"
          ? `McNemar b = ${f.discordant?.b}, c = ${f.discordant?.c}`
          : `sign-flip test over ${f.n} problems, CI [${fmt(f.ci?.[0] ?? null)}, ${fmt(f.ci?.[1] ?? null)}]`;
      gates.push({
        name: `baseline:${f.metric}`,
        failed: f.regression,
        value: f.current,
        message:
          `${f.metric} ${fmt(f.baseline)} -> ${fmt(f.current)} (${f.diff >= 0 ? "+" : ""}${fmt(f.diff)}; ${test}; p = ${f.p.toPrecision(3)}, Holm-adjusted ${f.adjustedP.toPrecision(3)})` +
          (f.regression ? ": significant regression" : ""),
      });
    }
    return gates;
  } finally {
    base.store.close();
  }
}
