import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { generateBatch } from "../../src/runner/generate.js";
import { halfToFloat, logSumExp, readLogits } from "../../src/runner/logits.js";
import { CausalLM } from "../../src/runner/model.js";
import { scoreBatch } from "../../src/runner/score.js";
import { assertClose, modelDir, reference, TINY_FP16 } from "./helpers.js";

const ref = reference(TINY_FP16);

describe("fp16 KV cache and logits", () => {
  let lm: CausalLM;
  let cleanup: () => void;
  before(async () => {
    const m = modelDir(TINY_FP16);
    cleanup = m.cleanup;
    lm = await CausalLM.open(m.dir, { threads: 1 });
  });
  after(async () => {
    await lm.close();
    cleanup();
  });

  it("decodes IEEE half floats", () => {
    assert.equal(halfToFloat(0x3c00), 1);
    assert.equal(halfToFloat(0xc000), -2);
    assert.equal(halfToFloat(0x7bff), 65504);
    assert.equal(halfToFloat(0x0001), 2 ** -24);
    assert.equal(halfToFloat(0xfc00), -Infinity);
  });

  it("reads the fp16 layout from the graph", () => {
    assert.equal(lm.info.kvType, "float16");
    assert.equal(lm.info.logitsType, "float16");
    assert.equal(lm.info.numLayers, 2);
    assert.equal(lm.info.headDim, 4);
  });

  it("scores like transformers' PhiForCausalLM (fp16 cache and logits) within fp16 precision", async () => {
    const out = await scoreBatch(
      lm,
      ref.score.map((s, i) => ({ id: `s${i}`, prefix: s.prefix, text: s.text })),
    );
    for (const [i, r] of out.entries())
      assertClose(r.logprobs, ref.score[i]!.logprobs, 2e-2, `fp16 logprobs ${i}`);
  });

  it("decodes with the fp16 cache like a full recomputation, and generation log-probs match the reference", async () => {
    const p = ref.prompts[0]!;
    const [c] = await generateBatch(lm, [{ id: "h", prompt: p.text }], {
      maxNewTokens: 8,
      temperature: 1,
      seed: 5,
    });
    const ids = [...p.ids, ...c!.tokenIds];
    const { logits } = await lm.forward(
      {
        rows: 1,
        seqLen: ids.length,
        inputIds: ids,
        attentionMask: ids.map(() => 1),
        positionIds: ids.map((_, i) => i),
      },
      lm.emptyCache(1),
    );
    const buf = new Float32Array(lm.vocabLimit);
    const full = c!.tokenIds.map((t, j) => {
      readLogits(logits, 0, p.ids.length - 1 + j, buf);
      return buf[t]! - logSumExp(buf);
    });
    assertClose(c!.logprobs, full, 2e-2, "cached vs full");
    const [g] = await generateBatch(lm, [{ id: "g", prompt: p.text }], { maxNewTokens: 3 });
    assertClose(g!.logprobs, p.greedy_logprobs.slice(0, g!.logprobs.length), 2e-2, "greedy logprobs");
  });
});
