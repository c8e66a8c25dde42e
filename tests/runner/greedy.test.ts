import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { generateBatch } from "../../src/runner/generate.js";
import { CausalLM } from "../../src/runner/model.js";
import { argmax } from "../../src/runner/samplers.js";
import { assertClose, reference, TINY } from "./helpers.js";

const ref = reference();

/**
 * Parity with transformers: tests/fixtures/phi-tiny is transformers' own PhiForCausalLM (seeded
 * weights) exported by tools/build_phi_model.py, and reference.json is that PhiForCausalLM run in
 * PyTorch (eager attention, fp32, full recomputation per step). litmus's ONNX runner (KV cache,
 * slot cache, left padding, masked fake ids) must give its greedy tokens exactly and its log-probs
 * within 1e-5. Measured: 60 greedy tokens one prompt at a time, max |log-prob difference| 3.0e-6;
 * batched 4.8e-6 (onnxruntime's and PyTorch's fp32 kernels sum in different orders).
 */
const PARITY_TOL = 1e-5;

describe("parity with transformers' PhiForCausalLM: greedy decoding on the fp32 fixture", () => {
  let lm: CausalLM;
  before(async () => {
    lm = await CausalLM.open(TINY, { threads: 1 });
  });
  after(async () => {
    await lm.close();
  });

  it("reads the graph layout from metadata and config.json", () => {
    assert.equal(lm.info.numLayers, 3);
    assert.equal(lm.info.kvHeads, 2);
    assert.equal(lm.info.headDim, 8);
    assert.equal(lm.info.kvType, "float32");
    assert.equal(lm.info.vocabColumns, 51200);
    assert.equal(lm.vocabLimit, 50295);
    assert.deepEqual(lm.eosIds, [50256]);
    assert.equal(lm.maxContext, 128);
  });

  it("tokenizes the reference prompts as the Python builder did", () => {
    for (const p of ref.prompts) assert.deepEqual(lm.tokenizer.encode(p.text), p.ids, p.text);
  });

  it(`greedy tokens are transformers' exactly and log-probs within ${PARITY_TOL}, one prompt at a time`, async () => {
    // A top-2 gap moves by at most 2 * PARITY_TOL when every log-prob is within PARITY_TOL, so
    // with these margins a differing token is a runner bug, not rounding.
    assert.ok(ref.min_greedy_margin > 100 * PARITY_TOL, "reference greedy decisions have clear margins");
    for (const [i, p] of ref.prompts.entries()) {
      const [c] = await generateBatch(lm, [{ id: `p${i}`, prompt: p.text }], {
        maxNewTokens: ref.greedy_new_tokens,
      });
      assert.deepEqual(c!.tokenIds, p.greedy_ids, p.text);
      assertClose(c!.logprobs, p.greedy_logprobs, PARITY_TOL, `logprobs of prompt ${i}`);
      assert.equal(c!.finishReason, p.stopped_by_eos ? "eos" : "length");
      assert.equal(c!.text, lm.tokenizer.decode(p.greedy_ids));
    }
  });

  it("a left-padded batch of different-length prompts gives transformers' batched tokens and log-probs", async () => {
    const lengths = new Set(ref.prompts.map((p) => p.ids.length));
    assert.ok(lengths.size >= 4, "prompts differ in length");
    const out = await generateBatch(
      lm,
      ref.prompts.map((p, i) => ({ id: `p${i}`, prompt: p.text })),
      { maxNewTokens: ref.greedy_new_tokens },
    );
    assert.deepEqual(
      out.map((c) => c.tokenIds),
      ref.batch.greedy_ids,
    );
    for (const [i, c] of out.entries()) {
      assertClose(c.logprobs, ref.batch.greedy_logprobs[i]!, PARITY_TOL, `batched logprobs ${i}`);
      assertClose(c.logprobs, ref.prompts[i]!.greedy_logprobs, PARITY_TOL, `batched vs one by one ${i}`);
    }
  });

  it("chunked prefill (tiny logits budget) gives the same result", async () => {
    const out = await generateBatch(
      lm,
      ref.prompts.map((p, i) => ({ id: `p${i}`, prompt: p.text })),
      { maxNewTokens: 4 },
      { maxLogitsBytes: 1 },
    );
    out.forEach((c, i) => {
      assert.deepEqual(c.tokenIds, ref.prompts[i]!.greedy_ids.slice(0, 4));
      assertClose(
        c.logprobs,
        ref.prompts[i]!.greedy_logprobs.slice(0, 4),
        PARITY_TOL,
        `chunked logprobs ${i}`,
      );
    });
  });

  it("never picks an id the tokenizer lacks, though the raw argmax often is one", async () => {
    assert.ok(ref.fake_id_argmax_steps > 0);
    const p = ref.prompts[0]!;
    const ids = [...p.ids, ...p.greedy_ids];
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
    const data = logits.data as Float32Array;
    let fake = 0;
    for (let t = 0; t < ids.length; t++) {
      if (argmax(data.subarray(t * 51200, (t + 1) * 51200)) >= lm.vocabLimit) fake++;
    }
    assert.ok(fake > 0, "some raw argmax is a fake id");
    const out = await generateBatch(
      lm,
      ref.prompts.map((q, i) => ({ id: `p${i}`, prompt: q.text })),
      { maxNewTokens: 12, temperature: 1.5, n: 4, seed: 3 },
    );
    for (const c of out) for (const t of c.tokenIds) assert.ok(t < lm.vocabLimit, `id ${t}`);
  });
});
