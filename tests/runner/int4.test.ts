import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { generateBatch } from "../../src/runner/generate.js";
import { CausalLM } from "../../src/runner/model.js";
import { readGraph } from "../../src/runner/onnx-proto.js";
import { scoreBatch } from "../../src/runner/score.js";
import { assertClose, modelDir, reference, TINY_INT4 } from "./helpers.js";

/**
 * tests/fixtures/phi-tiny-int4 (tools/build_phi_model.py --preset tiny-int4): transformers'
 * PhiForCausalLM exported in fp32, then quantized by onnxruntime's MatMulNBitsQuantizer
 * (asymmetric 4-bit, block 16 along K, a float32 scale and a packed 4-bit zero point per block):
 * every linear layer and lm_head is a com.microsoft MatMulNBits node, the token embedding a
 * com.microsoft GatherBlockQuantized node (uint4 data). reference.json is PhiForCausalLM run with
 * the weights read back from the graph and DEQUANTIZED as the contrib ops define it, so the only
 * difference left is float rounding (MLAS's int4 kernels sum in another order): measured max
 * |log-prob difference| 2.8e-6 over the 60 greedy (one by one and batched) and 23 scored tokens,
 * so 1e-4 (the fp32 fixture's score tolerance) leaves a 30x margin, and the smallest greedy top-2
 * logit gap (0.040) is far above it. The quantization itself moves log-probs by up to 0.78
 * (reference.json's `unquantized`). Reading the packed nibbles in the other order (weights or
 * zero points) makes all 12 greedy tokens of the first prompt differ, so these tests pin the
 * layout ONNX Runtime reads to the one the builder dequantized.
 */
const ref = reference(TINY_INT4);
const TOL = 1e-4;

describe("int4 weights (MatMulNBits, GatherBlockQuantized) on the CPU provider", () => {
  let lm: CausalLM;
  let cleanup: () => void;
  before(async () => {
    const m = modelDir(TINY_INT4);
    cleanup = m.cleanup;
    lm = await CausalLM.open(m.dir, { threads: 1 });
  });
  after(async () => {
    await lm.close();
    cleanup();
  });

  it("the fixture is an int4 graph: contrib nodes for every weight, no fp32 weight left", () => {
    const bytes = readFileSync(join(TINY_INT4, "model.onnx"));
    const graph = readGraph(bytes);
    const info = JSON.parse(readFileSync(join(TINY_INT4, "build-info.json"), "utf8")) as {
      config: { layers: number };
    };
    const ops = (type: string) => graph.nodes.filter((n) => n.opType === type);
    // 6 linear layers per decoder layer + lm_head, and the embedding.
    assert.equal(ops("MatMulNBits").length, 6 * info.config.layers + 1);
    assert.equal(ops("GatherBlockQuantized").length, 1);
    assert.ok(bytes.includes("com.microsoft"), "com.microsoft opset imported");
    // No fp32 weight is left: every MatMul and Gather reads computed tensors only (a name that no
    // node produces and that is no graph input is an initializer).
    const computed = new Set([...graph.inputs.map((i) => i.name), ...graph.nodes.flatMap((n) => n.outputs)]);
    for (const n of [...ops("MatMul"), ...ops("Gemm"), ...ops("Gather")]) {
      const weight = n.opType === "Gather" ? n.inputs[0]! : n.inputs[1]!;
      assert.ok(computed.has(weight), `${n.opType} reads the constant ${weight}`);
    }
    // [51200, 16] float32 alone would be 3.3 MB.
    assert.ok(bytes.length < 2_000_000, `fixture is ${bytes.length} bytes`);
  });

  it("reads the graph layout from metadata", () => {
    assert.equal(lm.info.numLayers, 2);
    assert.equal(lm.info.kvHeads, 2);
    assert.equal(lm.info.headDim, 8);
    assert.equal(lm.info.kvType, "float32");
    assert.equal(lm.info.logitsType, "float32");
    assert.equal(lm.info.vocabColumns, 51200);
    assert.equal(lm.vocabLimit, 50295);
  });

  it(`greedy tokens equal transformers' with the dequantized weights, log-probs within ${TOL}`, async () => {
    assert.ok(ref.min_greedy_margin > 100 * TOL, "reference greedy decisions have clear margins");
    for (const [i, p] of ref.prompts.entries()) {
      assert.deepEqual(lm.tokenizer.encode(p.text), p.ids, p.text);
      const [c] = await generateBatch(lm, [{ id: `p${i}`, prompt: p.text }], {
        maxNewTokens: ref.greedy_new_tokens,
      });
      assert.deepEqual(c!.tokenIds, p.greedy_ids, p.text);
      assertClose(c!.logprobs, p.greedy_logprobs, TOL, `greedy logprobs of prompt ${i}`);
    }
    const batch = await generateBatch(
      lm,
      ref.prompts.map((p, i) => ({ id: `b${i}`, prompt: p.text })),
      { maxNewTokens: ref.greedy_new_tokens },
    );
    assert.deepEqual(
      batch.map((c) => c.tokenIds),
      ref.batch.greedy_ids,
    );
    for (const [i, c] of batch.entries())
      assertClose(c.logprobs, ref.batch.greedy_logprobs[i]!, TOL, `batched greedy logprobs ${i}`);
  });

  it(`teacher-forced log-probs within ${TOL} of the dequantized reference`, async () => {
    const out = await scoreBatch(
      lm,
      ref.score.map((s, i) => ({ id: `s${i}`, prefix: s.prefix, text: s.text })),
    );
    for (const [i, r] of out.entries()) {
      const s = ref.score[i]!;
      assert.deepEqual(r.tokenIds, s.continuation_ids);
      assertClose(r.logprobs, s.logprobs, TOL, `int4 logprobs ${i}`);
    }
  });

  it("the int4 weights are what ran: results differ from the same model's fp32 weights", async () => {
    const unq = ref.unquantized;
    assert.ok(unq, "reference.json has the unquantized results");
    const out = await scoreBatch(
      lm,
      ref.score.map((s, i) => ({ id: `u${i}`, prefix: s.prefix, text: s.text })),
    );
    let maxGap = 0;
    for (const [i, r] of out.entries()) {
      for (const [j, lp] of r.logprobs.entries())
        maxGap = Math.max(maxGap, Math.abs(lp - unq.score_logprobs[i]![j]!));
    }
    // 1000x the tolerance above: the runner matches the int4 reference, not the fp32 one.
    assert.ok(maxGap > 1000 * TOL, `max |int4 - fp32| log-prob ${maxGap}`);
    const [c] = await generateBatch(lm, [{ id: "g", prompt: ref.prompts[0]!.text }], {
      maxNewTokens: ref.greedy_new_tokens,
    });
    assert.notDeepEqual(c!.tokenIds, unq.greedy_ids[0]);
  });
});
