import { createRng } from "../util/rng.js";

export interface BootstrapOptions {
  /** Resamples; 10,000 by default. */
  resamples?: number;
  /** Seed of the resampling generator: equal seeds give equal intervals. */
  seed: number;
  /** Interval level; 0.95 by default. */
  level?: number;
}

export const DEFAULT_RESAMPLES = 10_000;

/**
 * Means of `resamples` bootstrap resamples of `values` (drawn with replacement, same size), in
 * draw order. Units are whatever the caller resamples: per-problem values, so that a problem's
 * several variants move together (a cluster bootstrap).
 */
export function bootstrapMeans(values: readonly number[], resamples: number, seed: number): number[] {
  if (values.length === 0) return [];
  if (!Number.isInteger(resamples) || resamples < 1)
    throw new RangeError(`resamples must be >= 1, got ${resamples}`);
  const rng = createRng(seed);
  const n = values.length;
  const means: number[] = new Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[Math.floor(rng.next() * n)] as number;
    means[r] = sum / n;
  }
  return means;
}

/**
 * Percentile bootstrap interval of the mean: the order statistics at floor(B * a/2) and
 * ceil(B * (1 - a/2)) - 1 (0-based) of the B sorted resample means, a = 1 - level. Null when
 * there are no values.
 */
export function bootstrapMeanInterval(
  values: readonly number[],
  options: BootstrapOptions,
): [number, number] | null {
  if (values.length === 0) return null;
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const alpha = 1 - (options.level ?? 0.95);
  const means = bootstrapMeans(values, resamples, options.seed).sort((x, y) => x - y);
  const lo = means[Math.min(resamples - 1, Math.floor((resamples * alpha) / 2))] as number;
  const hi = means[Math.max(0, Math.ceil(resamples * (1 - alpha / 2)) - 1)] as number;
  return [lo, hi];
}
