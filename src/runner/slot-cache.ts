/**
 * The decode-time KV cache when the graph exposes each layer's new positions (kv-slices.ts): one
 * buffer per layer and kind, [rows, kv_heads, capacity, head_dim], of which the first `length`
 * slots are filled. A step feeds all `capacity` slots (the empty ones masked out by the attention
 * mask), fetches only the new token's key/value and writes them into slot `length`. The cache is
 * never copied out of ONNX Runtime; it is copied here only to expand rows, drop finished ones, or
 * grow the capacity (every GROW_SLOTS steps).
 */
import type { KvLayout } from "./kv-cache.js";
import { makeTensor, type Tensor, type TensorData } from "./ort.js";

/**
 * Slots added at a time. Empty slots cost attention over masked positions: at most GROW_SLOTS - 1
 * of them, against copying the whole cache each time it grows.
 */
export const GROW_SLOTS = 64;

type KvData = Float32Array | Uint16Array;

/** A cache's tensors (key0, value0, key1, ...: [rows, kv_heads, length, head_dim]), e.g. a KvCache. */
export interface CacheTensors {
  tensors: readonly { dims: readonly number[]; data: unknown }[];
}

export class SlotKvCache {
  private constructor(
    readonly layout: KvLayout,
    /** key0, value0, key1, value1, ... */
    readonly buffers: KvData[],
    readonly rows: number,
    readonly length: number,
    readonly capacity: number,
  ) {}

  /**
   * A slot cache holding `cache`'s rows `rowMap[r]` (rows may repeat) with room for `capacity`
   * positions.
   */
  static fromCache(cache: CacheTensors, rowMap: readonly number[], capacity: number): SlotKvCache {
    const first = cache.tensors[0];
    if (!first || cache.tensors.length % 2 !== 0)
      throw new Error("a KV cache needs a key and value per layer");
    const [, kvHeads, len, headDim] = first.dims as [number, number, number, number];
    const layout: KvLayout = {
      numLayers: cache.tensors.length / 2,
      kvHeads,
      headDim,
      kvType: first.data instanceof Uint16Array ? "float16" : "float32",
    };
    if (capacity < len) throw new Error(`capacity ${capacity} below the cache's ${len} positions`);
    const buffers = cache.tensors.map((t) => {
      const src = t.data as KvData;
      const dst = alloc(layout, rowMap.length * kvHeads * capacity * headDim);
      rowMap.forEach((from, r) => {
        for (let h = 0; h < kvHeads; h++)
          copy(
            src,
            (from * kvHeads + h) * len * headDim,
            dst,
            (r * kvHeads + h) * capacity * headDim,
            len * headDim,
          );
      });
      return dst;
    });
    return new SlotKvCache(layout, buffers, rowMap.length, len, capacity);
  }

  /** The feed names of the cache, in `buffers` order. */
  feedNames(): string[] {
    const names: string[] = [];
    for (let i = 0; i < this.layout.numLayers; i++)
      names.push(`past_key_values.${i}.key`, `past_key_values.${i}.value`);
    return names;
  }

  /** All slots as graph inputs, [rows, kv_heads, capacity, head_dim]. */
  feeds(): Record<string, Tensor> {
    const dims = [this.rows, this.layout.kvHeads, this.capacity, this.layout.headDim];
    const out: Record<string, Tensor> = {};
    this.feedNames().forEach((name, i) => {
      out[name] = makeTensor(this.layout.kvType, this.buffers[i]! as TensorData, dims);
    });
    return out;
  }

  /**
   * The attention mask of a one-token step: the filled slots (left padding excluded, `pads[r]`
   * columns per row), none of the empty ones, and the new token, which the graph appends after
   * the last slot. rows * (capacity + 1) values.
   */
  stepMask(pads: readonly number[]): number[] {
    const cols = this.capacity + 1;
    const mask = new Array<number>(this.rows * cols).fill(0);
    for (let r = 0; r < this.rows; r++) {
      for (let c = pads[r]!; c < this.length; c++) mask[r * cols + c] = 1;
      mask[r * cols + this.capacity] = 1;
    }
    return mask;
  }

  /**
   * The cache after a step, sharing this one's buffers: `slices` holds per layer the new key and
   * value, [rows, kv_heads, 1, head_dim], written into slot `length`.
   */
  appended(slices: readonly { data: unknown }[]): SlotKvCache {
    if (this.length >= this.capacity) throw new Error("no free slot in the KV cache");
    const { kvHeads, headDim } = this.layout;
    const names = this.feedNames();
    this.buffers.forEach((buf, i) => {
      const slice = slices[i]?.data as KvData | undefined;
      if (!slice || slice.length !== this.rows * kvHeads * headDim)
        throw new Error(`the step returned no new positions for ${names[i]}`);
      for (let rh = 0; rh < this.rows * kvHeads; rh++)
        copy(slice, rh * headDim, buf, (rh * this.capacity + this.length) * headDim, headDim);
    });
    return new SlotKvCache(this.layout, this.buffers, this.rows, this.length + 1, this.capacity);
  }

  /**
   * A cache of rows `rowMap[r]` without the first `dropColumns` slots, with room for `capacity`
   * positions (by default as many free slots as now).
   */
  selectRows(
    rowMap: readonly number[],
    dropColumns = 0,
    capacity = this.capacity - dropColumns,
  ): SlotKvCache {
    const { kvHeads, headDim } = this.layout;
    const length = this.length - dropColumns;
    if (capacity < length) throw new Error(`capacity ${capacity} below ${length} filled slots`);
    const buffers = this.buffers.map((src) => {
      const dst = alloc(this.layout, rowMap.length * kvHeads * capacity * headDim);
      rowMap.forEach((from, r) => {
        for (let h = 0; h < kvHeads; h++) {
          const s = ((from * kvHeads + h) * this.capacity + dropColumns) * headDim;
          copy(src, s, dst, (r * kvHeads + h) * capacity * headDim, length * headDim);
        }
      });
      return dst;
    });
    return new SlotKvCache(this.layout, buffers, rowMap.length, length, capacity);
  }

  /** The same cache with `extra` more free slots. */
  grown(extra: number): SlotKvCache {
    return this.selectRows(
      Array.from({ length: this.rows }, (_, r) => r),
      0,
      this.capacity + extra,
    );
  }
}

/**
 * Copies n elements. A plain loop: these runs are short (one head's positions), where a
 * `subarray` + `set` pair costs more in object creation than in copying.
 */
function copy(src: KvData, from: number, dst: KvData, to: number, n: number): void {
  if (n >= 4096) {
    dst.set(src.subarray(from, from + n) as never, to);
    return;
  }
  for (let i = 0; i < n; i++) dst[to + i] = src[from + i]!;
}

/**
 * A zeroed buffer with every page already touched: the free slots are otherwise first written one
 * slot per step, and those page faults, spread over the steps, cost ~10x the copy itself
 * (measured: 10-25 ms per 16-row step instead of ~1 ms).
 */
function alloc(layout: KvLayout, n: number): KvData {
  const buf = layout.kvType === "float16" ? new Uint16Array(n) : new Float32Array(n);
  buf.fill(0);
  return buf;
}
