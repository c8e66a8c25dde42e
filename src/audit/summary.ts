/**
 * summary.json: every figure of a run, derived from the stored run alone (see README.md for the
 * schema). Timestamps appear only in `manifest.started_at` / `manifest.finished_at`.
 */
import { type DetectorReport, detectorMetrics } from "../detectors/index.js";
import {
  countVerdicts,
  ORIGINAL,
  type ProbeSummary,
  summarizeDataset,
  withDetectorEvidence,
} from "../metrics/index.js";
import { type InstanceOutcome, requestedInstances, summarizeInstances } from "../metrics/instances.js";
import type { DecodePath } from "../runner/types.js";
import type { SandboxLayers } from "../sandbox/index.js";
import type { RunManifest } from "../types/audit.js";
import { type SummaryDecodePath, summaryDecodePath } from "./decode-path-note.js";
import { type StoredRow, type StoredRun, toScored } from "./records.js";
import type { AuditRunConfig } from "./types.js";

export const SUMMARY_SCHEMA = "litmus/audit-summary";
export const SUMMARY_VERSION = 1;

/** The parsed summary.json (metric objects are the src/metrics shapes with snake_case keys). */
export interface AuditSummary {
  schema: typeof SUMMARY_SCHEMA;
  schema_version: number;
  manifest: { config: AuditRunConfig; started_at: string; finished_at: string | null };
  /** Every planned completion is stored. */
  complete: boolean;
  counts: {
    problems: number;
    variants: number;
    requests: number;
    completions: number;
    expected_completions: number;
    no_answer: number;
    finish_reasons: Record<string, number>;
    /** Tokens each completion generated (eos excluded), greedy and sampled apart. */
    generated_tokens: { greedy: TokenCounts; sampled: TokenCounts };
    /** Problems left out by `--skip-too-long` (not in `problems`). */
    skipped_too_long: number;
  };
  /** Their ids: a prompt of theirs did not fit the model's context window. */
  skipped_too_long: string[];
  /** The originals first (probe `original`), then the probes in run order. */
  probes: Array<Record<string, unknown> & { probe: string }>;
  /** Stale-answer rate over all answer-changing probes together. */
  stale: Record<string, unknown>;
  verdict_counts: Record<string, number>;
  thresholds: Record<string, number>;
  bootstrap: { resamples: number; seed: number; level: number };
  /** The flat figures `--fail-on` reads, by name (null when not measured). */
  metrics: Record<string, number | null>;
  /** Per-problem verdicts in problem order. */
  verdicts: Array<Record<string, unknown>>;
  /** Contamination detectors (likelihood, CDD, exchangeability); null when not computed. */
  detectors: Record<string, unknown> | null;
  /**
   * For a `code` format: the OS layers its programs ran under (`permission`, `namespaces`) and a
   * line per missing layer; null for other formats or when no program ran.
   */
  sandbox: SandboxLayers | null;
  /**
   * How the in-process runner decoded the completions (`slot-cache`, or `present-feedback` with
   * the reason; `mixed` when a resume or shard differed); null for a served model.
   */
  decode_path: SummaryDecodePath | null;
  /**
   * Only in a run made with `--instances K`: per answer-changing probe and kind, the greedy accuracy
   * of each of the K instance sets, their mean and spread beside the originals' accuracy
   * (`distributions`), and each problem's accuracy over its instances (`problems`). See
   * src/metrics/instances.ts.
   */
  instances?: Record<string, unknown>;
}

/** Generated tokens over a set of completions; `mean` is null when there are none. */
export interface TokenCounts {
  completions: number;
  total: number;
  mean: number | null;
}

