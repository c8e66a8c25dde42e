/**
 * The sharded exchangeability test of Oren et al. 2023 ("Proving Test Set Contamination in Black
 * Box Language Models"). If a data set's examples are exchangeable (their published order is no
 * more special than any other), a model that never saw the data set gives its canonical order
 * the same log-likelihood distribution as a random permutation. A model trained on the file in
 * its published order prefers that order.
 *
 * The examples are dealt into r shards in canonical order (contiguous blocks). Each shard's
 * canonical concatenation is scored once and m random permutations of it are scored; the shard's
 * statistic is log p(canonical) - mean log p(permutations). Under the null each statistic has
 * mean zero, and the shards are independent, so a one-sided t-test over the r statistics gives
 * the p-value. With one shard the test falls back to the exact permutation p-value
 * (1 + #{perm >= canonical}) / (1 + m).
 */
import { createRng, deriveSeed } from "../util/rng.js";
import { mean, sampleStd, studentTUpperTail } from "./stats.js";

/** Log-likelihood of each sequence of examples (one forward pass per sequence). */
export type SequenceScorer = (sequences: ReadonlyArray<readonly number[]>) => Promise<number[]>;

export interface ExchangeabilityOptions {
  /** Forward passes allowed: shards * (1 + permutationsPerShard) never exceeds it. */
  budget: number;
  /** Shards; default min(floor(examples / 2), max(2, floor(budget / 11))), so about 10 permutations each. */
  shards?: number;
  seed: number;
}

export interface ShardStatistic {
  /** Example indices of the shard, in canonical order. */
  examples: number[];
  canonical: number;
  permutationMean: number;
  /** canonical - permutationMean. */
  statistic: number;
  /** Permutations that scored at least the canonical order. */
  atLeastCanonical: number;
}

export interface ExchangeabilityResult {
  examples: number;
  shards: number;
  permutationsPerShard: number;
  forwardPasses: number;
  budget: number;
  seed: number;
  /** "t-test" over shards (r >= 2) or the exact "permutation" p-value (r = 1). */
  method: "t-test" | "permutation";
  /** Mean shard statistic, its t value (null for r = 1) and the one-sided p-value. */
  meanStatistic: number;
  t: number | null;
  pValue: number;
  /** The smallest p-value this design can return (permutation method) or null (t-test). */
  minPValue: number | null;
  perShard: ShardStatistic[];
}

/** Shards and permutations per shard for a budget; throws when the budget cannot run a test. */
export function planExchangeability(
  examples: number,
  budget: number,
  shards?: number,
): { shards: number; permutationsPerShard: number } {
  if (!Number.isInteger(budget) || budget < 2)
    throw new RangeError(`budget must be an integer >= 2, got ${budget}`);
  if (examples < 2)
    throw new RangeError(`the exchangeability test needs at least 2 examples, got ${examples}`);
  const r = shards ?? Math.min(Math.floor(examples / 2), Math.max(2, Math.floor(budget / 11)));
  if (!Number.isInteger(r) || r < 1 || r > Math.floor(examples / 2)) {
    throw new RangeError(`shards must be in 1..${Math.floor(examples / 2)} (2 examples each), got ${r}`);
  }
  const m = Math.floor(budget / r) - 1;
  if (m < 1) throw new RangeError(`a budget of ${budget} forward passes cannot score ${r} shards twice each`);
  return { shards: r, permutationsPerShard: m };
}

export async function exchangeabilityTest(
  examples: number,
  score: SequenceScorer,
  options: ExchangeabilityOptions,
): Promise<ExchangeabilityResult> {
  const { shards, permutationsPerShard: m } = planExchangeability(examples, options.budget, options.shards);
  // Contiguous blocks in canonical order; the first (examples % shards) shards get one more.
  const blocks: number[][] = [];
  const base = Math.floor(examples / shards);
  let next = 0;
  for (let s = 0; s < shards; s++) {
    const size = base + (s < examples % shards ? 1 : 0);
    blocks.push(Array.from({ length: size }, (_, i) => next + i));
    next += size;
  }
  const perShard: ShardStatistic[] = [];
  for (const [s, block] of blocks.entries()) {
    const rng = createRng(deriveSeed(options.seed, "exchangeability", s));
    const sequences = [block, ...Array.from({ length: m }, () => rng.shuffle(block))];
    const scores = await score(sequences);
    const canonical = scores[0]!;
    const perms = scores.slice(1);
    const permutationMean = mean(perms);
    perShard.push({
      examples: block,
      canonical,
      permutationMean,
      statistic: canonical - permutationMean,
      atLeastCanonical: perms.filter((x) => x >= canonical).length,
    });
  }
  const stats = perShard.map((p) => p.statistic);
  const meanStatistic = mean(stats);
  let t: number | null = null;
  let pValue: number;
  let method: ExchangeabilityResult["method"];
  if (shards === 1) {
    method = "permutation";
    pValue = (1 + perShard[0]!.atLeastCanonical) / (1 + m);
  } else {
    method = "t-test";
    const sd = sampleStd(stats);
    if (sd > 0) {
      t = meanStatistic / (sd / Math.sqrt(shards));
      pValue = studentTUpperTail(t, shards - 1);
    } else {
      pValue = meanStatistic > 0 ? 0 : 1;
    }
  }
  return {
    examples,
    shards,
    permutationsPerShard: m,
    forwardPasses: shards * (1 + m),
    budget: options.budget,
    seed: options.seed,
    method,
    meanStatistic,
    t,
    pValue,
    minPValue: method === "permutation" ? 1 / (1 + m) : null,
    perShard,
  };
}
