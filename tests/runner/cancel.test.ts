/**
 * A request's `signal` stops its rows at the next decode step while the batch's other rows go on
 * unchanged; `promptTokenIds` replaces tokenizing the prompt (litmus serve tokenizes in a worker).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { generateBatch } from "../../src/runner/generate.js";
import { CausalLM } from "../../src/runner/model.js";
import { TINY } from "./helpers.js";

// Greedy: every assertion compares with the same request run alone, nothing is assumed of the text.
const CONFIG = { temperature: 0, maxNewTokens: 24, n: 1, stop: [] };

describe("runner: cancelling one request of a batch", () => {
  let lm: CausalLM;
  before(async () => {
    lm = await CausalLM.open(TINY, { threads: 1 });
  });
  after(async () => {
    await lm.close();
  });

  it("stops the cancelled request's rows at the next step; the other row is as if run alone", async () => {
    const keep = { id: "keep", prompt: "Tom has 3 apples and buys 4 more." };
    const alone = await generateBatch(lm, [keep], CONFIG);
    const controller = new AbortController();
    const out = await generateBatch(
      lm,
      [keep, { id: "cancel", prompt: "A box holds 8 crayons.", signal: controller.signal }],
      CONFIG,
      {
        onProgress: (p) => {
          if (p.phase === "decode" && p.done === 2) controller.abort();
        },
      },
    );
    const cancelled = out.find((c) => c.requestId === "cancel")!;
    const kept = out.find((c) => c.requestId === "keep")!;
    assert.ok(alone[0]!.tokenIds.length > 3, "the request left running generates past the cancel point");
    assert.equal(cancelled.tokenIds.length, 2, "two steps ran before the cancel; none after");
    assert.deepEqual(kept.tokenIds, alone[0]!.tokenIds);
    assert.equal(kept.text, alone[0]!.text);
  });

  it("uses promptTokenIds instead of tokenizing the prompt", async () => {
    const prompt = "Sam reads 6 pages";
    const ids = lm.tokenizer.encode(prompt);
    const [fromText] = await generateBatch(lm, [{ id: "t", prompt }], CONFIG);
    // The prompt text is ignored when ids are given: a different text with the same ids gives the same completion.
    const [fromIds] = await generateBatch(lm, [{ id: "t", prompt: "ignored", promptTokenIds: ids }], CONFIG);
    assert.deepEqual(fromIds!.tokenIds, fromText!.tokenIds);
    assert.equal(fromIds!.promptTokens, ids.length);
  });
});
