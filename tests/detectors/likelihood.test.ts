import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  meanOfLowest,
  minKCount,
  minKPlusPlus,
  minKPlusPlusTokens,
  minKProb,
  neighbourhoodGap,
  perTokenLogLikelihood,
  scoredText,
  zlibLength,
  zlibRatio,
} from "../../src/detectors/likelihood.js";
import { signTest, studentTUpperTail } from "../../src/detectors/stats.js";

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

describe("Min-K% Prob", () => {
  it("averages the lowest 20% of token log-probs", () => {
    // 10 tokens -> 2 lowest: -6 and -5.
    close(minKProb([-1, -2, -3, -4, -5, -0.5, -0.1, -6, -0.2, -0.3]), -5.5);
    // k = 0.5 of 6 -> 3 lowest: -3, -2, -1.5.
    close(minKProb([-1, -2, -3, -0.5, -1.5, -0.1], 0.5), -6.5 / 3);
  });
  it("takes at least one token", () => {
    assert.equal(minKCount(4, 0.2), 1);
    assert.equal(minKCount(5, 0.2), 1);
    assert.equal(minKCount(10, 0.2), 2);
    assert.equal(minKCount(15, 0.2), 3);
    close(minKProb([-0.2, -3, -1, -0.5]), -3);
    assert.ok(Number.isNaN(meanOfLowest([])));
    assert.throws(() => minKCount(3, 0));
  });
});

describe("Min-K%++", () => {
  it("standardises each token by the model's mean and std of log p", () => {
    // (-1 - -1.5) / 0.5 = 1; (-2 - -1) / 2 = -0.5; (-3 - -3) / 1 = 0; sigma 0 -> 0.
    const z = minKPlusPlusTokens([-1, -2, -3, -0.7], [-1.5, -1, -3, -0.7], [0.25, 4, 1, 0]);
    assert.deepEqual(z, [1, -0.5, 0, 0]);
    close(minKPlusPlus([-1, -2, -3, -0.7], [-1.5, -1, -3, -0.7], [0.25, 4, 1, 0], 0.5), -0.25);
    close(minKPlusPlus([-1, -2, -3, -0.7], [-1.5, -1, -3, -0.7], [0.25, 4, 1, 0], 1), 0.125);
    assert.throws(() => minKPlusPlusTokens([-1], [-1, -2], [1]));
  });
});

describe("zlib ratio and per-token likelihood", () => {
  it("divides the log-likelihood by the compressed length", () => {
    // zlib.compress(b"") is 2 header bytes, an empty final block (2 bytes) and the Adler-32 (4).
    assert.equal(zlibLength(""), 8);
    // Python: len(zlib.compress(b"aaaaaaaaaa")) == 11.
    assert.equal(zlibLength("aaaaaaaaaa"), 11);
    close(zlibRatio([-1, -2, -8], "aaaaaaaaaa"), -11 / 11);
    close(perTokenLogLikelihood([-1, -2, -6]), -3);
  });
});

describe("neighbourhood gap", () => {
  it("is the original's per-token log-likelihood minus its neighbours' mean", () => {
    close(neighbourhoodGap(-1, [-1.5, -2.5])!, 1);
    close(neighbourhoodGap(-2, [-1])!, -1);
    assert.equal(neighbourhoodGap(-1, []), null);
    assert.equal(scoredText("Q?", "A\n#### 3"), "Q?\nA\n#### 3");
  });
  it("sign test: exact binomial upper tail, ties dropped", () => {
    // 3 of 4 positive: P(X >= 3 | 4, 1/2) = (4 + 1) / 16.
    const s = signTest([1, 2, 3, -1, 0]);
    assert.deepEqual([s.positive, s.negative, s.ties], [3, 1, 1]);
    close(s.pValue, 5 / 16);
    close(signTest([1, 1, 1, 1, 1]).pValue, 1 / 32);
    assert.equal(signTest([0, 0]).pValue, 1);
  });
  it("Student's t upper tail", () => {
    close(studentTUpperTail(0, 5), 0.5, 1e-12);
    close(studentTUpperTail(1, 1), 0.25, 1e-10); // Cauchy
    close(studentTUpperTail(2, 2), 0.5 - 2 / (2 * Math.sqrt(6)), 1e-10);
    close(studentTUpperTail(-2, 2), 0.5 + 2 / (2 * Math.sqrt(6)), 1e-10);
  });
});
