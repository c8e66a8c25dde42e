/**
 * The decode-time KV cache when the graph exposes each layer's new positions (kv-slices.ts): one
 * buffer per layer and kind, [rows, kv_heads, capacity, head_dim], of which the first `length`
 * slots are filled. A step feeds all `capacity` slots (the empty ones masked out by the attention
 * mask), fetches only the new token's key/value and writes them into slot `length`. The cache is
 * never copied out of ONNX Runtime.
 *
 * Memory is the cost to avoid here: on this class of machine a page touched for the first time
 * costs ~10 us (a 16-row phi-1.5 cache of 1-2 GB: seconds), far more than copying into it. So a
 * cache's buffers are reserved once for everything its batch may need, dropping finished rows,
 * dropping padding and growing the capacity rearrange them in place (a memmove; the fed tensors
 * are views of the used part), and the buffers of a finished batch are kept for the next one
 * ({@link SlotBufferPool}). An operation consumes the cache it is called on: only the returned
 * cache is valid afterwards.
 */
import type { KvLayout } from "./kv-cache.js";
import { makeTensor, type Tensor, type TensorData } from "./ort.js";

/**
 * Slots added at a time. Empty slots cost attention over masked positions (at most GROW_SLOTS - 1
 * of them; ~1 ms a slot for a 16-row phi-1.5 step), against moving the cache within its buffers
 * each time it grows.
 */
export const GROW_SLOTS = 16;

type KvData = Float32Array | Uint16Array;

/** A cache's tensors (key0, value0, key1, ...: [rows, kv_heads, length, head_dim]), e.g. a KvCache. */
export interface CacheTensors {
  tensors: readonly { dims: readonly number[]; data: unknown }[];
}

/** The prefill's caches of groups of prompts (prefill-groups.ts): part row j is prompt `prompts[j]`. */
export interface CachePart extends CacheTensors {
  prompts: readonly number[];
}

/**
 * Buffers of finished slot caches, kept for the next (one set: an audit runs one batch at a time,
 * and batches of one run need about the same room).
 */
export class SlotBufferPool {
  private spare: KvData[] | undefined;

  /** `count` buffers of at least `elements` elements of the layout's type; reused when there are. */
  take(layout: KvLayout, count: number, elements: number): { buffers: KvData[]; reused: boolean } {
    const spare = this.spare;
    this.spare = undefined;
    const fits =
      spare !== undefined &&
      spare.length === count &&
      spare.every((b) => b.length >= elements && b instanceof Uint16Array === (layout.kvType === "float16"));
    if (fits) return { buffers: spare, reused: true };
    // Fresh memory is zero and not yet resident: pages are touched as the cache fills.
    const alloc = () =>
      layout.kvType === "float16" ? new Uint16Array(elements) : new Float32Array(elements);
    return { buffers: Array.from({ length: count }, alloc), reused: false };
  }

  /** Keeps `buffers` for a later take (the larger set when one is kept already). */
  give(buffers: KvData[]): void {
    if (this.spare === undefined || (buffers[0]?.length ?? 0) >= (this.spare[0]?.length ?? 0))
      this.spare = buffers;
  }
}

export class SlotKvCache {
  private constructor(
    readonly layout: KvLayout,
    /** key0, value0, key1, value1, ...: the first rows * kv_heads * capacity * head_dim elements in use. */
    readonly buffers: KvData[],
    readonly rows: number,
    readonly length: number,
    readonly capacity: number,
  ) {}

  /**
   * A slot cache holding `cache`'s rows `rowMap[r]` (rows may repeat) with room for `capacity`
   * positions.
   */
  static fromCache(
    cache: CacheTensors,
    rowMap: readonly number[],
    capacity: number,
    options: { reserve?: number; pool?: SlotBufferPool } = {},
  ): SlotKvCache {
    const first = cache.tensors[0];
    const prompts = first ? first.dims[0]! : 0;
    const len = first ? first.dims[2]! : 0;
    return SlotKvCache.fromParts(
      [{ tensors: cache.tensors, prompts: Array.from({ length: prompts }, (_, p) => p) }],
      new Array<number>(prompts).fill(0),
      len,
      rowMap,
      capacity,
      options,
    );
  }

