/**
 * Logits processors: each takes the logits of one row (over the usable vocabulary) and changes
 * them in place; removed tokens become -Infinity. Composed in the order temperature -> top-k ->
 * top-p, as Hugging Face's generate does.
 */

export type LogitsProcessor = (logits: Float32Array) => void;

export function temperature(t: number): LogitsProcessor {
  return (logits) => {
    if (t === 1) return;
    const inv = 1 / t;
    for (let i = 0; i < logits.length; i++) logits[i] = logits[i]! * inv;
  };
}

/** Keeps the k highest logits (and any tied with the k-th). */
export function topK(k: number): LogitsProcessor {
  return (logits) => {
    if (k <= 0 || k >= logits.length) return;
    const threshold = kthLargest(logits, k);
    for (let i = 0; i < logits.length; i++) if (logits[i]! < threshold) logits[i] = Number.NEGATIVE_INFINITY;
  };
}

/**
 * Keeps the smallest set of most likely tokens whose probability reaches p (nucleus sampling):
 * tokens in order of decreasing probability (lower id first among ties) until their mass reaches
 * p. Linear time: logits are bucketed, whole buckets are kept from the top, and only the bucket
 * where the mass crosses p is sorted.
 */
export function topP(p: number): LogitsProcessor {
  const scratch = nucleusScratch();
  let exps = new Float64Array(0);
  return (logits) => {
    if (p >= 1) return;
    if (exps.length !== logits.length) exps = new Float64Array(logits.length);
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
    let sum = 0;
    for (let i = 0; i < logits.length; i++) {
      const e = Math.exp(logits[i]! - max);
      exps[i] = e;
      sum += e;
    }
    applyTopP(logits, exps, max, sum, p, scratch);
  };
}

export interface NucleusScratch {
  probs: Float64Array;
  /** Bucket of each token (-1 for removed ones). */
  bins: Int32Array;
  binMass: Float64Array;
}

/** Buckets of top-p's linear-time pass (over the logit range, equal widths). */
export const NUCLEUS_BINS = 2048;
const BINS = NUCLEUS_BINS;

export function nucleusScratch(): NucleusScratch {
  return { probs: new Float64Array(0), bins: new Int32Array(0), binMass: new Float64Array(BINS) };
}

/**
 * Top-p over `logits` given `exps[i] = exp(logits[i] - max)` and their sum (as
 * {@link expsAndSum} computes them, so a sampler can reuse the exps): sets removed tokens to
 * -Infinity and leaves `exps` unchanged.
 */
export function applyTopP(
  logits: Float32Array,
  exps: Float64Array,
  max: number,
  sum: number,
  p: number,
  scratch: NucleusScratch,
): void {
  if (p >= 1) return;
  const n = logits.length;
  if (scratch.probs.length !== n) {
    scratch.probs = new Float64Array(n);
    scratch.bins = new Int32Array(n);
  }
  const { probs, bins, binMass } = scratch;
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const v = logits[i]!;
    if (v < min && v !== Number.NEGATIVE_INFINITY) min = v;
  }
  const range = max - min;
  const scale = range > 0 ? (BINS - 1) / range : 0;
  binMass.fill(0);
  for (let i = 0; i < n; i++) {
    const v = logits[i]!;
    if (v === Number.NEGATIVE_INFINITY) {
      bins[i] = -1;
      continue;
    }
    const q = exps[i]! / sum;
    probs[i] = q;
    const b = Math.floor((max - v) * scale);
    bins[i] = b;
    binMass[b] = binMass[b]! + q;
  }
  let cum = 0;
  let boundary = BINS - 1;
  for (let b = 0; b < BINS; b++) {
    if (cum + binMass[b]! >= p) {
      boundary = b;
      break;
    }
    cum += binMass[b]!;
  }
  // Within the boundary bucket, keep the most likely tokens until the mass reaches p.
  const inBoundary: number[] = [];
  for (let i = 0; i < n; i++) if (bins[i] === boundary) inBoundary.push(i);
  inBoundary.sort((a, b) => probs[b]! - probs[a]! || a - b);
  let kept = 0;
  while (kept < inBoundary.length) {
    cum += probs[inBoundary[kept]!]!;
    kept++;
    if (cum >= p) break;
  }
  for (let j = kept; j < inBoundary.length; j++) logits[inBoundary[j]!] = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) if (bins[i]! > boundary) logits[i] = Number.NEGATIVE_INFINITY;
}

/** The k-th largest value (k >= 1) via a size-k min-heap. */
export function kthLargest(values: Float32Array, k: number): number {
  const heap = new Float64Array(k);
  let size = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (size < k) {
      let j = size++;
      heap[j] = v;
      while (j > 0) {
        const parent = (j - 1) >> 1;
        if (heap[parent]! <= heap[j]!) break;
        [heap[parent], heap[j]] = [heap[j]!, heap[parent]!];
        j = parent;
      }
    } else if (v > heap[0]!) {
      heap[0] = v;
      let j = 0;
      for (;;) {
        const l = 2 * j + 1;
        const r = l + 1;
        let m = j;
        if (l < k && heap[l]! < heap[m]!) m = l;
        if (r < k && heap[r]! < heap[m]!) m = r;
        if (m === j) break;
        [heap[m], heap[j]] = [heap[j]!, heap[m]!];
        j = m;
      }
    }
  }
  return heap[0]!;
}

/** The processors a config asks for, in Hugging Face's order. */
export function processorsFor(config: {
  temperature: number;
  topK: number;
  topP: number;
}): LogitsProcessor[] {
  const out: LogitsProcessor[] = [];
  if (config.temperature !== 1) out.push(temperature(config.temperature));
  if (config.topK > 0) out.push(topK(config.topK));
  if (config.topP < 1) out.push(topP(config.topP));
  return out;
}
