/**
 * Runs the planned batches through a backend and commits every completion, scored, as soon as the
 * backend hands it over. Batches whose completions are all stored are skipped, and a batch that is
 * partly stored asks only for the completions it lacks (each sample keeps its seed), so a resumed
 * run does only what is missing and no completion is generated twice.
 */
import { pipelineByName } from "../extract/index.js";
import { scoreCompletion } from "../metrics/index.js";
import type { Backend, Completion, GenerateRequest, GenerationConfig, Progress } from "../runner/types.js";
import type { PythonSandbox } from "../sandbox/index.js";
import type { RunStore } from "../store/index.js";
import {
  type AuditRequest,
  CDD_TOKENS,
  type CodeProgramRule,
  type CompletionRecord,
} from "../types/audit.js";
import { scoreCodeCompletion } from "./code-answer.js";
import { rowsOf } from "./plan.js";

export interface ExecuteOptions {
  /** Run-wide decoding settings (seed, temperature, top-p, top-k, max new tokens). */
  generation: Pick<GenerationConfig, "seed" | "temperature" | "topP" | "topK" | "maxNewTokens">;
  pipeline: string;
  /**
   * Set for a format whose answers come from code (`answerFrom: "code"`): each completion's answer
   * is what its `solution()` returns in this sandbox, instead of the extraction pipeline's.
   */
  sandbox?: PythonSandbox;
  /** How a code format's program is made from each completion (default `completion-body`). */
  codeProgram?: CodeProgramRule;
  /** Called after each batch is committed. */
  onBatch?: (event: BatchEvent) => void;
  /** Called between model steps within a batch. */
  onStep?: (progress: Progress) => void;
}

export interface BatchEvent {
  /** Completions newly recorded by this batch. */
  recorded: number;
  /** Generated tokens of those completions. */
  tokens: number;
  /** Requests of the batch (all now complete). */
  requests: readonly AuditRequest[];
}

export interface ExecuteResult {
  batchesRun: number;
  batchesSkipped: number;
  recorded: number;
}

/** The (request, sample) keys a request still needs. */
export function missingSamples(store: RunStore, request: AuditRequest): Array<number | null> {
  if (request.mode === "greedy") return store.hasCompletion(request.id, null) ? [] : [null];
  const out: number[] = [];
  for (let j = 0; j < request.n; j++) if (!store.hasCompletion(request.id, j)) out.push(j);
  return out;
}

/**
 * The runner request for an audit request: greedy ones override the sampling settings. `missing`
 * (from missingSamples) limits a sampled request to the samples the store lacks.
 */
export function toGenerateRequest(
  request: AuditRequest,
  missing: ReadonlyArray<number | null> = [],
): GenerateRequest {
  const config: Partial<GenerationConfig> =
    request.mode === "greedy"
      ? { temperature: 0, topP: 1, topK: 0, n: 1, stop: request.stop }
      : { n: request.n, stop: request.stop };
  const samples = missing.filter((j): j is number => j !== null);
  const partial = request.mode === "sampled" && samples.length > 0 && samples.length < request.n;
  return {
    id: request.id,
    prompt: request.prompt,
    ...(request.messages ? { messages: request.messages } : {}),
    config,
    ...(partial ? { samples } : {}),
    ...(request.sharedPrefix ? { sharedPrefix: request.sharedPrefix } : {}),
  };
}

/** Extracts, scores and shapes one runner completion as the record the store keeps. */
export function toRecord(request: AuditRequest, c: Completion, pipeline: string): CompletionRecord {
  const score = scoreCompletion(c.text, request, pipelineByName(pipeline));
  return shapeRecord(request, c, {
    answer: score.extraction.answer,
    rule: score.extraction.rule,
    correct: score.correct,
  });
}

/** toRecord for a `code` format: the answer is what the completion's `solution()` returns. */
export async function toCodeRecord(
  request: AuditRequest,
  c: Completion,
  sandbox: PythonSandbox,
  codeProgram: CodeProgramRule = "completion-body",
): Promise<CompletionRecord> {
  const score = await scoreCodeCompletion(sandbox, c.text, request, codeProgram);
  return shapeRecord(request, c, { answer: score.answer, rule: score.rule, correct: score.correct });
}

