/**
 * Writes a run's files from its store alone: summary.json, samples.jsonl, summary.md, junit.xml.
 * Each file is replaced atomically, so a run killed while exporting leaves the old file or the
 * new one, never a torn one; running the export again gives the same bytes.
 */
import { join } from "node:path";
import { writeFileAtomic, writeLinesAtomic } from "../data/index.js";
import { computeDetectorScores, type DetectorReport } from "../detectors/index.js";
import type { Backend } from "../runner/index.js";
import type { RunStore } from "../store/index.js";
import { storedDecodePaths } from "./decode-path-note.js";
import type { GateResult } from "./gates.js";
import { readStoredRun, type StoredRun } from "./records.js";
import { junitXml, summaryMarkdown } from "./report.js";
import { sampleLine } from "./samples.js";
import { storedSandboxLayers } from "./sandbox-note.js";
import { storedSkippedProblems } from "./skipped-note.js";
import { type AuditSummary, buildSummary } from "./summary.js";
import type { AuditRunConfig } from "./types.js";

export const SUMMARY_FILE = "summary.json";
export const SAMPLES_FILE = "samples.jsonl";
export const SUMMARY_MD_FILE = "summary.md";
export const JUNIT_FILE = "junit.xml";

/**
 * The summary of a stored run, plus its metrics saved back into the store. The run is read without
 * its completions' texts (the metrics do not need them), so a run of long completions summarizes
 * in little memory; `run` is returned for streaming samples.jsonl (writeDataExports).
 */
export function summarizeStore(
  store: RunStore,
  detectors: DetectorReport | null = null,
): { summary: AuditSummary; run: StoredRun } {
  const manifest = store.manifest();
  if (!manifest) throw new Error("the run store holds no run");
  const run = readStoredRun(store, (manifest.config as AuditRunConfig).probes, { texts: false });
  const summary = buildSummary(
    manifest,
    run,
    detectors,
    storedSandboxLayers(store),
    storedSkippedProblems(store),
    storedDecodePaths(store),
  );
  store.putMetrics(Object.entries(summary.metrics).map(([name, value]) => ({ name, value })));
  return { summary, run };
}

/**
 * The detector scores of a stored run: CDD from the stored completions, and with a backend the
 * likelihood scores and (with a budget) the exchangeability test. Each text's likelihood scores
 * are stored as they are computed and reused (a resumed run or a merge scores no text twice);
 * without a backend the stored ones are used. Deterministic for a run, so a resumed or
 * re-exported run gets the same figures.
 */
export async function detectStoredRun(
  store: RunStore,
  backend: Backend | null,
  options: {
    seed: number;
    resamples: number;
    level: number;
    budget: number;
    unscoredReason?: string;
    onProgress?: (p: { phase: string; done: number; total: number }) => void;
  },
): Promise<DetectorReport> {
  const manifest = store.manifest();
  if (!manifest) throw new Error("the run store holds no run");
  const run = readStoredRun(store, (manifest.config as AuditRunConfig).probes);
  return computeDetectorScores(
    {
      problems: run.problems,
      variants: run.variants,
      completions: run.rows.map((r) => ({
        problemId: r.problem.id,
        variantId: r.variant?.id ?? null,
        probe: r.request.probe,
        sampleIndex: r.completion.sampleIndex,
        text: r.completion.text,
        ...(r.completion.tokens ? { tokens: r.completion.tokens } : {}),
        ...(r.completion.finishReason === "truncated" ? { truncated: true } : {}),
      })),
    },
    backend,
    {
      seed: options.seed,
      resamples: options.resamples,
      level: options.level,
      exchangeabilityBudget: options.budget,
      stored: store.textScores(),
      onScored: (scores) => store.putTextScores(scores),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.unscoredReason ? { unscoredReason: options.unscoredReason } : {}),
    },
  );
}

/** summary.json's text: 2-space indented JSON, one trailing newline. */
export function summaryJson(summary: AuditSummary): string {
  return `${JSON.stringify(summary, null, 2)}\n`;
}

/**
 * summary.json, and samples.jsonl streamed from the store request by request in the canonical
 * order (one request's completions in memory at a time), so a run whose samples.jsonl is larger
 * than memory, or than the longest string V8 can hold, still exports.
 */
export async function writeDataExports(
  runDir: string,
  store: RunStore,
  summary: AuditSummary,
  run: StoredRun,
): Promise<void> {
  const problemById = new Map(run.problems.map((p) => [p.id, p]));
  const variantById = new Map(run.variants.map((v) => [v.id, v]));
  await writeLinesAtomic(
    join(runDir, SAMPLES_FILE),
    (function* () {
      for (const request of run.requests) {
        const problem = problemById.get(request.problemId);
        if (!problem) throw new Error(`stored request ${request.id} of unknown problem ${request.problemId}`);
        const variant = request.variantId === null ? null : (variantById.get(request.variantId) ?? null);
        for (const completion of store.completionsOf(request.id))
          yield `${JSON.stringify(sampleLine({ problem, variant, request, completion }))}\n`;
      }
    })(),
  );
  await writeFileAtomic(join(runDir, SUMMARY_FILE), new TextEncoder().encode(summaryJson(summary)));
}

export async function writeGateReports(
  runDir: string,
  summary: AuditSummary,
  gates: readonly GateResult[],
  report: { title: string; body: string } | null = null,
): Promise<void> {
  const enc = new TextEncoder();
  await writeFileAtomic(join(runDir, SUMMARY_MD_FILE), enc.encode(summaryMarkdown(summary, gates, report)));
  await writeFileAtomic(join(runDir, JUNIT_FILE), enc.encode(junitXml(gates, summary)));
}
