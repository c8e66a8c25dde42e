import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  bootstrapMeanInterval,
  bootstrapMeans,
  mcnemarExact,
  normalQuantile,
  pairedAccuracyDrop,
  wilsonInterval,
} from "../../src/metrics/index.js";

const close = (a: number, b: number, tol: number, what = "") =>
  assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);

describe("exact McNemar", () => {
  // Two-sided exact binomial p-values, computed with exact fractions (Python's fractions + comb).
  const known: Array<[number, number, number]> = [
    [0, 5, 0.0625],
    [1, 9, 0.021484375],
    [2, 8, 0.109375],
    [10, 25, 0.01667384780012071],
    [40, 70, 0.005447429511444482],
    [100, 150, 0.001883300935076157],
    [3, 3, 1],
    [0, 1, 1],
    [0, 0, 1],
  ];
  for (const [b, c, p] of known) {
    it(`b=${b} c=${c} -> p=${p}`, () => {
      close(mcnemarExact(b, c), p, 1e-12 * Math.max(1, p));
      assert.equal(mcnemarExact(c, b), mcnemarExact(b, c), "symmetric");
    });
  }
  it("stays finite for thousands of discordant pairs", () => {
    const p = mcnemarExact(2000, 2300);
    assert.ok(p > 0 && p < 1e-4, String(p));
    close(mcnemarExact(5000, 5000), 1, 0);
  });
});

describe("Wilson interval", () => {
  const known: Array<[number, number, [number, number]]> = [
    [0, 10, [0, 0.2775327998628892]],
    [5, 10, [0.236593090512564, 0.7634069094874361]],
    [81, 263, [0.2552885198782742, 0.36620957698280004]],
    [1, 50, [0.003539259271646236, 0.10495443589637815]],
    [10, 10, [0.7224672001371107, 1]],
  ];
  for (const [x, n, [lo, hi]] of known) {
    it(`${x}/${n}`, () => {
      const ci = wilsonInterval(x, n) as [number, number];
      close(ci[0], lo, 1e-9, "lo");
      close(ci[1], hi, 1e-9, "hi");
    });
  }
  it("is null for no trials, and widens with the level", () => {
    assert.equal(wilsonInterval(0, 0), null);
    const [a, b] = wilsonInterval(30, 100, 0.9) as [number, number];
    const [c, d] = wilsonInterval(30, 100, 0.99) as [number, number];
    assert.ok(c < a && d > b);
  });
  it("normal quantiles", () => {
    close(normalQuantile(0.975), 1.959963984540054, 1e-8);
    close(normalQuantile(0.5), 0, 1e-12);
    close(normalQuantile(0.995), 2.5758293035489, 1e-8);
    close(normalQuantile(0.001), -3.090232306167813, 1e-8);
  });
});

describe("bootstrap", () => {
  it("is reproducible from its seed and changes with it", () => {
    const values = [0, 1, 1, 0, 1, 0.5, 0, 1];
    assert.deepEqual(bootstrapMeans(values, 100, 7), bootstrapMeans(values, 100, 7));
    assert.notDeepEqual(bootstrapMeans(values, 100, 7), bootstrapMeans(values, 100, 8));
  });

  it("two units {0, 1}: resample means are 0, 1/2, 1 with chances 1/4, 1/2, 1/4", () => {
    const means = bootstrapMeans([0, 1], 10_000, 3);
    const share = (v: number) => means.filter((m) => m === v).length / means.length;
    close(share(0), 0.25, 0.02, "P(0)");
    close(share(0.5), 0.5, 0.02, "P(1/2)");
    close(share(1), 0.25, 0.02, "P(1)");
    assert.deepEqual(bootstrapMeanInterval([0, 1], { seed: 3 }), [0, 1]);
  });

  it("collapses on constant data, and is null on none", () => {
    assert.deepEqual(bootstrapMeanInterval([0.25, 0.25, 0.25], { seed: 1 }), [0.25, 0.25]);
    assert.equal(bootstrapMeanInterval([], { seed: 1 }), null);
  });

  it("agrees with the normal approximation on a large sample", () => {
    // 400 paired differences: 60 of +1, 20 of -1, the rest 0. mean 0.1, sd ~0.3
    const values = [...Array(60).fill(1), ...Array(20).fill(-1), ...Array(320).fill(0)] as number[];
    const mean = 0.1;
    const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
    const half = (1.959964 * sd) / Math.sqrt(values.length);
    const [lo, hi] = bootstrapMeanInterval(values, { seed: 11 }) as [number, number];
    close(lo, mean - half, 0.006, "lo");
    close(hi, mean + half, 0.006, "hi");
  });
});

describe("paired accuracy drop", () => {
  it("computes the drop per problem, McNemar over pairs, and a seeded interval", () => {
    const units = [
      { problemId: "a", original: true, variants: [false, false] },
      { problemId: "b", original: true, variants: [true] },
      { problemId: "c", original: false, variants: [true] },
      { problemId: "d", original: true, variants: [false, true] },
      { problemId: "e", original: false, variants: [] },
    ];
    const out = pairedAccuracyDrop(units, { seed: 5, resamples: 2000 });
    assert.equal(out.problems, 4);
    assert.equal(out.pairs, 6);
    assert.equal(out.originalAccuracy, 0.75);
    assert.equal(out.variantAccuracy, (0 + 1 + 1 + 0.5) / 4);
    assert.equal(out.drop, 0.75 - 0.625);
    assert.deepEqual(out.mcnemar, { b: 3, c: 1, pValue: 0.625 });
    const [lo, hi] = out.ci as [number, number];
    assert.ok(lo <= (out.drop as number) && (out.drop as number) <= hi);
    assert.ok(lo >= -1 && hi <= 1);
    assert.deepEqual(pairedAccuracyDrop(units, { seed: 5, resamples: 2000 }), out);
    assert.equal(out.resamples, 2000);
    assert.equal(pairedAccuracyDrop(units, { seed: 5 }).resamples, 10_000);
  });

  it("an empty probe gives nulls, not NaN", () => {
    const out = pairedAccuracyDrop([], { seed: 1 });
    assert.equal(out.drop, null);
    assert.equal(out.ci, null);
    assert.equal(out.mcnemar.pValue, 1);
  });
});