  /**
   * A slot cache laid out as a left-padded batch of `width` columns (prompt p with `pads[p]`
   * padding columns, zero), row r holding prompt `rowMap[r]` (rows may repeat), taken from the
   * groups' caches `parts` (a part's row holds its prompt's real positions right-aligned). Room
   * for `capacity` positions, buffers reserved for `reserve` (at least `capacity`).
   */
  static fromParts(
    parts: readonly CachePart[],
    pads: readonly number[],
    width: number,
    rowMap: readonly number[],
    capacity: number,
    options: { reserve?: number; pool?: SlotBufferPool } = {},
  ): SlotKvCache {
    const first = parts[0]?.tensors[0];
    const count = parts[0]?.tensors.length ?? 0;
    if (!first || count % 2 !== 0) throw new Error("a KV cache needs a key and value per layer");
    const [, kvHeads, , headDim] = first.dims as [number, number, number, number];
    const layout: KvLayout = {
      numLayers: count / 2,
      kvHeads,
      headDim,
      kvType: first.data instanceof Uint16Array ? "float16" : "float32",
    };
    if (capacity < width) throw new Error(`capacity ${capacity} below the cache's ${width} positions`);
    const where = new Map<number, { part: number; row: number }>();
    parts.forEach((part, k) => {
      part.prompts.forEach((p, j) => {
        where.set(p, { part: k, row: j });
      });
    });
    const reserve = Math.max(capacity, options.reserve ?? capacity);
    const pool = options.pool ?? new SlotBufferPool();
    const { buffers, reused } = pool.take(layout, count, rowMap.length * kvHeads * reserve * headDim);
    buffers.forEach((dst, t) => {
      rowMap.forEach((p, r) => {
        const at = where.get(p);
        if (!at) throw new Error(`no cache holds prompt ${p}`);
        const part = parts[at.part]!.tensors[t]!;
        const partLen = part.dims[2]!;
        const real = width - pads[p]!;
        if (real > partLen)
          throw new Error(`prompt ${p} needs ${real} positions of a ${partLen}-position cache`);
        const src = part.data as KvData;
        for (let h = 0; h < kvHeads; h++) {
          const s = ((at.row * kvHeads + h) * partLen + partLen - real) * headDim;
          const d = (r * kvHeads + h) * capacity * headDim;
          // Reused memory holds an earlier batch: padding and free slots are cleared (they are
          // masked, but a cache's content must not depend on what ran before).
          if (reused) dst.fill(0, d, d + pads[p]! * headDim);
          copy(src, s, dst, d + pads[p]! * headDim, real * headDim);
          if (reused) dst.fill(0, d + width * headDim, d + capacity * headDim);
        }
      });
    });
    return new SlotKvCache(layout, buffers, rowMap.length, width, capacity);
  }

  /** Elements in use per buffer. */
  private get used(): number {
    return this.rows * this.layout.kvHeads * this.capacity * this.layout.headDim;
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
    const used = this.used;
    const out: Record<string, Tensor> = {};
    this.feedNames().forEach((name, i) => {
      out[name] = makeTensor(this.layout.kvType, this.buffers[i]!.subarray(0, used) as TensorData, dims);
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
   * The cache after a step, in the same buffers: `slices` holds per layer the new key and value,
   * [rows, kv_heads, 1, head_dim], written into slot `length`.
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
   * positions (by default as many free slots as now). Rearranged in place when the rows keep their
   * order and the buffers have the room; copied to new buffers otherwise.
   */
  selectRows(
    rowMap: readonly number[],
    dropColumns = 0,
    capacity = this.capacity - dropColumns,
  ): SlotKvCache {
    const { kvHeads, headDim } = this.layout;
    const length = this.length - dropColumns;
    if (capacity < length) throw new Error(`capacity ${capacity} below ${length} filled slots`);
    const need = rowMap.length * kvHeads * capacity * headDim;
    const ordered = rowMap.every((from, r) => from < this.rows && (r === 0 || from > rowMap[r - 1]!));
    // In place, the chunks move towards the start (fewer rows, narrower) or, growing with the
    // same rows, towards the end; iterated in that direction no chunk overwrites one unread.
    const shrinking = ordered && capacity <= this.capacity;
    const growing = rowMap.length === this.rows && rowMap.every((from, r) => from === r) && dropColumns === 0;
    const inPlace = (shrinking || growing) && need <= this.buffers[0]!.length;
    const chunks = rowMap.length * kvHeads;
    // Outgrowing the reserve: new buffers with as much room again, so that growing on is in place.
    const size = capacity > this.capacity ? 2 * need : need;
    const buffers = this.buffers.map((src) => {
      const dst = inPlace
        ? src
        : this.layout.kvType === "float16"
          ? new Uint16Array(size)
          : new Float32Array(size);
      const move = (k: number) => {
        const r = Math.floor(k / kvHeads);
        const h = k % kvHeads;
        const s = ((rowMap[r]! * kvHeads + h) * this.capacity + dropColumns) * headDim;
        const d = (r * kvHeads + h) * capacity * headDim;
        if (dst === src) dst.copyWithin(d, s, s + length * headDim);
        else copy(src, s, dst, d, length * headDim);
        dst.fill(0, d + length * headDim, d + capacity * headDim);
      };
      if (inPlace && !shrinking) for (let k = chunks - 1; k >= 0; k--) move(k);
      else for (let k = 0; k < chunks; k++) move(k);
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
