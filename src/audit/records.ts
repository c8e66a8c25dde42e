/**
 * Reads a stored run back as joined, canonically ordered rows. Every export is derived from these
 * rows alone, in this order, so an uninterrupted run, a resumed run and merged shards (whose rows
 * were inserted in different orders) give byte-identical files.
 */
import { ORIGINAL } from "../metrics/index.js";
import type { RunStore } from "../store/index.js";
import type { AuditRequest, CompletionRecord, ScoredCompletion } from "../types/audit.js";
import type { Problem, Variant } from "../types/index.js";

export interface StoredRow {
  problem: Problem;
  variant: Variant | null;
  request: AuditRequest;
  completion: CompletionRecord;
}

export interface StoredRun {
  problems: Problem[];
  variants: Variant[];
  requests: AuditRequest[];
  rows: StoredRow[];
}

/**
 * Problems by (source, line); within a problem the original first, then variants by probe order
 * (`probes`, the run's list), kind and index; within a prompt greedy first, then samples by index.
 */
export function readStoredRun(
  store: RunStore,
  probes: readonly string[],
  options: { texts?: boolean } = {},
): StoredRun {
  const problems = store.problems().sort(compareProblems);
  const problemRank = new Map(problems.map((p, i) => [p.id, i]));
  const variants = store.variants();
  const variantById = new Map(variants.map((v) => [v.id, v]));
  const probeRank = (probe: string) => (probe === ORIGINAL ? -1 : probes.indexOf(probe));
  const requests = store.requests();
  const requestById = new Map(requests.map((r) => [r.id, r]));
  const problemById = new Map(problems.map((p) => [p.id, p]));

  const compareRequests = (a: AuditRequest, b: AuditRequest): number => {
    const pa = problemRank.get(a.problemId) ?? 0;
    const pb = problemRank.get(b.problemId) ?? 0;
    if (pa !== pb) return pa - pb;
    if (a.variantId !== b.variantId) {
      if (a.variantId === null) return -1;
      if (b.variantId === null) return 1;
      const va = variantById.get(a.variantId);
      const vb = variantById.get(b.variantId);
      const ra = probeRank(a.probe);
      const rb = probeRank(b.probe);
      if (ra !== rb) return ra - rb;
      if (va && vb && va.kind !== vb.kind) return va.kind < vb.kind ? -1 : 1;
      return compareNatural(a.variantId, b.variantId);
    }
    if (a.mode !== b.mode) return a.mode === "greedy" ? -1 : 1;
    return 0;
  };
  requests.sort(compareRequests);
  const rows: StoredRow[] = [];
  for (const completion of store.completions(options)) {
    const request = requestById.get(completion.requestId);
    if (!request) throw new Error(`stored completion of unknown request ${completion.requestId}`);
    const problem = problemById.get(request.problemId);
    if (!problem) throw new Error(`stored request ${request.id} of unknown problem ${request.problemId}`);
    const variant = request.variantId === null ? null : (variantById.get(request.variantId) ?? null);
    rows.push({ problem, variant, request, completion });
  }
  rows.sort(
    (a, b) =>
      compareRequests(a.request, b.request) ||
      (a.completion.sampleIndex ?? -1) - (b.completion.sampleIndex ?? -1),
  );
  variants.sort(
    (a, b) =>
      (problemRank.get(a.problemId) ?? 0) - (problemRank.get(b.problemId) ?? 0) ||
      probeRank(a.probe) - probeRank(b.probe) ||
      (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0) ||
      compareNatural(a.id, b.id),
  );
  return { problems, variants, requests, rows };
}

/** The tier-1 input of the metrics. */
export function toScored(row: StoredRow): ScoredCompletion {
  return {
    problemId: row.request.problemId,
    variantId: row.request.variantId,
    probe: row.request.probe,
    sampleIndex: row.completion.sampleIndex,
    answer: row.completion.answer,
    expected: row.request.expected,
    originalAnswer: row.request.originalAnswer,
    answerChanged: row.request.answerChanged,
    correct: row.completion.correct,
  };
}

function compareProblems(a: Problem, b: Problem): number {
  if (a.source !== b.source) return a.source < b.source ? -1 : 1;
  if (a.line !== b.line) return a.line - b.line;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Compares strings with digit runs as numbers (`x/2` before `x/10`). */
export function compareNatural(a: string, b: string): number {
  const pa = a.split(/(\d+)/);
  const pb = b.split(/(\d+)/);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] as string;
    const y = pb[i] as string;
    if (x === y) continue;
    if (i % 2 === 1) return Number(x) - Number(y) || (x < y ? -1 : 1);
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}
