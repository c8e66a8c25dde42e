/**
 * A frozen copy of the runner's per-row token choice as it was before RowSampler (commit 0f7cb2f:
 * logits.ts, processors.ts, samplers.ts and generate.ts's decode loop), kept so that tests can check
 * that RowSampler gives bit for bit the same tokens and log-prob normalizers. Do not "fix" or speed
 * up anything here: it is the definition the runner must keep matching.
 */
import type { Rng } from "../../src/util/rng.js";

type Processor = (logits: Float32Array) => void;

export function refLogSumExp(x: Float32Array): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < x.length; i++) if (x[i]! > max) max = x[i]!;
  if (max === Number.NEGATIVE_INFINITY) return max;
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.exp(x[i]! - max);
  return max + Math.log(sum);
}

export function refExpsAndSum(x: Float32Array, exps: Float64Array): { max: number; sum: number } {
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

export function refTemperature(t: number): Processor {
  return (logits) => {
    if (t === 1) return;
    const inv = 1 / t;
    for (let i = 0; i < logits.length; i++) logits[i] = logits[i]! * inv;
  };
}

export function refTopK(k: number): Processor {
  return (logits) => {
    if (k <= 0 || k >= logits.length) return;
    const threshold = refKthLargest(logits, k);
    for (let i = 0; i < logits.length; i++) if (logits[i]! < threshold) logits[i] = Number.NEGATIVE_INFINITY;
  };
}

export function refTopP(p: number): Processor {
  return (logits) => {
    if (p >= 1) return;
    const exps = new Float64Array(logits.length);
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
    let sum = 0;
    for (let i = 0; i < logits.length; i++) {
      const e = Math.exp(logits[i]! - max);
      exps[i] = e;
      sum += e;
    }
    refApplyTopP(logits, exps, max, sum, p);
  };
}

const BINS = 2048;

/**
 * applyTopP. `trace` (a test aid, not in the original) receives every cumulative mass compared
 * with p, in order.
 */
export function refApplyTopP(
  logits: Float32Array,
  exps: Float64Array,
  max: number,
  sum: number,
  p: number,
  trace?: number[],
): void {
  if (p >= 1) return;
  const n = logits.length;
  const probs = new Float64Array(n);
  const bins = new Int32Array(n);
  const binMass = new Float64Array(BINS);
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const v = logits[i]!;
    if (v < min && v !== Number.NEGATIVE_INFINITY) min = v;
  }
  const range = max - min;
  const scale = range > 0 ? (BINS - 1) / range : 0;
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
    trace?.push(cum + binMass[b]!);
    if (cum + binMass[b]! >= p) {
      boundary = b;
      break;
    }
    cum += binMass[b]!;
  }
  const inBoundary: number[] = [];
  for (let i = 0; i < n; i++) if (bins[i] === boundary) inBoundary.push(i);
  inBoundary.sort((a, b) => probs[b]! - probs[a]! || a - b);
  let kept = 0;
  while (kept < inBoundary.length) {
    cum += probs[inBoundary[kept]!]!;
    kept++;
    trace?.push(cum);
    if (cum >= p) break;
  }
  for (let j = kept; j < inBoundary.length; j++) logits[inBoundary[j]!] = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) if (bins[i]! > boundary) logits[i] = Number.NEGATIVE_INFINITY;
}

export function refKthLargest(values: Float32Array, k: number): number {
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

export function refArgmax(logits: Float32Array): number {
  let best = 0;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) {
    if (logits[i]! > max) {
      max = logits[i]!;
      best = i;
    }
  }
  return best;
}

export function refSampleMultinomial(logits: Float32Array, rng: Rng): number {
  const n = logits.length;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) if (logits[i]! > max) max = logits[i]!;
  const exps = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = logits[i]!;
    exps[i] = v === Number.NEGATIVE_INFINITY ? 0 : Math.exp(v - max);
  }
  return refSampleFromExps(logits, exps, rng);
}

export function refSampleFromExps(logits: Float32Array, exps: Float64Array, rng: Rng): number {
  const n = logits.length;
  let sum = 0;
  for (let i = 0; i < n; i++) if (logits[i] !== Number.NEGATIVE_INFINITY) sum += exps[i]!;
  const target = rng.next() * sum;
  let cum = 0;
  let last = 0;
  for (let i = 0; i < n; i++) {
    if (logits[i] === Number.NEGATIVE_INFINITY) continue;
    cum += exps[i]!;
    last = i;
    if (cum > target) return i;
  }
  return last;
}

export interface RefConfig {
  temperature: number;
  topK: number;
  topP: number;
}

/**
 * One row's token and log-prob normalizer as the decode loop chose them: greedy rows took argmax;
 * temperature-1 rows without top-k shared the exps (expsAndSum, applyTopP, sampleFromExps); the
 * others ran temperature, top-k and top-p on a copy and sampleMultinomial.
 */
export function refChoose(
  raw: Float32Array,
  c: RefConfig,
  rng: Rng | undefined,
): { token: number; lse: number } {
  if (!rng || c.temperature === 0) return { token: refArgmax(raw), lse: refLogSumExp(raw) };
  if (c.temperature === 1 && c.topK <= 0) {
    const exps = new Float64Array(raw.length);
    const { max, sum } = refExpsAndSum(raw, exps);
    const work = raw.slice();
    refApplyTopP(work, exps, max, sum, c.topP);
    return { token: refSampleFromExps(work, exps, rng), lse: max + Math.log(sum) };
  }
  const lse = refLogSumExp(raw);
  const work = raw.slice();
  const processors: Processor[] = [];
  if (c.temperature !== 1) processors.push(refTemperature(c.temperature));
  if (c.topK > 0) processors.push(refTopK(c.topK));
  if (c.topP < 1) processors.push(refTopP(c.topP));
  for (const p of processors) p(work);
  return { token: refSampleMultinomial(work, rng), lse };
}

/** The row top-p works on (after temperature and top-k), with its exps, max and sum. */
export function refTopPInput(
  raw: Float32Array,
  c: RefConfig,
): { work: Float32Array; exps: Float64Array; max: number; sum: number } {
  const work = raw.slice();
  if (c.temperature !== 1) refTemperature(c.temperature)(work);
  if (c.topK > 0) refTopK(c.topK)(work);
  const exps = new Float64Array(work.length);
  const { max, sum } = refExpsAndSum(work, exps);
  return { work, exps, max, sum };
}

/** The ids the draw chooses among, in id order, and their exps (what sampleFromExps walks). */
export function refKept(raw: Float32Array, c: RefConfig): { ids: number[]; exps: number[] } {
  const { work, exps, max, sum } = refTopPInput(raw, c);
  refApplyTopP(work, exps, max, sum, c.topP);
  const ids: number[] = [];
  for (let i = 0; i < work.length; i++) if (work[i] !== Number.NEGATIVE_INFINITY) ids.push(i);
  return { ids, exps: ids.map((i) => exps[i]!) };
}
