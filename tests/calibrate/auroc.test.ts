import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { auroc, aurocBootstrapInterval, twiceMannWhitneyU } from "../../src/calibrate/auroc.js";
import { createRng } from "../../src/util/rng.js";

/** The definition, pair by pair. */
function bruteForce(pos: readonly number[], neg: readonly number[]): number {
  let s = 0;
  for (const x of pos) for (const y of neg) s += x > y ? 1 : x === y ? 0.5 : 0;
  return s / (pos.length * neg.length);
}

describe("auroc (exact Mann-Whitney, ties 0.5)", () => {
  it("matches hand-computed small examples", () => {
    assert.equal(auroc([3, 4], [1, 2]), 1);
    assert.equal(auroc([1, 2], [3, 4]), 0);
    assert.equal(auroc([1], [1]), 0.5);
    // pos [1, 3], neg [2]: pairs (1,2)=0, (3,2)=1 -> 1/2.
    assert.equal(auroc([1, 3], [2]), 0.5);
    // pos [2, 2, 5], neg [1, 2, 6]: 2 vs {1,2,6} = 1 + .5 + 0 = 1.5 (twice) = 3; 5 vs = 1 + 1 + 0 = 2; 5/9.
    assert.equal(auroc([2, 2, 5], [1, 2, 6]), 5 / 9);
    assert.equal(twiceMannWhitneyU([2, 2, 5], [1, 2, 6]), 10);
    // all tied
    assert.equal(auroc([7, 7, 7], [7, 7]), 0.5);
    // pos [0.1, 0.4, 0.35, 0.8], neg [0.2, 0.3, 0.4]: 0.1 -> 0; 0.4 -> 2 + .5; 0.35 -> 2; 0.8 -> 3 = 7.5 / 12.
    assert.equal(auroc([0.1, 0.4, 0.35, 0.8], [0.2, 0.3, 0.4]), 7.5 / 12);
  });

  it("is null when a class is empty and rejects non-finite scores", () => {
    assert.equal(auroc([], [1]), null);
    assert.equal(auroc([1], []), null);
    assert.throws(() => auroc([Number.NaN], [1]), RangeError);
  });

  it("equals the brute-force pairwise count on random data (with many ties)", () => {
    const rng = createRng(42);
    for (let t = 0; t < 300; t++) {
      const n1 = 1 + rng.int(0, 40);
      const n0 = 1 + rng.int(0, 40);
      const levels = 1 + rng.int(0, 10);
      const draw = (shift: number) => (t % 2 ? rng.int(0, levels) + shift : rng.next() + shift);
      const pos = Array.from({ length: n1 }, () => draw(rng.next() < 0.5 ? 0 : 1));
      const neg = Array.from({ length: n0 }, () => draw(0));
      assert.equal(auroc(pos, neg), bruteForce(pos, neg), `trial ${t}`);
    }
  });

  it("is symmetric: swapping the classes gives 1 - AUROC", () => {
    const rng = createRng(7);
    const pos = Array.from({ length: 30 }, () => rng.int(0, 5));
    const neg = Array.from({ length: 25 }, () => rng.int(0, 5));
    assert.equal(auroc(pos, neg)! + auroc(neg, pos)!, 1);
  });
});

describe("aurocBootstrapInterval (stratified, seeded)", () => {
  const rng = createRng(3);
  const pos = Array.from({ length: 40 }, () => rng.next() + 0.3);
  const neg = Array.from({ length: 35 }, () => rng.next());
  const opts = { resamples: 2000, seed: 11, level: 0.95 };

  it("is reproducible for a seed, contains the estimate, and lies in [0, 1]", () => {
    const a = aurocBootstrapInterval(pos, neg, opts)!;
    const b = aurocBootstrapInterval(pos, neg, opts)!;
    assert.deepEqual(a, b);
    const est = auroc(pos, neg)!;
    assert.ok(a[0] <= est && est <= a[1], `${a} vs ${est}`);
    assert.ok(a[0] >= 0 && a[1] <= 1 && a[0] < a[1]);
    assert.notDeepEqual(aurocBootstrapInterval(pos, neg, { ...opts, seed: 12 }), a);
  });

  it("keeps both classes in every resample (perfect separation gives [1, 1])", () => {
    assert.deepEqual(aurocBootstrapInterval([5, 6, 7], [1, 2], opts), [1, 1]);
    assert.equal(aurocBootstrapInterval([], [1], opts), null);
  });

  it("widens with the level", () => {
    const w = (level: number) => {
      const [lo, hi] = aurocBootstrapInterval(pos, neg, { ...opts, level })!;
      return hi - lo;
    };
    assert.ok(w(0.99) >= w(0.9));
  });
});
