/**
 * The key/value cache: one tensor per layer and kind, [rows, kv_heads, length, head_dim], in the
 * graph's own dtype (fp32 or fp16). A step's `present.*` outputs become the next step's cache
 * without being touched; rows are only copied to expand a prompt to n samples or to drop finished
 * rows (and leading padding columns no row needs any more).
 */
import { makeTensor, type Tensor, type TensorData, type TensorType } from "./ort.js";

export interface KvLayout {
  numLayers: number;
  kvHeads: number;
  headDim: number;
  kvType: "float32" | "float16";
}

export class KvCache {
  private constructor(
    readonly layout: KvLayout,
    /** key0, value0, key1, value1, ... */
    readonly tensors: Tensor[],
    readonly rows: number,
    readonly length: number,
  ) {}

  static empty(layout: KvLayout, rows: number): KvCache {
    const tensors: Tensor[] = [];
    for (let i = 0; i < 2 * layout.numLayers; i++) {
      tensors.push(
        makeTensor(layout.kvType, alloc(layout.kvType, 0), [rows, layout.kvHeads, 0, layout.headDim]),
      );
    }
    return new KvCache(layout, tensors, rows, 0);
  }

  /** Wraps a step's `present.{i}.key|value` outputs. */
  static fromOutputs(layout: KvLayout, outputs: Record<string, Tensor>): KvCache {
    const tensors: Tensor[] = [];
    for (let i = 0; i < layout.numLayers; i++) {
      tensors.push(outputs[`present.${i}.key`]!, outputs[`present.${i}.value`]!);
    }
    const dims = tensors[0]!.dims;
    return new KvCache(layout, tensors, dims[0]!, dims[2]!);
  }

  /**
   * The first `columns` positions of a one-row `prefix` cache laid out as a left-padded batch's
   * would be: row r holds `pads[r]` empty (masked) columns, then the prefix's positions, cut at
   * `columns`. A row padded by `columns` or more holds only padding (it recomputes its prefix).
   */
  static fromPrefix(prefix: KvCache, columns: number, pads: readonly number[]): KvCache {
    if (prefix.rows !== 1) throw new Error("a prefix cache has one row");
    if (columns > prefix.length) throw new Error(`${columns} columns of a ${prefix.length}-column prefix`);
    const { kvHeads, headDim, kvType } = prefix.layout;
    const outRow = kvHeads * columns * headDim;
    const tensors = prefix.tensors.map((t) => {
      const src = t.data as TensorData;
      // Fresh memory is zero: padding columns need no writing (they are masked anyway).
      const dst = alloc(kvType, pads.length * outRow);
      pads.forEach((pad, r) => {
        const kept = columns - pad;
        if (kept <= 0) return;
        for (let h = 0; h < kvHeads; h++) {
          const s = h * prefix.length * headDim;
          dst.set(src.subarray(s, s + kept * headDim) as never, r * outRow + (h * columns + pad) * headDim);
        }
      });
      return makeTensor(kvType, dst, [pads.length, kvHeads, columns, headDim]);
    });
    return new KvCache(prefix.layout, tensors, pads.length, columns);
  }

  /**
   * One left-padded cache of `pads.length` rows and `width` columns assembled from the caches of
   * sub-batches (prefill-groups.ts): row j of `parts[p].cache` becomes row `parts[p].rows[j]`, whose
   * last `width - pads[row]` columns (its real positions) are copied right-aligned; the padding
   * columns stay zero (they are masked).
   */
  static assemble(
    parts: readonly { cache: KvCache; rows: readonly number[] }[],
    pads: readonly number[],
    width: number,
  ): KvCache {
    const first = parts[0];
    if (!first) throw new Error("no caches to assemble");
    const layout = first.cache.layout;
    const { kvHeads, headDim, kvType } = layout;
    const outRow = kvHeads * width * headDim;
    const tensors = first.cache.tensors.map((_, k) => {
      const dst = alloc(kvType, pads.length * outRow);
      for (const { cache, rows } of parts) {
        const src = cache.tensors[k]!.data as TensorData;
        const inRow = kvHeads * cache.length * headDim;
        rows.forEach((to, j) => {
          const real = width - pads[to]!;
          if (real > cache.length)
            throw new Error(`row ${to} needs ${real} columns of a ${cache.length}-column cache`);
          for (let h = 0; h < kvHeads; h++) {
            const s = j * inRow + (h * cache.length + cache.length - real) * headDim;
            dst.set(
              src.subarray(s, s + real * headDim) as never,
              to * outRow + (h * width + pads[to]!) * headDim,
            );
          }
        });
      }
      return makeTensor(kvType, dst, [pads.length, kvHeads, width, headDim]);
    });
    return new KvCache(layout, tensors, pads.length, width);
  }

  /** The cache as graph inputs. */
  feeds(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (let i = 0; i < this.layout.numLayers; i++) {
      out[`past_key_values.${i}.key`] = this.tensors[2 * i]!;
      out[`past_key_values.${i}.value`] = this.tensors[2 * i + 1]!;
    }
    return out;
  }

  /** Size of the whole cache in bytes. */
  bytes(): number {
    const el = this.layout.kvType === "float16" ? 2 : 4;
    return (
      2 * this.layout.numLayers * this.rows * this.layout.kvHeads * this.length * this.layout.headDim * el
    );
  }

  /**
   * A new cache whose row r is this cache's row `rowMap[r]` (rows may repeat), without the first
   * `dropColumns` positions (padding no remaining row attends to).
   */
  selectRows(rowMap: readonly number[], dropColumns = 0): KvCache {
    const { kvHeads, headDim, kvType } = this.layout;
    const length = this.length - dropColumns;
    const inRow = kvHeads * this.length * headDim;
    const outRow = kvHeads * length * headDim;
    const tensors = this.tensors.map((t) => {
      const src = t.data as TensorData;
      const dst = alloc(kvType, rowMap.length * outRow);
      rowMap.forEach((from, r) => {
        if (dropColumns === 0) {
          dst.set(src.subarray(from * inRow, (from + 1) * inRow) as never, r * outRow);
          return;
        }
        for (let h = 0; h < kvHeads; h++) {
          const s = from * inRow + (h * this.length + dropColumns) * headDim;
          dst.set(src.subarray(s, s + length * headDim) as never, r * outRow + h * length * headDim);
        }
      });
      return makeTensor(kvType, dst, [rowMap.length, kvHeads, length, headDim]);
    });
    return new KvCache(this.layout, tensors, rowMap.length, length);
  }
}

function alloc(type: TensorType, n: number): Float32Array | Uint16Array {
  return type === "float16" ? new Uint16Array(n) : new Float32Array(n);
}
