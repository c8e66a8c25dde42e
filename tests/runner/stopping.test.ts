import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { generateBatch } from "../../src/runner/generate.js";
import { CausalLM } from "../../src/runner/model.js";
import { findStop } from "../../src/runner/stopping.js";
import { modelDir, reference, TINY } from "./helpers.js";

const ref = reference();

describe("stopping", () => {
  let lm: CausalLM;
  before(async () => {
    lm = await CausalLM.open(TINY, { threads: 1 });
  });
  after(async () => {
    await lm.close();
  });

  it("cuts the text before the first stop string and stops there", async () => {
    const p = ref.prompts[1]!;
    const full = lm.tokenizer.decode(p.greedy_ids);
    const stop = lm.tokenizer.decode(p.greedy_ids.slice(5, 7));
    const at = full.indexOf(stop);
    assert.ok(at > 0);
    const [c] = await generateBatch(lm, [{ id: "s", prompt: p.text }], {
      maxNewTokens: 12,
      stop: ["never-seen", stop],
    });
    assert.equal(c!.finishReason, "stop");
    assert.equal(c!.text, full.slice(0, at));
    assert.ok(c!.tokenIds.length < 12);
    assert.deepEqual(c!.tokenIds, p.greedy_ids.slice(0, c!.tokenIds.length));
    assert.ok(lm.tokenizer.decode(c!.tokenIds).includes(stop));
  });

  it("stops at the step the stop string's last token arrives, not later", async () => {
    const p = ref.prompts[0]!;
    const n = p.greedy_ids.length;
    // Stop strings spanning two and three tokens, each first completed at a known step.
    for (const [from, to] of [
      [3, 5],
      [n - 4, n - 1],
    ] as const) {
      const stop = lm.tokenizer.decode(p.greedy_ids.slice(from, to));
      const firstStep = p.greedy_ids.findIndex((_, k) =>
        lm.tokenizer.decode(p.greedy_ids.slice(0, k + 1)).includes(stop),
      );
      assert.ok(firstStep >= 0 && firstStep < n, "the greedy text holds the stop string");
      const [c] = await generateBatch(lm, [{ id: "s", prompt: p.text }], {
        maxNewTokens: n + 5,
        stop: [stop],
      });
      assert.equal(c!.finishReason, "stop");
      assert.equal(c!.tokenIds.length, firstStep + 1, `stop ${JSON.stringify(stop)}`);
    }
  });

  it("stops at max new tokens with finish reason length", async () => {
    const [c] = await generateBatch(lm, [{ id: "s", prompt: ref.prompts[0]!.text }], { maxNewTokens: 3 });
    assert.equal(c!.finishReason, "length");
    assert.equal(c!.tokenIds.length, 3);
  });

  it("stops at an eos id from generation_config.json, leaving it out of the tokens", async () => {
    const p = ref.prompts[0]!;
    const eos = p.greedy_ids[3]!;
    assert.ok(!p.greedy_ids.slice(0, 3).includes(eos));
    const m = modelDir(TINY, {
      edit: {
        "generation_config.json": (j) => {
          j["eos_token_id"] = eos;
        },
        "config.json": (j) => {
          j["eos_token_id"] = eos;
        },
      },
    });
    const lm2 = await CausalLM.open(m.dir);
    try {
      const out = await generateBatch(
        lm2,
        [
          { id: "e", prompt: p.text },
          { id: "f", prompt: ref.prompts[2]!.text },
        ],
        { maxNewTokens: 12 },
      );
      assert.equal(out[0]!.finishReason, "eos");
      assert.deepEqual(out[0]!.tokenIds, p.greedy_ids.slice(0, 3));
      // The other row goes on after its neighbour finished (the cache drops the finished row).
      const other = ref.prompts[2]!.greedy_ids;
      const cut = other.indexOf(eos);
      assert.deepEqual(out[1]!.tokenIds, cut >= 0 ? other.slice(0, cut) : other);
    } finally {
      await lm2.close();
      m.cleanup();
    }
  });

  it("finds the earliest of several stop strings", () => {
    assert.equal(findStop("a\nQuestion: b\n\n", ["\n\n", "\nQuestion:"]), 1);
    assert.equal(findStop("abc", ["x"]), -1);
  });
});
