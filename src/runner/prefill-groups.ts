/**
 * Prefill without paying for padding. A batch of different questions left-padded to its longest
 * prompt computes every padding column as if it were a token: GSM8K's first 16 test questions in the
 * qa format are 1,027 tokens, padded 1,744 (1.7x the compute, and a prefill is compute-bound).
 * Prompts of similar length are prefilled together instead, each group padded only to its own
 * longest prompt, and the groups' caches are then laid out as the whole batch's left-padded cache
 * (the decode steps run all rows together as before).
 */
import { KvCache } from "./kv-cache.js";
import type { CausalLM } from "./model.js";
import { makeTensor, type Tensor, type TensorData, type TensorType } from "./ort.js";
import { leftPad, type PaddedBatch, type PrefillResult, prefill } from "./prefill.js";

/**
 * What one more prefill call costs, in prompt tokens of compute: every call streams all weights
 * once (phi-1.5 fp32 on 2 cores: ~90 ms, against ~15 ms of compute per prompt token; int4: ~14
 * against ~7), so splitting a batch pays only when it saves more padding than this.
 */
export const PREFILL_CALL_TOKENS = 8;

/**
 * Indices of `lengths` cut into groups that minimize the prefill's work: per group, `callTokens`
 * plus its rows times its longest length. Groups hold consecutive lengths in ascending order (an
 * optimal grouping always does), found exactly by dynamic programming over the sorted lengths.
 */
export function prefillGroups(lengths: readonly number[], callTokens = PREFILL_CALL_TOKENS): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const n = order.length;
  // best[k]: least work for the k shortest prompts; cut[k]: where their last group starts.
  const best = new Array<number>(n + 1).fill(Number.POSITIVE_INFINITY);
  const cut = new Array<number>(n + 1).fill(0);
  best[0] = 0;
  for (let k = 1; k <= n; k++) {
    const longest = lengths[order[k - 1]!]!;
    for (let start = 0; start < k; start++) {
      const work = best[start]! + callTokens + (k - start) * longest;
      if (work < best[k]!) {
        best[k] = work;
        cut[k] = start;
      }
    }
  }
  const groups: number[][] = [];
  for (let k = n; k > 0; k = cut[k]!) groups.unshift(order.slice(cut[k]!, k));
  return groups;
}

export interface GroupedPrefillOptions {
  maxLogitsBytes?: number;
  afterStep?: () => Promise<void>;
  /** The first columns of a sub-batch, when a shared prefix already holds them (consumed). */
  pastFor?: (batch: PaddedBatch, rows: readonly number[]) => Promise<KvCache | undefined>;
}

/**
 * A batch's prompt caches as the prefill left them: part row j holds prompt `prompts[j]`, its real
 * positions right-aligned; laid out as one left-padded cache they are `width` columns with
 * `pads[p]` padding for prompt p (KvCache.assemble, or the slot cache directly).
 */
export interface PrefillCaches {
  parts: { cache: KvCache; prompts: readonly number[] }[];
  width: number;
  pads: readonly number[];
}

/** One cache as it is: every column kept (its own padding included). */
export function wholeCache(cache: KvCache): PrefillCaches {
  return {
    parts: [{ cache, prompts: Array.from({ length: cache.rows }, (_, p) => p) }],
    width: cache.length,
    pads: new Array<number>(cache.rows).fill(0),
  };
}

/** The caches laid out as one left-padded cache (the very cache when there is one, whole). */
export function asOneCache(caches: PrefillCaches): KvCache {
  const only = caches.parts.length === 1 ? caches.parts[0]! : undefined;
  if (only?.prompts.every((p, j) => p === j) && only.cache.length === caches.width) return only.cache;
  return KvCache.assemble(
    caches.parts.map((p) => ({ cache: p.cache, rows: p.prompts })),
    caches.pads,
    caches.width,
  );
}

export interface GroupedPrefill {
  caches: PrefillCaches;
  /** Each prompt's logits at its last position: row p of `logits`, at `lastPosition`. */
  logits: Tensor;
  lastPosition: number;
}

/**
 * The prefill of `batch` (the left-padded `prompts`) run group by group; the caches are left as
 * the groups made them (laying them out as the batch's costs a copy of fresh memory, which the
 * slot cache does not need), and the logits hold each row's last prompt position ([rows, 1,
 * vocab], `lastPosition` 0). One group: a plain prefill.
 */
export async function prefillByGroups(
  lm: CausalLM,
  prompts: readonly (readonly number[])[],
  batch: PaddedBatch,
  padId: number,
  options: GroupedPrefillOptions = {},
): Promise<GroupedPrefill> {
  const groups = prefillGroups(prompts.map((p) => p.length));
  const run = async (sub: PaddedBatch, rows: readonly number[]): Promise<PrefillResult> => {
    const past = await options.pastFor?.(sub, rows);
    return prefill(lm, sub, {
      maxLogitsBytes: options.maxLogitsBytes,
      afterStep: options.afterStep,
      ...(past ? { past } : {}),
    });
  };
  if (groups.length === 1) {
    const out = await run(
      batch,
      prompts.map((_, i) => i),
    );
    return { caches: wholeCache(out.cache), logits: out.logits, lastPosition: out.lastPosition };
  }

  const parts: { cache: KvCache; rows: number[] }[] = [];
  let columns = 0;
  let logitsType: TensorType = "float32";
  let logits: Float32Array | Uint16Array | undefined;
  for (const rows of groups) {
    const out = await run(
      leftPad(
        rows.map((r) => prompts[r]!),
        padId,
      ),
      rows,
    );
    parts.push({ cache: out.cache, rows });
    const data = out.logits.data as Float32Array | Uint16Array;
    const seq = out.logits.dims[1]!;
    if (!logits) {
      columns = out.logits.dims[2]!;
      logitsType = out.logits.type as TensorType;
      logits =
        data instanceof Uint16Array
          ? new Uint16Array(batch.rows * columns)
          : new Float32Array(batch.rows * columns);
    }
    rows.forEach((to, j) => {
      const from = (j * seq + out.lastPosition) * columns;
      logits!.set(data.subarray(from, from + columns) as never, to * columns);
    });
  }
  return {
    caches: {
      parts: parts.map((p) => ({ cache: p.cache, prompts: p.rows })),
      width: batch.width,
      pads: batch.pads,
    },
    logits: makeTensor(logitsType, logits as TensorData, [batch.rows, 1, columns]) as Tensor,
    lastPosition: 0,
  };
}
