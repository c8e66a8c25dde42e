import { type BootstrapOptions, bootstrapMeanInterval, DEFAULT_RESAMPLES } from "./bootstrap.js";
import { mcnemarExact } from "./stats.js";

/** One problem's greedy correctness on the original and on each of its variants of one probe. */
export interface PairedUnit {
  problemId: string;
  original: boolean;
  variants: boolean[];
}

export interface PairedDrop {
  /** Problems with at least one variant. */
  problems: number;
  /** (original, variant) pairs. */
  pairs: number;
  /** Mean original accuracy over those problems. */
  originalAccuracy: number | null;
  /** Mean over problems of the problem's variant accuracy (each problem weighs the same). */
  variantAccuracy: number | null;
  /** originalAccuracy - variantAccuracy: positive when the probe hurts. */
  drop: number | null;
  /** Percentile bootstrap interval of the drop, resampling problems. */
  ci: [number, number] | null;
  level: number;
  resamples: number;
  seed: number;
  /** Exact McNemar test over the pairs: b = original right & variant wrong, c = the reverse. */
  mcnemar: { b: number; c: number; pValue: number };
}

/**
 * Accuracy drop from originals to variants, paired by problem. The bootstrap resamples problems,
 * not pairs, so a problem's several variants stay together. McNemar counts every (original,
 * variant) pair; when problems have several variants those pairs are not independent, which makes
 * its p-value optimistic: read it next to the bootstrap interval, not instead of it.
 */
export function pairedAccuracyDrop(units: readonly PairedUnit[], options: BootstrapOptions): PairedDrop {
  const used = units.filter((u) => u.variants.length > 0);
  const diffs: number[] = [];
  let originalSum = 0;
  let variantSum = 0;
  let b = 0;
  let c = 0;
  let pairs = 0;
  for (const u of used) {
    const orig = u.original ? 1 : 0;
    const vAcc = u.variants.filter(Boolean).length / u.variants.length;
    originalSum += orig;
    variantSum += vAcc;
    diffs.push(orig - vAcc);
    for (const v of u.variants) {
      pairs++;
      if (u.original && !v) b++;
      else if (!u.original && v) c++;
    }
  }
  const n = used.length;
  return {
    problems: n,
    pairs,
    originalAccuracy: n === 0 ? null : originalSum / n,
    variantAccuracy: n === 0 ? null : variantSum / n,
    drop: n === 0 ? null : (originalSum - variantSum) / n,
    ci: bootstrapMeanInterval(diffs, options),
    level: options.level ?? 0.95,
    resamples: options.resamples ?? DEFAULT_RESAMPLES,
    seed: options.seed,
    mcnemar: { b, c, pValue: mcnemarExact(b, c) },
  };
}
