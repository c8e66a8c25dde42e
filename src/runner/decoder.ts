/**
 * The decode loop's view of the KV cache after the prefill: one step of one token per row, row
 * selection, close. Two strategies behind it:
 * - {@link SlotDecoder}: a slot cache kept beside the session (in its worker), fed whole and
 *   extended by each step's new key/value only (graphs that expose them, see kv-slices.ts);
 * - {@link PresentDecoder}: the graph's own `present.*` outputs fed back each step (any graph).
 */
import type { KvCache } from "./kv-cache.js";
import { readLogits } from "./logits.js";
import type { CausalLM } from "./model.js";
import type { Tensor } from "./ort.js";
import { leftPad, prefill } from "./prefill.js";
import { asOneCache, type PrefillCaches, wholeCache } from "./prefill-groups.js";
import type { SlotOp, SlotReply, SlotRunner } from "./slot-decoder.js";

/** Slots added at a time to a slot cache; see slot-cache.ts. */
export { GROW_SLOTS } from "./slot-cache.js";

export interface Decoder {
  /**
   * One token per row; returns the logits [rows, 1, vocab]. `pads[r]` is row r's leading padding;
   * `room` how many more steps may follow (a slot cache that is full grows by up to that much).
   */
  step(inputIds: number[], positionIds: number[], pads: number[], room: number): Promise<Tensor>;
  /** Keeps rows `rowMap` (in that order) without the first `dropColumns` positions. */
  selectRows(rowMap: number[], dropColumns: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A decoder over the prefill's `caches` (consumed) whose row r is prompt `rowMap[r]`, with room for
 * `capacity` positions when it keeps a slot cache, and memory reserved for `reserve`.
 */
export async function openDecoder(
  lm: CausalLM,
  caches: PrefillCaches,
  rowMap: readonly number[],
  capacity: number,
  reserve = capacity,
): Promise<Decoder> {
  const runner = lm.slots();
  if (runner) {
    const reply = await runner.slotOp({
      op: "begin",
      parts: caches.parts.map((p) => ({ cache: p.cache.tensors, prompts: [...p.prompts] })),
      width: caches.width,
      pads: [...caches.pads],
      rowMap: [...rowMap],
      capacity,
      reserve,
    });
    return new SlotDecoder(runner, reply.handle, reply);
  }
  const cache = asOneCache(caches);
  const identity = rowMap.length === cache.rows && rowMap.every((v, i) => v === i);
  return new PresentDecoder(lm, identity ? cache : cache.selectRows(rowMap));
}

export class SlotDecoder implements Decoder {
  private length: number;
  private capacity: number;
  private closed = false;

  constructor(
    private readonly runner: SlotRunner,
    private readonly handle: number,
    state: SlotReply,
  ) {
    this.length = state.length;
    this.capacity = state.capacity;
  }

  private async apply(op: SlotOp): Promise<SlotReply> {
    if (this.closed) throw new Error("the slot cache is closed");
    const reply = await this.runner.slotOp(op);
    this.length = reply.length;
    this.capacity = reply.capacity;
    return reply;
  }

  async step(inputIds: number[], positionIds: number[], pads: number[], room: number): Promise<Tensor> {
    if (this.length === this.capacity) {
      await this.apply({ op: "grow", handle: this.handle, extra: Math.max(1, room) });
    }
    const reply = await this.apply({ op: "step", handle: this.handle, inputIds, positionIds, pads });
    if (!reply.logits) throw new Error("a step returned no logits");
    return reply.logits as Tensor;
  }

  async selectRows(rowMap: number[], dropColumns: number): Promise<void> {
    await this.apply({ op: "select", handle: this.handle, rowMap, dropColumns });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.apply({ op: "end", handle: this.handle });
    this.closed = true;
  }
}

export class PresentDecoder implements Decoder {
  constructor(
    private readonly lm: CausalLM,
    private cache: KvCache,
  ) {}

  async step(inputIds: number[], positionIds: number[], pads: number[]): Promise<Tensor> {
    const total = this.cache.length + 1;
    const attentionMask: number[] = [];
    for (const pad of pads) for (let c = 0; c < total; c++) attentionMask.push(c >= pad ? 1 : 0);
    const out = await this.lm.forward(
      { rows: inputIds.length, seqLen: 1, inputIds, attentionMask, positionIds },
      this.cache,
    );
    this.cache = out.cache;
    return out.logits;
  }

  async selectRows(rowMap: number[], dropColumns: number): Promise<void> {
    this.cache = this.cache.selectRows(rowMap, dropColumns);
  }

  async close(): Promise<void> {}
}

/**
 * Checks the slot cache against the plain path on this very graph: the same two-row batch (one
 * row left-padded) prefilled twice, then two steps each way (the second reads what the first
 * wrote into a slot), the slot cache holding masked empty slots. Returns the largest |logit
 * difference|. A graph that ignored the attention mask, or whose appended tensor is not what ends
 * up in `present.*`, shows up here rather than as silently wrong completions.
 */
export async function slotStepMismatch(lm: CausalLM): Promise<number> {
  if (!lm.slots()) return 0;
  const a = lm.bosId;
  const b = lm.eosIds[0] ?? lm.bosId;
  const batch = leftPad(
    [
      [a, b, a],
      [b, a],
    ],
    b,
  );
  const steps = [
    { ids: [b, b], positions: [3, 2] },
    { ids: [a, b], positions: [4, 3] },
  ];
  const run = async (decoder: Decoder): Promise<Tensor[]> => {
    const out: Tensor[] = [];
    try {
      for (const s of steps) out.push(await decoder.step(s.ids, s.positions, batch.pads, 1));
    } finally {
      await decoder.close();
    }
    return out;
  };
  const plain = await run(new PresentDecoder(lm, (await prefill(lm, batch)).cache));
  const pre = await prefill(lm, batch);
  const slotted = await run(await openDecoder(lm, wholeCache(pre.cache), [0, 1], pre.cache.length + 4));
  const x = new Float32Array(lm.info.vocabColumns);
  const y = new Float32Array(lm.info.vocabColumns);
  let worst = 0;
  plain.forEach((logits, k) => {
    for (let r = 0; r < 2; r++) {
      readLogits(logits, r, 0, x);
      readLogits(slotted[k]!, r, 0, y);
      worst = Math.max(worst, maxAbsDiff(x, y));
    }
  });
  return worst;
}

/**
 * How much the plain path differs from itself on this graph: the same sequence decoded alone and
 * left-padded beside a longer one (the rows of {@link slotStepMismatch}), largest |logit
 * difference| over two steps. Exact arithmetic gives 0; fp32 graphs give ~1e-6, graphs whose
 * MatMulNBits quantize activations to int8 (accuracy_level 4) ~1e-1, since a changed rounding in
 * the attention can move an activation across an int8 step. The slot cache's own difference is
 * judged against it.
 */
export async function paddingNoise(lm: CausalLM): Promise<number> {
  const a = lm.bosId;
  const b = lm.eosIds[0] ?? lm.bosId;
  const decodeRow = async (seqs: number[][], row: number): Promise<Float32Array[]> => {
    const batch = leftPad(seqs, b);
    const decoder = new PresentDecoder(lm, (await prefill(lm, batch)).cache);
    const out: Float32Array[] = [];
    for (const step of [0, 1]) {
      const logits = await decoder.step(
        seqs.map(() => b),
        seqs.map((q) => q.length + step),
        batch.pads,
      );
      const x = new Float32Array(lm.info.vocabColumns);
      readLogits(logits, row, 0, x);
      out.push(x);
    }
    return out;
  };
  const alone = await decodeRow([[b, a]], 0);
  const padded = await decodeRow(
    [
      [a, b, a],
      [b, a],
    ],
    1,
  );
  return Math.max(0, ...alone.map((x, k) => maxAbsDiff(x, padded[k]!)));
}

/** The largest |x[i] - y[i]|; infinite when any difference is NaN (a broken graph must not pass). */
function maxAbsDiff(x: Float32Array, y: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i]! - y[i]!);
    if (!(d <= worst)) worst = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  return worst;
}
