import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { expsAndSum, logSumExp } from "../../src/runner/logits.js";
import { applyTopP, nucleusScratch, topP } from "../../src/runner/processors.js";
import { sampleFromExps, sampleMultinomial } from "../../src/runner/samplers.js";
import { createRng } from "../../src/util/rng.js";

describe("shared-exps sampling (temperature 1, no top-k)", () => {
  it("gives bit for bit the log-prob normalizer, top-p mask and draw of the processor pipeline", () => {
    const n = 5000;
    const exps = new Float64Array(n);
    const scratch = nucleusScratch();
    const data = createRng(12345);
    for (let trial = 0; trial < 60; trial++) {
      const x = new Float32Array(n);
      const spread = [0.5, 2, 8, 30][trial % 4]!;
      for (let i = 0; i < n; i++) x[i] = (data.next() - 0.5) * spread + (i % 97 === 0 ? 4 : 0);
      if (trial % 3 === 0) for (let i = 0; i < 50; i++) x[(i * 37) % n] = Number.NEGATIVE_INFINITY;
      if (trial % 5 === 0) for (let i = 0; i < 200; i++) x[i] = x[0]!; // ties
      const p = [0.5, 0.9, 0.95, 1][trial % 4]!;

      const lse = logSumExp(x);
      const a = x.slice();
      topP(p)(a);
      const drawA = sampleMultinomial(a, createRng(trial));

      const { max, sum } = expsAndSum(x, exps);
      const b = x.slice();
      applyTopP(b, exps, max, sum, p, scratch);
      const drawB = sampleFromExps(b, exps, createRng(trial));

      assert.equal(max + Math.log(sum), lse, `trial ${trial}: log-sum-exp`);
      assert.deepEqual(b, a, `trial ${trial}: top-p mask`);
      assert.equal(drawB, drawA, `trial ${trial}: draw`);
    }
  });
});
