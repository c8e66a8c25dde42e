import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { generateBatch } from "../../src/runner/generate.js";
import { KvCache } from "../../src/runner/kv-cache.js";
import { logSumExp, readLogits } from "../../src/runner/logits.js";
import { CausalLM } from "../../src/runner/model.js";
import { makeTensor } from "../../src/runner/ort.js";
import { assertClose, reference, TINY } from "./helpers.js";

const ref = reference();

describe("KV cache", () => {
  let lm: CausalLM;
  before(async () => {
    lm = await CausalLM.open(TINY, { threads: 1 });
  });
  after(async () => {
    await lm.close();
  });

  it("cached decoding equals full recomputation at every step", async () => {
    const prompts = ["The answer is", "Question: A baker sold 36 muffins to her neighbours in June."];
    const out = await generateBatch(
      lm,
      prompts.map((prompt, i) => ({ id: `k${i}`, prompt })),
      { maxNewTokens: 20, temperature: 1, seed: 11, n: 2 },
    );
    const buf = new Float32Array(lm.vocabLimit);
    for (const c of out) {
      const prompt = lm.tokenizer.encode(prompts[Number(c.requestId.slice(1))]!);
      const ids = [...prompt, ...c.tokenIds];
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
      const full = c.tokenIds.map((t, j) => {
        readLogits(logits, 0, prompt.length - 1 + j, buf);
        return buf[t]! - logSumExp(buf);
      });
      assert.ok(c.tokenIds.length > 5);
      assertClose(c.logprobs, full, 1e-4, `sample ${c.requestId}/${c.sampleIndex}`);
    }
  });

  it("a cache grown step by step equals one computed in a single pass", async () => {
    const ids = ref.prompts[0]!.ids;
    const one = await lm.forward(
      {
        rows: 1,
        seqLen: ids.length,
        inputIds: ids,
        attentionMask: ids.map(() => 1),
        positionIds: ids.map((_, i) => i),
      },
      lm.emptyCache(1),
    );
    let cache = lm.emptyCache(1);
    for (let i = 0; i < ids.length; i++) {
      const step = await lm.forward(
        { rows: 1, seqLen: 1, inputIds: [ids[i]!], attentionMask: Array(i + 1).fill(1), positionIds: [i] },
        cache,
      );
      cache = step.cache;
    }
    assert.equal(cache.length, ids.length);
    for (let t = 0; t < cache.tensors.length; t++) {
      assertClose(
        Array.from(cache.tensors[t]!.data as Float32Array),
        Array.from(one.cache.tensors[t]!.data as Float32Array),
        1e-5,
        `tensor ${t}`,
      );
    }
  });

  it("selectRows repeats rows and drops leading columns", () => {
    const layout = { numLayers: 1, kvHeads: 2, headDim: 2, kvType: "float32" as const };
    // rows 2, heads 2, length 3, head_dim 2: value = row*100 + head*10 + position
    const data = new Float32Array(2 * 2 * 3 * 2);
    for (let r = 0; r < 2; r++)
      for (let h = 0; h < 2; h++)
        for (let p = 0; p < 3; p++)
          for (let d = 0; d < 2; d++) data[((r * 2 + h) * 3 + p) * 2 + d] = r * 100 + h * 10 + p;
    const t = makeTensor("float32", data, [2, 2, 3, 2]);
    const cache = KvCache.fromOutputs(layout, { "present.0.key": t, "present.0.value": t });
    const sel = cache.selectRows([1, 1, 0], 1);
    assert.deepEqual(sel.tensors[0]!.dims, [3, 2, 2, 2]);
    assert.equal(sel.length, 2);
    assert.deepEqual(
      Array.from(sel.tensors[0]!.data as Float32Array),
      [
        101, 101, 102, 102, 111, 111, 112, 112, 101, 101, 102, 102, 111, 111, 112, 112, 1, 1, 2, 2, 11, 11,
        12, 12,
      ],
    );
  });
});
