import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { passAtK, passAtKCurve } from "../../src/metrics/index.js";
import { Rational } from "../../src/perturb/rational.js";
import { createRng } from "../../src/util/rng.js";

function binom(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let r = 1n;
  for (let i = 0; i < k; i++) r = (r * BigInt(n - i)) / BigInt(i + 1);
  return r;
}

/** The plain formula 1 - C(n-c, k) / C(n, k), exactly. */
function plain(n: number, c: number, k: number): number {
  return Rational.ONE.sub(Rational.of(binom(n - c, k), binom(n, k))).toNumber();
}

describe("pass@k", () => {
  it("matches hand-worked values", () => {
    assert.equal(passAtK(10, 0, 1), 0);
    assert.equal(passAtK(10, 10, 5), 1);
    assert.ok(Math.abs(passAtK(10, 3, 1) - 0.3) < 1e-15);
    // 1 - C(2,2)/C(4,2) = 1 - 1/6
    assert.ok(Math.abs(passAtK(4, 2, 2) - 5 / 6) < 1e-15);
    // 1 - C(7,5)/C(10,5) = 1 - 21/252 = 11/12
    assert.ok(Math.abs(passAtK(10, 3, 5) - 11 / 12) < 1e-15);
    // n - c < k: every draw of k includes a correct sample
    assert.equal(passAtK(5, 3, 3), 1);
    assert.equal(passAtK(1, 1, 1), 1);
  });

  it("equals the plain combinatorial formula on 500 random cases with n up to 200, for every k", () => {
    const rng = createRng(20240601);
    for (let trial = 0; trial < 500; trial++) {
      const n = rng.int(1, 200);
      const c = rng.int(0, n);
      const k = rng.int(1, n);
      const got = passAtK(n, c, k);
      const want = plain(n, c, k);
      assert.ok(Math.abs(got - want) <= 1e-12, `n=${n} c=${c} k=${k}: ${got} vs ${want}`);
    }
    const curve = passAtKCurve(200, 7);
    assert.equal(curve.length, 200);
    for (let k = 1; k <= 200; k++)
      assert.ok(Math.abs((curve[k - 1] as number) - plain(200, 7, k)) <= 1e-12, `k=${k}`);
  });

  it("pass@1 is c/n, and pass@k never decreases with k", () => {
    for (const [n, c] of [
      [10, 4],
      [200, 1],
      [37, 36],
    ] as const) {
      const curve = passAtKCurve(n, c);
      assert.ok(Math.abs((curve[0] as number) - c / n) < 1e-14);
      for (let k = 1; k < n; k++) assert.ok((curve[k] as number) >= (curve[k - 1] as number) - 1e-15);
    }
  });

  it("stays finite where the plain ratio would overflow doubles", () => {
    const v = passAtK(5000, 1, 2500);
    assert.ok(Math.abs(v - 0.5) < 1e-12, String(v));
  });

  it("refuses impossible arguments", () => {
    assert.throws(() => passAtK(5, 6, 1), RangeError);
    assert.throws(() => passAtK(5, 2, 6), RangeError);
    assert.throws(() => passAtK(5, 2, 0), RangeError);
    assert.throws(() => passAtK(0, 0, 1), RangeError);
  });
});
