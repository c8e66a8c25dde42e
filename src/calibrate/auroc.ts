/**
 * Exact AUROC (the Mann-Whitney U statistic over n1 n0 pairs, ties counted 0.5) and a stratified,
 * seeded percentile bootstrap interval for it.
 */
import { createRng } from "../util/rng.js";

/**
 * AUROC of `positive` (e.g. leaked) against `negative` (unseen) scores, higher = positive: the
 * share of (positive, negative) pairs where the positive scores higher, ties counted one half.
 * Computed exactly: after one sort, 2U = sum over positives of (2 * #negatives below + #tied) is an
 * integer, and AUROC = 2U / (2 n1 n0). Null when either class is empty. Scores must be finite.
 */
export function auroc(positive: readonly number[], negative: readonly number[]): number | null {
  const twoU = twiceMannWhitneyU(positive, negative);
  return twoU === null ? null : twoU / (2 * positive.length * negative.length);
}

/** 2U (an integer); null when a class is empty. */
export function twiceMannWhitneyU(positive: readonly number[], negative: readonly number[]): number | null {
  if (positive.length === 0 || negative.length === 0) return null;
  for (const x of positive) if (!Number.isFinite(x)) throw new RangeError(`non-finite score ${x}`);
  for (const x of negative) if (!Number.isFinite(x)) throw new RangeError(`non-finite score ${x}`);
  const neg = [...negative].sort((a, b) => a - b);
  const pos = [...positive].sort((a, b) => a - b);
  let twoU = 0;
  // Two pointers over the sorted lists: below = #neg < x, upto = #neg <= x.
  let below = 0;
  let upto = 0;
  for (const x of pos) {
    while (below < neg.length && (neg[below] as number) < x) below++;
    if (upto < below) upto = below;
    while (upto < neg.length && (neg[upto] as number) <= x) upto++;
    twoU += 2 * below + (upto - below);
  }
  return twoU;
}

export interface AurocBootstrapOptions {
  resamples: number;
  seed: number;
  level: number;
}

/**
 * Percentile bootstrap interval of the AUROC, resampling problems with replacement within each
 * class (n1 from the positives, n0 from the negatives, so both classes keep their sizes). Same
 * order statistics as src/metrics bootstrapMeanInterval: floor(B a/2) and ceil(B (1 - a/2)) - 1 of
 * the sorted resample AUROCs, a = 1 - level. Null when a class is empty.
 */
export function aurocBootstrapInterval(
  positive: readonly number[],
  negative: readonly number[],
  options: AurocBootstrapOptions,
): [number, number] | null {
  if (positive.length === 0 || negative.length === 0) return null;
  const { resamples, seed, level } = options;
  if (!Number.isInteger(resamples) || resamples < 1)
    throw new RangeError(`resamples must be >= 1, got ${resamples}`);
  const rng = createRng(seed);
  const n1 = positive.length;
  const n0 = negative.length;
  const p = new Array<number>(n1);
  const q = new Array<number>(n0);
  const values = new Array<number>(resamples);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n1; i++) p[i] = positive[Math.floor(rng.next() * n1)] as number;
    for (let i = 0; i < n0; i++) q[i] = negative[Math.floor(rng.next() * n0)] as number;
    values[r] = auroc(p, q) as number;
  }
  values.sort((a, b) => a - b);
  const alpha = 1 - level;
  const lo = values[Math.min(resamples - 1, Math.floor((resamples * alpha) / 2))] as number;
  const hi = values[Math.max(0, Math.ceil(resamples * (1 - alpha / 2)) - 1)] as number;
  return [lo, hi];
}
