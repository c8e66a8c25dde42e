/**
 * Min-K%++ from the runner's scoring against a direct computation from the phi-tiny model's full
 * logits (softmax over the tokenizer's vocabulary, in float64, here in the test).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { minKPlusPlus, minKProb } from "../../src/detectors/likelihood.js";
import { CausalLM } from "../../src/runner/model.js";
import { scoreBatch } from "../../src/runner/score.js";

const TINY = fileURLToPath(new URL("../../../tests/fixtures/phi-tiny/", import.meta.url));
const TEXT = "A gardener plants 36 tulips in May and twice as many daisies in June, then sells half of them.";

describe("Min-K%++ on the phi-tiny model", () => {
  let lm: CausalLM;
  before(async () => {
    lm = await CausalLM.open(TINY, { threads: 1 });
  });
  after(async () => {
    await lm.close();
  });

  it("equals the value computed from the model's full logits", async () => {
    const [scored] = await scoreBatch(lm, [{ id: "t", text: TEXT }]);
    const ids = [lm.bosId, ...scored!.tokenIds];
    const L = ids.length;
    const { logits } = await lm.forward(
      {
        rows: 1,
        seqLen: L,
        inputIds: ids,
        attentionMask: new Array(L).fill(1),
        positionIds: ids.map((_, i) => i),
      },
      lm.emptyCache(1),
    );
    assert.equal(logits.type, "float32");
    const data = logits.data as Float32Array;
    const V = logits.dims[2]!;
    const missing = new Set(lm.tokenizer.missingIds);
    const real: number[] = [];
    for (let c = 0; c < lm.vocabLimit; c++) if (!missing.has(c)) real.push(c);
    const lp: number[] = [];
    const mu: number[] = [];
    const v: number[] = [];
    for (let j = 0; j < L - 1; j++) {
      const row = data.subarray(j * V, (j + 1) * V);
      let max = -Infinity;
      for (const c of real) max = Math.max(max, row[c]!);
      let z = 0;
      for (const c of real) z += Math.exp(row[c]! - max);
      const lse = max + Math.log(z);
      let m = 0;
      let m2 = 0;
      for (const c of real) {
        const l = row[c]! - lse;
        const p = Math.exp(l);
        m += p * l;
        m2 += p * l * l;
      }
      lp.push(row[ids[j + 1]!]! - lse);
      mu.push(m);
      v.push(m2 - m * m);
    }
    const direct = minKPlusPlus(lp, mu, v);
    const viaRunner = minKPlusPlus(scored!.logprobs, scored!.meanLogprob!, scored!.varLogprob!);
    assert.ok(Number.isFinite(direct));
    assert.ok(Math.abs(direct - viaRunner) < 1e-4, `direct ${direct} vs runner ${viaRunner}`);
    assert.ok(Math.abs(minKProb(lp) - minKProb(scored!.logprobs)) < 1e-4);
    // And the direct statistics themselves, token by token.
    for (let j = 0; j < lp.length; j++) {
      assert.ok(Math.abs(lp[j]! - scored!.logprobs[j]!) < 1e-4);
      assert.ok(Math.abs(mu[j]! - scored!.meanLogprob![j]!) < 1e-4);
      assert.ok(Math.abs(v[j]! - scored!.varLogprob![j]!) < 1e-3);
    }
  });
});
