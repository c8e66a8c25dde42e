import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  exchangeabilityTest,
  planExchangeability,
  type SequenceScorer,
} from "../../src/detectors/exchangeability.js";
import { createRng, deriveSeed } from "../../src/util/rng.js";

/** A deterministic standard normal for a pair of example labels (Box-Muller on a seeded rng). */
function pairNoise(seed: number, a: number, b: number): number {
  const rng = createRng(deriveSeed(seed, a, b));
  const u = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/**
 * A fake model: the log-likelihood of a sequence of examples (by label) is a sum of per-example
 * terms and a random term per adjacent pair, so order matters but no order is special. `planted`
 * adds a bonus for every adjacent pair that follows the canonical order (a memorised file).
 */
function fakeScorer(
  labels: number[],
  seed: number,
  planted: number,
  counter: { passes: number },
): SequenceScorer {
  return async (sequences) =>
    sequences.map((seq) => {
      counter.passes++;
      let ll = 0;
      for (let i = 0; i < seq.length; i++) {
        const a = labels[seq[i]!]!;
        ll -= 10 + (a % 7);
        if (i > 0) {
          const b = labels[seq[i - 1]!]!;
          ll += pairNoise(seed, b, a);
          if (seq[i]! === seq[i - 1]! + 1) ll += planted;
        }
      }
      return ll;
    });
}

describe("exchangeability test (Oren et al. 2023)", () => {
  it("plans shards and permutations within the budget", () => {
    assert.deepEqual(planExchangeability(100, 110), { shards: 10, permutationsPerShard: 10 });
    assert.deepEqual(planExchangeability(100, 20), { shards: 2, permutationsPerShard: 9 });
    assert.deepEqual(planExchangeability(100, 20, 1), { shards: 1, permutationsPerShard: 19 });
    assert.throws(() => planExchangeability(100, 3, 2));
    assert.throws(() => planExchangeability(1, 10));
  });

  it("p-values are roughly uniform on exchangeable data", async () => {
    const ps: number[] = [];
    for (let trial = 0; trial < 200; trial++) {
      // The data set is a random order of 40 labels: exchangeable by construction.
      const labels = createRng(deriveSeed(7, "labels", trial)).shuffle(
        Array.from({ length: 40 }, (_, i) => i),
      );
      const counter = { passes: 0 };
      const r = await exchangeabilityTest(40, fakeScorer(labels, trial, 0, counter), {
        budget: 44,
        seed: trial,
      });
      assert.equal(r.shards, 4);
      assert.equal(r.permutationsPerShard, 10);
      assert.equal(counter.passes, 44);
      assert.ok(r.forwardPasses <= 44);
      ps.push(r.pValue);
    }
    const share = (x: number) => ps.filter((p) => p <= x).length / ps.length;
    const meanP = ps.reduce((a, b) => a + b, 0) / ps.length;
    // Uniform: mean 1/2 (sd of the mean ~0.02), P(p <= 0.1) ~ 0.1, P(p <= 0.5) ~ 0.5.
    assert.ok(Math.abs(meanP - 0.5) < 0.08, `mean p ${meanP}`);
    assert.ok(share(0.1) > 0.03 && share(0.1) < 0.18, `P(p<=0.1) ${share(0.1)}`);
    assert.ok(share(0.5) > 0.38 && share(0.5) < 0.62, `P(p<=0.5) ${share(0.5)}`);
  });

  it("p-value is small on a planted canonical ordering", async () => {
    const labels = Array.from({ length: 40 }, (_, i) => i);
    const r = await exchangeabilityTest(40, fakeScorer(labels, 3, 2.0, { passes: 0 }), {
      budget: 44,
      seed: 1,
    });
    assert.equal(r.method, "t-test");
    assert.ok(r.pValue < 0.01, `p ${r.pValue}`);
    assert.ok(r.meanStatistic > 0);
    // One shard: the exact permutation p-value, floored at 1 / (1 + m).
    const one = await exchangeabilityTest(40, fakeScorer(labels, 3, 1.0, { passes: 0 }), {
      budget: 20,
      shards: 1,
      seed: 1,
    });
    assert.equal(one.method, "permutation");
    assert.equal(one.pValue, 1 / 20);
    assert.equal(one.minPValue, 1 / 20);
  });
});
