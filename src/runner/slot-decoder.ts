/**
 * Decode steps over slot caches (slot-cache.ts) kept beside the session: in the model's worker
 * thread when the session runs there. Only token ids, positions and padding go in and only the
 * logits come out per step; the cache itself never crosses threads, is never copied by
 * onnxruntime-node, and never becomes garbage (a cache moved between threads each step made V8
 * collect ~10 ms per step under "external memory pressure").
 */
import type { KvSliceNames } from "./kv-slices.js";
import { int64Tensor, type Tensor } from "./ort.js";
import { SlotBufferPool, SlotKvCache } from "./slot-cache.js";

/** A plain tensor (as it crosses threads, or as ONNX Runtime returns it). */
export interface PlainTensor {
  type: string;
  dims: readonly number[];
  data: unknown;
}

/** An operation on the slot caches of a session; each but `begin` names its cache. */
export type SlotOp =
  | {
      op: "begin";
      /**
       * The prefill's caches (key0, value0, ...: [part rows, kv_heads, length, head_dim]), part row
       * j holding prompt `prompts[j]`'s positions right-aligned.
       */
      parts: { cache: PlainTensor[]; prompts: number[] }[];
      /** The batch's width and each prompt's left padding in it. */
      width: number;
      pads: number[];
      /** Row r of the slot cache is prompt `rowMap[r]`. */
      rowMap: number[];
      capacity: number;
      /** Positions to reserve memory for (the most the batch may reach). */
      reserve: number;
    }
  | {
      op: "step";
      handle: number;
      /** One token per row. */
      inputIds: number[];
      positionIds: number[];
      /** Leading padding slots of each row (masked out). */
      pads: number[];
    }
  | { op: "select"; handle: number; rowMap: number[]; dropColumns: number }
  | { op: "grow"; handle: number; extra: number }
  | { op: "end"; handle: number };

export interface SlotReply {
  handle: number;
  /** Filled slots and room, after the operation. */
  length: number;
  capacity: number;
  /** A step's logits, [rows, 1, vocab]. */
  logits?: PlainTensor;
}

/** Runs slot operations: locally (below), or through the worker that owns the session. */
export interface SlotRunner {
  slotOp(op: SlotOp): Promise<SlotReply>;
}

type RunFn = (
  feeds: Record<string, Tensor>,
  fetches: Record<string, Tensor | null>,
) => Promise<Record<string, Tensor>>;

export class SlotDecoders implements SlotRunner {
  private readonly caches = new Map<number, SlotKvCache>();
  /** The buffers of the last finished cache, for the next batch (their pages already resident). */
  private readonly pool = new SlotBufferPool();
  private nextHandle = 1;

  constructor(
    private readonly run: RunFn,
    private readonly slices: readonly KvSliceNames[],
  ) {}

  async slotOp(op: SlotOp): Promise<SlotReply> {
    if (op.op === "begin") {
      const parts = op.parts.map((p) => ({ tensors: p.cache, prompts: p.prompts }));
      const handle = this.nextHandle++;
      const cache = SlotKvCache.fromParts(parts, op.pads, op.width, op.rowMap, op.capacity, {
        reserve: op.reserve,
        pool: this.pool,
      });
      return this.reply(handle, this.set(handle, cache));
    }
    const cache = this.caches.get(op.handle);
    if (!cache) throw new Error(`no slot cache ${op.handle}`);
    switch (op.op) {
      case "end":
        this.caches.delete(op.handle);
        this.pool.give(cache.buffers);
        return { handle: op.handle, length: 0, capacity: 0 };
      case "select":
        return this.reply(op.handle, this.set(op.handle, cache.selectRows(op.rowMap, op.dropColumns)));
      case "grow":
        return this.reply(op.handle, this.set(op.handle, cache.grown(op.extra)));
      case "step": {
        const { logits, cache: next } = await this.step(cache, op);
        return { ...this.reply(op.handle, this.set(op.handle, next)), logits };
      }
    }
  }

  private set(handle: number, cache: SlotKvCache): SlotKvCache {
    this.caches.set(handle, cache);
    return cache;
  }

  private reply(handle: number, cache: SlotKvCache): SlotReply {
    return { handle, length: cache.length, capacity: cache.capacity };
  }

  private async step(
    cache: SlotKvCache,
    op: Extract<SlotOp, { op: "step" }>,
  ): Promise<{ logits: Tensor; cache: SlotKvCache }> {
    const rows = cache.rows;
    if (op.inputIds.length !== rows || op.positionIds.length !== rows || op.pads.length !== rows)
      throw new Error(`a step over ${rows} rows got ${op.inputIds.length} tokens`);
    const feeds: Record<string, Tensor> = {
      input_ids: int64Tensor(op.inputIds, [rows, 1]),
      attention_mask: int64Tensor(cache.stepMask(op.pads), [rows, cache.capacity + 1]),
      position_ids: int64Tensor(op.positionIds, [rows, 1]),
      ...cache.feeds(),
    };
    const fetches: Record<string, null> = { logits: null };
    for (const s of this.slices) {
      fetches[s.key] = null;
      fetches[s.value] = null;
    }
    const out = await this.run(feeds, fetches);
    const logits = out["logits"];
    if (!logits) throw new Error("the graph returned no logits");
    const added = this.slices.flatMap((s) => {
      const key = out[s.key];
      const value = out[s.value];
      if (!key || !value) throw new Error(`the graph returned no ${s.key} or ${s.value}`);
      return [key, value];
    });
    return { logits, cache: cache.appended(added) };
  }
}