/** The stored record of a completion, whichever way its answer was found. */
function shapeRecord(
  request: AuditRequest,
  c: Completion,
  scored: Pick<CompletionRecord, "answer" | "rule" | "correct">,
): CompletionRecord {
  const greedy = request.mode === "greedy";
  return {
    requestId: request.id,
    sampleIndex: greedy ? null : c.sampleIndex,
    text: c.text,
    tokenCount: c.tokenIds.length,
    ...cddTokens(c),
    finishReason: c.finishReason,
    seed: greedy ? null : c.seed,
    answer: scored.answer,
    rule: scored.rule,
    correct: scored.correct,
  };
}

/**
 * The tokens CDD compares. A server that returns no per-token log-probs (transformers serve)
 * gives no tokens either: the record then has none, and CDD compares the texts' characters
 * rather than empty token lists that would all look identical.
 */
function cddTokens(c: Completion): Pick<CompletionRecord, "tokens"> {
  if (c.tokens) return { tokens: c.tokens.slice(0, CDD_TOKENS) };
  if (c.tokenIds.length === 0 && c.text !== "") return {};
  return { tokens: c.tokenIds.map(String).slice(0, CDD_TOKENS) };
}

export async function executeBatches(
  store: RunStore,
  backend: Backend,
  batches: readonly AuditRequest[][],
  options: ExecuteOptions,
): Promise<ExecuteResult> {
  const result: ExecuteResult = { batchesRun: 0, batchesSkipped: 0, recorded: 0 };
  for (const batch of batches) {
    const wanted = batch
      .map((r) => ({ request: r, missing: missingSamples(store, r) }))
      .filter((w) => w.missing.length > 0);
    if (wanted.length === 0) {
      result.batchesSkipped++;
      continue;
    }
    const byId = new Map(batch.map((r) => [r.id, r]));
    let recorded = 0;
    let tokens = 0;
    // Each completion is committed as soon as the backend hands it over (an HTTP backend hands
    // them over one by one), so a killed run keeps every finished one and asks only for the rest.
    // Commits run one after another (a code format's programs share one sandbox).
    let chain: Promise<void> = Promise.resolve();
    let failure: { error: unknown } | null = null;
    const enqueue = (c: Completion): void => {
      chain = chain
        .then(() => commit(c))
        .catch((error: unknown) => {
          failure ??= { error };
        });
    };
    const commit = async (c: Completion): Promise<void> => {
      const request = byId.get(c.requestId);
      if (!request) throw new Error(`backend returned a completion for unknown request ${c.requestId}`);
      if (request.mode === "greedy" && c.sampleIndex !== 0) return;
      const sampleIndex = request.mode === "greedy" ? null : c.sampleIndex;
      // A completion already stored (from before a kill) keeps its record; its code is not rerun.
      if (store.hasCompletion(request.id, sampleIndex)) return;
      const record = options.sandbox
        ? await toCodeRecord(request, c, options.sandbox, options.codeProgram)
        : toRecord(request, c, options.pipeline);
      // Durable when this returns.
      if (store.recordCompletion(record)) {
        recorded++;
        tokens += c.tokenIds.length;
      }
    };
    const seen = new Set<Completion>();
    const onCompletion = (c: Completion): void => {
      seen.add(c);
      enqueue(c);
    };
    let completions: Completion[];
    try {
      completions = await backend.generate(
        wanted.map((w) => toGenerateRequest(w.request, w.missing)),
        { ...options.generation, n: 1, stop: [] },
        { onCompletion, ...(options.onStep ? { onProgress: options.onStep } : {}) },
      );
    } finally {
      // What arrived before a failure is kept.
      await chain;
    }
    for (const c of completions) if (!seen.has(c)) enqueue(c);
    await chain;
    if (failure) throw (failure as { error: unknown }).error;
    const incomplete = batch.find((r) => missingSamples(store, r).length > 0);
    if (incomplete) throw new Error(`backend returned no completion for ${incomplete.id}`);
    result.batchesRun++;
    result.recorded += recorded;
    options.onBatch?.({ recorded, tokens, requests: batch });
  }
  return result;
}

/** Completions a list of requests needs in all. */
export function totalCompletions(requests: readonly AuditRequest[]): number {
  return requests.reduce((sum, r) => sum + rowsOf(r), 0);
}
