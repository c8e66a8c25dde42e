/**
 * Left-padded batches and the prefill pass. A prompt runs in chunks of columns so that no single
 * step returns more than `maxLogitsBytes` of logits (the graph returns logits for every position).
 */
import type { KvCache } from "./kv-cache.js";
import type { CausalLM } from "./model.js";
import type { Tensor } from "./ort.js";

export interface PaddedBatch {
  rows: number;
  width: number;
  /** Leading padding columns of each row. */
  pads: number[];
  /** rows * width ids (padding = padId). */
  ids: number[];
}

export function leftPad(seqs: readonly (readonly number[])[], padId: number): PaddedBatch {
  const width = Math.max(...seqs.map((s) => s.length));
  const pads = seqs.map((s) => width - s.length);
  const ids: number[] = [];
  seqs.forEach((s, r) => {
    for (let i = 0; i < pads[r]!; i++) ids.push(padId);
    ids.push(...s);
  });
  return { rows: seqs.length, width, pads, ids };
}

/**
 * Indices grouped by equal length, groups in order of first appearance. A graph without
 * `position_ids` (the onnxruntime-genai builder's, with GroupQueryAttention) derives positions
 * and the valid part of each row from the attention mask as if rows were right-padded, so a
 * left-padded row comes out silently wrong (tests/runner/genai.test.ts): such graphs get batches
 * whose rows need no padding.
 */
export function equalLengthGroups(lengths: readonly number[]): number[][] {
  const groups = new Map<number, number[]>();
  lengths.forEach((len, i) => {
    const g = groups.get(len);
    if (g) g.push(i);
    else groups.set(len, [i]);
  });
  return [...groups.values()];
}

/** Default cap on the logits one prefill step may return (256 MiB). */
export const DEFAULT_MAX_LOGITS_BYTES = 256 * 1024 * 1024;

export interface PrefillResult {
  cache: KvCache;
  /** Logits of the last chunk; every row's last prompt token is at position `lastPosition`. */
  logits: Tensor;
  lastPosition: number;
}

/**
 * Runs a padded batch through the model. `onChunk(logits, start)` sees each chunk's logits, whose
 * position p is column start + p of the padded batch. `past` (consumed), when given, already holds
 * the batch's first `past.length` columns (a shared prefix, see prefix-cache.ts): the run starts
 * after them.
 */
export async function prefill(
  lm: CausalLM,
  batch: PaddedBatch,
  options: {
    maxLogitsBytes?: number;
    onChunk?: (logits: Tensor, start: number) => void;
    afterStep?: () => Promise<void>;
    past?: KvCache;
  } = {},
): Promise<PrefillResult> {
  const budget = options.maxLogitsBytes ?? DEFAULT_MAX_LOGITS_BYTES;
  const bytesPerLogit = lm.info.logitsType === "float16" ? 2 : 4;
  const chunk = Math.max(1, Math.floor(budget / (batch.rows * lm.info.vocabColumns * bytesPerLogit)));
  let cache = options.past ?? lm.emptyCache(batch.rows);
  if (cache.rows !== batch.rows || cache.length >= batch.width)
    throw new Error(`a past of ${cache.rows}x${cache.length} for a batch of ${batch.rows}x${batch.width}`);
  let logits: Tensor | undefined;
  let lastPosition = 0;
  for (let start = cache.length; start < batch.width; start += chunk) {
    const len = Math.min(chunk, batch.width - start);
    const end = start + len;
    const inputIds: number[] = [];
    const positionIds: number[] = [];
    const attentionMask: number[] = [];
    for (let r = 0; r < batch.rows; r++) {
      const pad = batch.pads[r]!;
      for (let c = start; c < end; c++) {
        inputIds.push(batch.ids[r * batch.width + c]!);
        // As Hugging Face: cumulative mask - 1, and 1 on padding.
        positionIds.push(c >= pad ? c - pad : 1);
      }
      for (let c = 0; c < end; c++) attentionMask.push(c >= pad ? 1 : 0);
    }
    const out = await lm.forward(
      { rows: batch.rows, seqLen: len, inputIds, attentionMask, positionIds },
      cache,
    );
    cache = out.cache;
    logits = out.logits;
    lastPosition = len - 1;
    options.onChunk?.(logits, start);
    await options.afterStep?.();
  }
  return { cache, logits: logits!, lastPosition };
}

/** Lets timers and I/O (progress output, signals) run between blocking model steps. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
