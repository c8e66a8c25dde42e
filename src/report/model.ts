/**
 * The report's view of a run: what the header, the headline, the per-probe table, the charts and
 * the drill-down show, derived from summary.json and the stored rows alone. Every string in it
 * that came from a data set or a model is untrusted and is escaped where it is rendered.
 */
import type { StoredRun } from "../audit/records.js";
import { decodePathText, generationText } from "../audit/report.js";
import type { AuditSummary } from "../audit/summary.js";
import type { AuditRunConfig } from "../audit/types.js";
import { type DetectorView, readDetectors, readUnavailableDetectors } from "./detectors.js";
import { type DrillProblem, type DrillTables, drillData } from "./drill.js";

export interface Interval {
  value: number | null;
  ci: [number, number] | null;
}

/** One row of the per-probe table (`original` first). */
export interface ProbeRow {
  label: string;
  problems: number;
  units: number;
  greedy: Interval & { successes: number; total: number };
  /** pass@k for k = 1..n. */
  passAtK: Array<Interval & { k: number }>;
  drop: (Interval & { p: number | null; pairs: number }) | null;
  stale:
    | (Interval & { successes: number; total: number; baseline: number | null; lift: number | null })
    | null;
}

export type {
  CompactCompletion,
  CompactEdit,
  CompletionStatus,
  DrillProblem,
  DrillTables,
  DrillUnit,
} from "./drill.js";

export interface ReportHeader {
  modelPath: string | null;
  modelFiles: Array<[string, string]>;
  dataset: { name: string; sha256: string; problems: number; variants: number };
  probes: string[];
  promptFormat: string;
  decoding: AuditRunConfig["decoding"];
  ks: number[];
  seeds: AuditRunConfig["seeds"];
  litmusVersion: string;
  onnxruntimeVersion: string;
  executionProvider: string;
  startedAt: string;
  finishedAt: string | null;
  /** Seconds between start and finish, or null. */
  runSeconds: number | null;
  complete: boolean;
  completions: number;
  expectedCompletions: number;
  noAnswer: number;
  /** Finish reasons and tokens generated per completion, in words (audit/report.ts). */
  generation: string;
  /** The in-process runner's decode path in words; null for a served model. */
  decodePath: string | null;
  /** Problems left out by --skip-too-long (a prompt longer than the context window). */
  skippedTooLong: number;
  level: number;
  resamples: number;
}

export interface ReportModel {
  title: string;
  header: ReportHeader;
  rows: ProbeRow[];
  overallStale: ProbeRow["stale"];
  verdictCounts: Record<string, number>;
  thresholds: Record<string, number>;
  detectors: DetectorView[];
  /** Detectors the backend could not compute: [label, reason] (e.g. Min-K%++ over an HTTP API). */
  detectorsUnavailable: Array<[string, string]>;
  /** For a `code` run: one sentence on the sandbox layers its programs ran under (null otherwise). */
  sandboxNote: { text: string; warning: boolean } | null;
  /** Per problem, in the run's order; empty when the rows are not available. */
  problems: DrillProblem[];
  /** Text the drill-down records share (prompt pieces, extraction rules). */
  drill: DrillTables;
  summary: AuditSummary;
}

export const VERDICTS = ["memorized", "suspect", "fragile", "robust", "unsolved"] as const;

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function ci(v: unknown): [number, number] | null {
  return Array.isArray(v) && typeof v[0] === "number" && typeof v[1] === "number" ? [v[0], v[1]] : null;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === "object" ? (v as Obj) : {});

function staleOf(s: unknown): ProbeRow["stale"] {
  if (s === null || typeof s !== "object") return null;
  const rate = obj(obj(s)["rate"]);
  return {
    value: num(rate["value"]),
    ci: ci(rate["ci"]),
    successes: num(rate["successes"]) ?? 0,
    total: num(rate["total"]) ?? 0,
    baseline: num(obj(s)["baseline"]),
    lift: num(obj(s)["lift"]),
  };
}

/** The per-probe rows of a summary. */
export function probeRows(summary: AuditSummary): ProbeRow[] {
  return summary.probes.map((p) => {
    const g = obj(p["greedy_accuracy"]);
    const pk = obj(p["pass_at_k"]);
    const d = p["drop"] === null || p["drop"] === undefined ? null : obj(p["drop"]);
    return {
      label: p.probe,
      problems: num(p["problems"]) ?? 0,
      units: num(p["units"]) ?? 0,
      greedy: {
        value: num(g["value"]),
        ci: ci(g["ci"]),
        successes: num(g["successes"]) ?? 0,
        total: num(g["total"]) ?? 0,
      },
      passAtK: Object.keys(pk)
        .map(Number)
        .filter((k) => Number.isInteger(k) && k > 0)
        .sort((a, b) => a - b)
        .map((k) => ({ k, value: num(obj(pk[k])["value"]), ci: ci(obj(pk[k])["ci"]) })),
      drop: d
        ? {
            value: num(d["drop"]),
            ci: ci(d["ci"]),
            p: num(obj(d["mcnemar"])["p_value"]),
            pairs: num(d["pairs"]) ?? 0,
          }
        : null,
      stale: staleOf(p["stale"]),
    };
  });
}

