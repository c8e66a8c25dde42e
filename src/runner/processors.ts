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
  const BINS = 2048;
  let probs = new Float64Array(0);
  const binMass = new Float64Array(BINS);
  return (logits) => {
    if (p >= 1) return;
    if (probs.length !== logits.length) probs = new Float64Array(logits.length);
    let max = Number.NEGATIVE_INFINITY;
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < logits.length; i++) {
      const v = logits[i]!;
      if (v > max) max = v;
      if (v < min && v !== Number.NEGATIVE_INFINITY) min = v;
    }
    let sum = 0;
    for (let i = 0; i < logits.length; i++) {
      const e = Math.exp(logits[i]! - max);
      probs[i] = e;
      sum += e;
    }
    const range = max - min;
    const scale = range > 0 ? (BINS - 1) / range : 0;
    const bin = (v: number): number => Math.floor((max - v) * scale);
    binMass.fill(0);
    for (let i = 0; i < logits.length; i++) {
      if (logits[i] === Number.NEGATIVE_INFINITY) continue;
      probs[i] = probs[i]! / sum;
      const b = bin(logits[i]!);
      binMass[b] = binMass[b]! + probs[i]!;
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
    for (let i = 0; i < logits.length; i++) {
      if (logits[i] !== Number.NEGATIVE_INFINITY && bin(logits[i]!) === boundary) inBoundary.push(i);
    }
    inBoundary.sort((a, b) => probs[b]! - probs[a]! || a - b);
    const keepInBoundary = new Set<number>();
    for (const id of inBoundary) {
      keepInBoundary.add(id);
      cum += probs[id]!;
      if (cum >= p) break;
    }
    for (let i = 0; i < logits.length; i++) {
      const v = logits[i]!;
      if (v === Number.NEGATIVE_INFINITY) continue;
      const b = bin(v);
      if (b > boundary || (b === boundary && !keepInBoundary.has(i))) logits[i] = Number.NEGATIVE_INFINITY;
    }
  };
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
