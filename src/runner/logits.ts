/** Reading rows of the logits tensor (fp32 or fp16) and log-softmax statistics over them. */
import type { Tensor } from "./ort.js";

let halfTable: Float32Array | undefined;

/** IEEE half (as its 16 bits) to float, through a 64K-entry table built on first use. */
export function halfToFloat(bits: number): number {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = decodeHalf(h);
  }
  return halfTable[bits]!;
}

function decodeHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/**
 * Copies the logits of (row, position) into `out` (its length = the usable vocabulary: columns
 * past it are ids the tokenizer lacks and are never read), and sets missing ids to -Infinity.
 */
export function readLogits(
  logits: Tensor,
  row: number,
  position: number,
  out: Float32Array,
  missingIds: readonly number[] = [],
): Float32Array {
  const [, seqLen, columns] = logits.dims as [number, number, number];
  const base = (row * seqLen + position) * columns;
  const data = logits.data as Float32Array | Uint16Array;
  if (data instanceof Float32Array) {
    out.set(data.subarray(base, base + out.length));
  } else {
    for (let i = 0; i < out.length; i++) out[i] = halfToFloat(data[base + i]!);
  }
  for (const id of missingIds) out[id] = Number.NEGATIVE_INFINITY;
  return out;
}

/** log(sum(exp(x))) over finite entries, in float64. */
export function logSumExp(x: Float32Array): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < x.length; i++) if (x[i]! > max) max = x[i]!;
  if (max === Number.NEGATIVE_INFINITY) return max;
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.exp(x[i]! - max);
  return max + Math.log(sum);
}

/**
 * Fills `exps[i] = exp(x[i] - max)` (0 for -Infinity) and returns max and the float64 sum, in the
 * order {@link logSumExp} adds them: `max + log(sum)` is bit for bit its result, and samplers and
 * top-p reuse the same exps instead of computing them again.
 */
export function expsAndSum(x: Float32Array, exps: Float64Array): { max: number; sum: number } {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < x.length; i++) if (x[i]! > max) max = x[i]!;
  let sum = 0;
  if (max === Number.NEGATIVE_INFINITY) {
    exps.fill(0, 0, x.length);
    return { max, sum };
  }
  for (let i = 0; i < x.length; i++) {
    const e = Math.exp(x[i]! - max);
    exps[i] = e;
    sum += e;
  }
  return { max, sum };
}

/** Mean and variance of log p under p = softmax(x) (Min-K%++'s mu and sigma^2), given lse. */
export function logProbMoments(x: Float32Array, lse: number): { mean: number; variance: number } {
  let m1 = 0;
  let m2 = 0;
  for (let i = 0; i < x.length; i++) {
    const lp = x[i]! - lse;
    if (lp === Number.NEGATIVE_INFINITY) continue;
    const p = Math.exp(lp);
    m1 += p * lp;
    m2 += p * lp * lp;
  }
  return { mean: m1, variance: Math.max(0, m2 - m1 * m1) };
}