/**
 * What the report is about, for its title: the model (a served model's name, or the model
 * folder's name) on the data set; the data set alone when the model is not known.
 */
function modelTitle(summary: AuditSummary, header: ReportHeader): string {
  const served = (summary.manifest.config as unknown as Obj)["served"] as { model?: unknown } | undefined;
  const name =
    typeof served?.model === "string"
      ? served.model
      : header.modelPath
        ? (header.modelPath
            .replace(/[\\/]+$/, "")
            .split(/[\\/]/)
            .pop() ?? null)
        : null;
  return name ? `${name} on ${header.dataset.name}` : header.dataset.name;
}

/** The header figures of a summary; `modelPath` when the caller knows it (the run does not record it). */
export function reportHeader(summary: AuditSummary, modelPath?: string | null): ReportHeader {
  const c = summary.manifest.config;
  const started = Date.parse(summary.manifest.started_at);
  const finished =
    summary.manifest.finished_at === null ? Number.NaN : Date.parse(summary.manifest.finished_at);
  const recordedPath = (c as unknown as Obj)["model"] ?? (c as unknown as Obj)["modelPath"];
  return {
    modelPath: modelPath ?? (typeof recordedPath === "string" ? recordedPath : null),
    modelFiles: Object.entries(c.modelFiles ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    dataset: {
      name: c.dataset.name,
      sha256: c.dataset.sha256,
      problems: summary.counts.problems,
      variants: summary.counts.variants,
    },
    probes: [...c.probes],
    promptFormat: c.promptFormat.name,
    decoding: c.decoding,
    ks: [...c.ks],
    seeds: c.seeds,
    litmusVersion: c.litmusVersion,
    onnxruntimeVersion: c.onnxruntimeVersion,
    executionProvider: c.executionProvider,
    startedAt: summary.manifest.started_at,
    finishedAt: summary.manifest.finished_at,
    runSeconds: Number.isFinite(started) && Number.isFinite(finished) ? (finished - started) / 1000 : null,
    complete: summary.complete,
    completions: summary.counts.completions,
    expectedCompletions: summary.counts.expected_completions,
    noAnswer: summary.counts.no_answer,
    generation: generationText(summary),
    decodePath: decodePathText(summary),
    // Summaries written before --skip-too-long existed have no such count.
    skippedTooLong: summary.counts.skipped_too_long ?? 0,
    level: summary.bootstrap.level,
    resamples: summary.bootstrap.resamples,
  };
}

export interface ModelOptions {
  modelPath?: string | null;
  title?: string;
}

export function buildModel(
  summary: AuditSummary,
  run: StoredRun | null,
  options: ModelOptions = {},
): ReportModel {
  const header = reportHeader(summary, options.modelPath);
  const drill = run ? drillData(summary, run) : { tables: { texts: [], rules: [] }, problems: [] };
  return {
    title: options.title ?? `litmus audit: ${modelTitle(summary, header)}`,
    header,
    rows: probeRows(summary),
    overallStale: staleOf(summary.stale),
    verdictCounts: { ...summary.verdict_counts },
    thresholds: { ...summary.thresholds },
    detectors: readDetectors(summary),
    detectorsUnavailable: readUnavailableDetectors(summary),
    sandboxNote: sandboxNote(summary),
    problems: drill.problems,
    drill: drill.tables,
    summary,
  };
}

/** The sandbox sentence of a `code` run (summaries written before it existed have none). */
export function sandboxNote(summary: AuditSummary): ReportModel["sandboxNote"] {
  const layers = (summary as Partial<AuditSummary>).sandbox ?? null;
  if (!layers) return null;
  const present = [
    ...(layers.permission ? ["Node's permission model"] : []),
    ...(layers.namespaces ? ["Linux namespaces (bubblewrap)"] : []),
  ];
  const ran = `Generated programs ran in the sandbox under ${present.length > 0 ? present.join(" and ") : "no OS layer"}`;
  if (layers.missing.length === 0) return { text: `${ran}.`, warning: false };
  return { text: `${ran}; missing: ${layers.missing.join("; ")}.`, warning: true };
}
