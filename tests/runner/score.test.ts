import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CausalLM } from "../../src/runner/model.js";
import { scoreBatch } from "../../src/runner/score.js";
import { assertClose, reference, TINY } from "./helpers.js";

const ref = reference();

describe("teacher-forced scoring", () => {
  let lm: CausalLM;
  before(async () => {
    lm = await CausalLM.open(TINY, { threads: 1 });
  });
  after(async () => {
    await lm.close();
  });

  it("matches transformers' PhiForCausalLM log-probs, means and variances within 1e-4 (batched)", async () => {
    const out = await scoreBatch(
      lm,
      ref.score.map((s, i) => ({ id: `s${i}`, prefix: s.prefix, text: s.text })),
    );
    out.forEach((r, i) => {
      const s = ref.score[i]!;
      assert.deepEqual(r.tokenIds, s.continuation_ids);
      assertClose(r.logprobs, s.logprobs, 1e-4, `logprobs ${i}`);
      assertClose(r.meanLogprob!, s.mean, 1e-4, `mean ${i}`);
      assertClose(r.varLogprob!, s.variance, 1e-4, `variance ${i}`);
    });
  });

  it("one by one equals batched, and chunked equals whole", async () => {
    const reqs = ref.score.map((s, i) => ({ id: `s${i}`, prefix: s.prefix, text: s.text }));
    const batched = await scoreBatch(lm, reqs);
    for (const [i, req] of reqs.entries()) {
      const [single] = await scoreBatch(lm, [req]);
      assertClose(single!.logprobs, batched[i]!.logprobs, 1e-5, `single ${i}`);
      const [chunked] = await scoreBatch(lm, [req], { maxLogitsBytes: 1 });
      assertClose(chunked!.logprobs, batched[i]!.logprobs, 1e-5, `chunked ${i}`);
    }
  });

  it("scores greedy continuations with the log-probs generation reported", async () => {
    // Decoding random-model ids and encoding them again need not give the same ids (BPE merges
    // across the joins), so score a continuation that round-trips.
    const p = ref.prompts.find((x) => {
      const again = lm.tokenizer.encode(lm.tokenizer.decode(x.greedy_ids));
      return again.length === x.greedy_ids.length && again.every((id, i) => id === x.greedy_ids[i]);
    });
    assert.ok(p, "a reference continuation that round-trips through the tokenizer");
    const [r] = await scoreBatch(lm, [{ id: "g", prefix: p.text, text: lm.tokenizer.decode(p.greedy_ids) }]);
    assert.deepEqual(r!.tokenIds, p.greedy_ids);
    assertClose(r!.logprobs, p.greedy_logprobs, 1e-4, "greedy logprobs");
    for (let i = 0; i < r!.logprobs.length; i++) {
      assert.ok(r!.varLogprob![i]! >= 0);
      assert.ok(r!.meanLogprob![i]! <= 0);
    }
  });
});