/** Generated tokens per completion, for the greedy and the sampled completions apart. */
export function generatedTokens(rows: readonly StoredRow[]): { greedy: TokenCounts; sampled: TokenCounts } {
  const sums = { greedy: { completions: 0, total: 0 }, sampled: { completions: 0, total: 0 } };
  for (const row of rows) {
    const s = sums[row.request.mode];
    s.completions++;
    s.total += row.completion.tokenCount;
  }
  const counts = (s: { completions: number; total: number }): TokenCounts => ({
    ...s,
    mean: s.completions === 0 ? null : s.total / s.completions,
  });
  return { greedy: counts(sums.greedy), sampled: counts(sums.sampled) };
}

/** Builds the summary of a stored run. `run` is the store read back by readStoredRun. */
export function buildSummary(
  manifest: RunManifest,
  run: StoredRun,
  detectors: DetectorReport | null = null,
  sandbox: SandboxLayers | null = null,
  skippedTooLong: readonly string[] = [],
  decodePaths: readonly DecodePath[] = [],
): AuditSummary {
  const config = manifest.config as AuditRunConfig;
  const n = config.decoding.n;
  const ks = Array.from({ length: n }, (_, i) => i + 1);
  const data = summarizeDataset(run.rows.map(toScored), {
    ks,
    bootstrap: {
      seed: config.seeds.bootstrap,
      resamples: config.summary.resamples,
      level: config.summary.level,
    },
    thresholds: config.summary.thresholds,
  });
  // With detector scores, the verdicts use them (rules in src/metrics/verdicts.ts).
  if (detectors) {
    const evidence = new Map(detectors.problems.map((p) => [p.problemId, p.evidence]));
    data.verdicts = withDetectorEvidence(data.verdicts, evidence);
    data.verdictCounts = countVerdicts(data.verdicts);
  }
  // summarizeDataset orders probes by name; the run's order reads better and is just as fixed.
  const rank = (p: ProbeSummary) => (p.probe === ORIGINAL ? -1 : config.probes.indexOf(p.probe));
  const probes = data.probes.slice().sort((a, b) => rank(a) - rank(b));
  const finish: Record<string, number> = { eos: 0, length: 0, stop: 0 };
  let noAnswer = 0;
  for (const row of run.rows) {
    finish[row.completion.finishReason] = (finish[row.completion.finishReason] ?? 0) + 1;
    if (row.completion.answer === null) noAnswer++;
  }
  const expected = run.requests.reduce((s, r) => s + (r.mode === "greedy" ? 1 : r.n), 0);
  const summary: AuditSummary = {
    schema: SUMMARY_SCHEMA,
    schema_version: SUMMARY_VERSION,
    manifest: { config, started_at: manifest.startedAt, finished_at: manifest.finishedAt },
    complete: run.rows.length === expected,
    counts: {
      problems: run.problems.length,
      variants: run.variants.length,
      requests: run.requests.length,
      completions: run.rows.length,
      expected_completions: expected,
      no_answer: noAnswer,
      finish_reasons: finish,
      generated_tokens: generatedTokens(run.rows),
      skipped_too_long: skippedTooLong.length,
    },
    skipped_too_long: [...skippedTooLong],
    probes: probes.map((p) => snakeKeys(p) as Record<string, unknown> & { probe: string }),
    stale: snakeKeys(data.stale) as Record<string, unknown>,
    verdict_counts: { ...data.verdictCounts },
    thresholds: snakeKeys(data.thresholds) as Record<string, number>,
    bootstrap: { ...data.bootstrap },
    metrics: {},
    verdicts: data.verdicts.map((v) => snakeKeys(v) as Record<string, unknown>),
    detectors: detectors ? (snakeKeys(detectors) as Record<string, unknown>) : null,
    sandbox,
    decode_path: summaryDecodePath(decodePaths),
  };
  const flat = {
    ...flatMetrics(probes, data.stale, data.verdictCounts, run.rows.length, noAnswer),
    ...(detectors ? detectorMetrics(detectors) : {}),
  };
  summary.metrics = Object.fromEntries(Object.entries(flat).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const instances = instancesOf(config, run);
  if (instances !== null) summary.instances = instances;
  return summary;
}

/**
 * The instance-set figures of a run made with `--instances K` (null without): greedy completions of
 * instance-numbered variants against the originals' greedy completions.
 */
function instancesOf(config: AuditRunConfig, run: StoredRun): Record<string, unknown> | null {
  const requested = requestedInstances(config.probeParams);
  if (requested <= 1) return null;
  const outcomes: InstanceOutcome[] = [];
  const originals = new Map<string, boolean>();
  for (const row of run.rows) {
    if (row.request.mode !== "greedy") continue;
    const v = row.variant;
    if (v === null) originals.set(row.problem.id, row.completion.correct);
    else if (v.instance !== undefined)
      outcomes.push({
        problemId: v.problemId,
        probe: v.probe,
        kind: v.kind,
        instance: v.instance,
        correct: row.completion.correct,
      });
  }
  const summary = summarizeInstances(outcomes, originals, requested, {
    problems: run.problems.map((p) => p.id),
    probes: config.probes,
  });
  return snakeKeys(summary) as Record<string, unknown>;
}

/**
 * The flat figures gates read:
 * `accuracy.<label>` (greedy), `pass@<k>.<label>` (k = 1..n), `drop.<probe>`,
 * `drop_ci_low.<probe>`, `drop_ci_high.<probe>`, `mcnemar_p.<probe>`, `stale_rate`,
 * `stale_rate.<probe>`, `stale_ci_low[.<probe>]`, `stale_ci_high[.<probe>]`, `stale_baseline`, `stale_lift`,
 * `verdict.<verdict>` (count), `verdict_share.<verdict>`, `no_answer_rate`.
 * `<label>` is `original` or a probe name.
 */
function flatMetrics(
  probes: readonly ProbeSummary[],
  stale: ProbeSummary["stale"] & object,
  verdicts: Record<string, number>,
  completions: number,
  noAnswer: number,
): Record<string, number | null> {
  const m: Record<string, number | null> = {};
  for (const p of probes) {
    m[`accuracy.${p.probe}`] = p.greedyAccuracy.value;
    for (const [k, v] of Object.entries(p.passAtK)) m[`pass@${k}.${p.probe}`] = v.value;
    if (p.probe === ORIGINAL) continue;
    m[`drop.${p.probe}`] = p.drop?.drop ?? null;
    m[`drop_ci_low.${p.probe}`] = p.drop?.ci?.[0] ?? null;
    m[`drop_ci_high.${p.probe}`] = p.drop?.ci?.[1] ?? null;
    m[`mcnemar_p.${p.probe}`] = p.drop && p.drop.pairs > 0 ? p.drop.mcnemar.pValue : null;
    if (p.stale) {
      m[`stale_rate.${p.probe}`] = p.stale.rate.value;
      m[`stale_ci_low.${p.probe}`] = p.stale.rate.ci?.[0] ?? null;
      m[`stale_ci_high.${p.probe}`] = p.stale.rate.ci?.[1] ?? null;
    }
  }
  m["stale_rate"] = stale.rate.value;
  m["stale_ci_low"] = stale.rate.ci?.[0] ?? null;
  m["stale_ci_high"] = stale.rate.ci?.[1] ?? null;
  m["stale_baseline"] = stale.baseline;
  m["stale_lift"] = stale.lift;
  const problems = Object.values(verdicts).reduce((a, b) => a + b, 0);
  for (const [v, count] of Object.entries(verdicts)) {
    m[`verdict.${v}`] = count;
    m[`verdict_share.${v}`] = problems === 0 ? null : count / problems;
  }
  m["no_answer_rate"] = completions === 0 ? null : noAnswer / completions;
  return Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** camelCase keys to snake_case at every level (metric objects only: their keys are all fixed names). */
export function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
        snakeKeys(v),
      ]),
    );
  }
  return value;
}
