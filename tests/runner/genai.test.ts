import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { generateBatch } from "../../src/runner/generate.js";
import { CausalLM } from "../../src/runner/model.js";
import { scoreTokenBatch } from "../../src/runner/score.js";
import type { Completion } from "../../src/runner/types.js";
import { assertClose, FIXTURES } from "./helpers.js";

/**
 * tests/fixtures/gqa-tiny (tools/build_genai_fixture.py): the onnxruntime-genai builder's layout:
 * genai_config.json and no config.json, no position_ids input, and attention through
 * com.microsoft GroupQueryAttention (2 query heads per KV head, rotary inside the operator,
 * seqlens_k and total_sequence_length computed in the graph from the attention mask). Its
 * reference comes from numpy, one prompt at a time. GroupQueryAttention reads the mask as right
 * padding, so the runner must never left-pad rows for such a graph.
 */
const GQA = join(FIXTURES, "gqa-tiny");

interface GqaReference {
  min_greedy_margin: number;
  prompts: Array<{ text: string; ids: number[]; greedy_ids: number[]; greedy_logprobs: number[] }>;
}
const ref = JSON.parse(readFileSync(join(GQA, "reference.json"), "utf8")) as GqaReference;

describe("an onnxruntime-genai builder model (GroupQueryAttention, no position_ids)", () => {
  let lm: CausalLM;
  before(async () => {
    lm = await CausalLM.open(GQA, { threads: 1 });
  });
  after(async () => {
    await lm.close();
  });

  it("reads its sizes from genai_config.json and the graph", () => {
    assert.equal(lm.info.hasPositionIds, false);
    assert.deepEqual([lm.info.numLayers, lm.info.kvHeads, lm.info.headDim], [2, 2, 16]);
    assert.equal(lm.maxContext, 128);
    assert.equal(lm.kvSlices, undefined, "the cache is concatenated inside the operator");
    assert.equal(lm.decodePath.path, "present-feedback");
    assert.match(
      lm.decodePath.reason ?? "",
      /present\.0\.key is not a Concat of the past and the new positions/,
    );
    assert.ok(ref.min_greedy_margin > 1e-3);
    for (const p of ref.prompts) assert.deepEqual(lm.tokenizer.encode(p.text), p.ids);
    const info = JSON.parse(readFileSync(join(GQA, "build-info.json"), "utf8")) as {
      sha256: Record<string, string>;
    };
    const sha = createHash("sha256")
      .update(readFileSync(join(GQA, "model.onnx")))
      .digest("hex");
    assert.equal(sha, info.sha256["model.onnx"], "model.onnx is the one build-info.json records");
  });

  it("greedy completions equal the reference, alone and in one batch of different lengths", async () => {
    const lengths = new Set(ref.prompts.map((p) => p.ids.length));
    assert.ok(lengths.size > 2, "the prompts differ in length");
    const config = { maxNewTokens: ref.prompts[0]!.greedy_ids.length, temperature: 0 };
    const alone: Completion[] = [];
    for (const [i, p] of ref.prompts.entries())
      alone.push(...(await generateBatch(lm, [{ id: `g${i}`, prompt: p.text }], config)));
    const together = await generateBatch(
      lm,
      ref.prompts.map((p, i) => ({ id: `g${i}`, prompt: p.text })),
      config,
    );
    for (const out of [alone, together]) {
      assert.deepEqual(
        out.map((c) => c.requestId),
        ref.prompts.map((_, i) => `g${i}`),
      );
      out.forEach((c, i) => {
        const p = ref.prompts[i]!;
        assert.deepEqual(c.tokenIds, p.greedy_ids, `prompt ${i}`);
        assertClose(c.logprobs, p.greedy_logprobs, 1e-4, `prompt ${i}`);
      });
    }
  });

  it("sampled rows are the same in a mixed-length batch as one prompt at a time", async () => {
    const config = { maxNewTokens: 10, temperature: 1, seed: 4, n: 3 };
    const together = await generateBatch(
      lm,
      ref.prompts.map((p, i) => ({ id: `s${i}`, prompt: p.text })),
      config,
    );
    const alone: Completion[] = [];
    for (const [i, p] of ref.prompts.entries())
      alone.push(...(await generateBatch(lm, [{ id: `s${i}`, prompt: p.text }], config)));
    assert.equal(together.length, 3 * ref.prompts.length);
    together.forEach((c, k) => {
      assert.equal(`${c.requestId}/${c.sampleIndex}`, `${alone[k]!.requestId}/${alone[k]!.sampleIndex}`);
      assert.deepEqual(c.tokenIds, alone[k]!.tokenIds);
      assertClose(c.logprobs, alone[k]!.logprobs, 1e-5, `${c.requestId}/${c.sampleIndex}`);
    });
  });

  it("scores texts of different lengths in one batch as the reference's greedy log-probs", async () => {
    // Token ids, not text: the random model's continuations are not all valid UTF-8.
    const scored = await scoreTokenBatch(
      lm,
      ref.prompts.map((p, i) => ({ id: `t${i}`, context: p.ids, text: p.greedy_ids })),
    );
    scored.forEach((s, i) => {
      assert.deepEqual(s.tokenIds, ref.prompts[i]!.greedy_ids);
      assertClose(s.logprobs, ref.prompts[i]!.greedy_logprobs, 1e-4, s.requestId);
    });
  });
});
