import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { generateBatch } from "../../src/runner/generate.js";
import { CausalLM } from "../../src/runner/model.js";
import { OnnxBackend } from "../../src/runner/onnx-backend.js";
import { kthLargest, temperature, topK, topP } from "../../src/runner/processors.js";
import { argmax, sampleMultinomial } from "../../src/runner/samplers.js";
import { createRng, deriveSeed } from "../../src/util/rng.js";
import { TINY } from "./helpers.js";

const PROMPTS = ["The answer is", "Question: A baker sold 36 muffins to her neighbours in June.", "x"];
const SAMPLING = { maxNewTokens: 10, temperature: 1, topP: 0.95, topK: 50, seed: 1234 };

describe("seeded sampling", () => {
  let lm: CausalLM;
  before(async () => {
    lm = await CausalLM.open(TINY, { threads: 1 });
  });
  after(async () => {
    await lm.close();
  });

  it("is reproducible, and a sample does not depend on the batch it ran in", async () => {
    const all = await generateBatch(
      lm,
      PROMPTS.map((prompt, i) => ({ id: `q${i}`, prompt })),
      { ...SAMPLING, n: 3 },
    );
    const again = await generateBatch(
      lm,
      PROMPTS.map((prompt, i) => ({ id: `q${i}`, prompt })),
      { ...SAMPLING, n: 3 },
    );
    assert.deepEqual(again, all);
    // Prompt q1 alone, with 5 samples: its first 3 samples are the same as in the big batch.
    const alone = await generateBatch(lm, [{ id: "q1", prompt: PROMPTS[1]! }], { ...SAMPLING, n: 5 });
    const inBatch = all.filter((c) => c.requestId === "q1");
    assert.deepEqual(alone.slice(0, 3), inBatch);
    // Through the backend with batches of at most 2 rows.
    const backend = await OnnxBackend.open(TINY, { threads: 1, maxBatchRows: 2 });
    try {
      const small = await backend.generate(
        PROMPTS.map((prompt, i) => ({ id: `q${i}`, prompt })),
        { ...SAMPLING, n: 1 },
      );
      assert.deepEqual(
        small.map((c) => c.tokenIds),
        all.filter((c) => c.sampleIndex === 0).map((c) => c.tokenIds),
      );
    } finally {
      await backend.close();
    }
  });

  it("samples differ across sample indices and seeds, and record their seed", async () => {
    const a = await generateBatch(lm, [{ id: "q0", prompt: PROMPTS[0]! }], { ...SAMPLING, n: 4 });
    const texts = new Set(a.map((c) => c.tokenIds.join(",")));
    assert.ok(texts.size >= 3, `distinct samples: ${texts.size}`);
    assert.equal(a[2]!.seed, deriveSeed(1234, "q0", 2));
    const b = await generateBatch(lm, [{ id: "q0", prompt: PROMPTS[0]! }], { ...SAMPLING, seed: 99, n: 4 });
    assert.notDeepEqual(
      b.map((c) => c.tokenIds),
      a.map((c) => c.tokenIds),
    );
  });

  it("top-k 1 sampling equals greedy decoding", async () => {
    const greedy = await generateBatch(lm, [{ id: "g", prompt: PROMPTS[1]! }], { maxNewTokens: 8 });
    const k1 = await generateBatch(lm, [{ id: "g", prompt: PROMPTS[1]! }], {
      maxNewTokens: 8,
      temperature: 0.7,
      topK: 1,
      n: 2,
    });
    for (const c of k1) assert.deepEqual(c.tokenIds, greedy[0]!.tokenIds);
    assert.equal(greedy[0]!.seed, null);
  });
});

describe("logits processors and samplers", () => {
  const logits = () => Float32Array.from([1, 3, 2, 3, -1, 0]);

  it("temperature divides logits", () => {
    const x = logits();
    temperature(0.5)(x);
    assert.deepEqual(Array.from(x), [2, 6, 4, 6, -2, 0]);
  });

  it("top-k keeps the k best and ties with the k-th", () => {
    const x = logits();
    topK(2)(x);
    assert.deepEqual(Array.from(x), [-Infinity, 3, -Infinity, 3, -Infinity, -Infinity]);
    const y = logits();
    topK(3)(y);
    assert.deepEqual(Array.from(y), [-Infinity, 3, 2, 3, -Infinity, -Infinity]);
    assert.equal(kthLargest(Float32Array.from([5, 1, 4, 2, 3]), 2), 4);
  });

  it("top-p keeps the smallest most likely set reaching p", () => {
    // probabilities 0.5, 0.3, 0.2
    const x = Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.2)]);
    topP(0.6)(x);
    assert.equal(x[2], -Infinity);
    assert.ok(Number.isFinite(x[0]!) && Number.isFinite(x[1]!));
    const y = Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.2)]);
    topP(0.4)(y);
    assert.deepEqual(
      Array.from(y).map((v) => Number.isFinite(v)),
      [true, false, false],
    );
  });

  it("top-p finds the nucleus among many tiny probabilities", () => {
    const x = new Float32Array(50000).fill(0);
    x[7] = 2;
    topP(0.9)(x);
    const kept = Array.from(x).filter((v) => Number.isFinite(v)).length;
    // token 7 has e^2/(e^2+49999) ~ 1.5e-4; the nucleus needs ~90% of the rest.
    assert.ok(kept > 40000 && kept < 46000, `kept ${kept}`);
    assert.ok(Number.isFinite(x[7]!));
  });

  it("top-p keeps exactly what a full sort would keep", () => {
    const rng = createRng(17);
    for (const [scale, p] of [
      [0.5, 0.9],
      [4, 0.95],
      [12, 0.5],
    ] as const) {
      const x = new Float32Array(5000).map(() => (rng.next() - 0.5) * scale);
      x[3] = x[4]!; // a tie
      const expected = new Set<number>();
      const max = Math.max(...x);
      const probs = Array.from(x, (v) => Math.exp(v - max));
      const total = probs.reduce((a, b) => a + b, 0);
      const order = probs.map((_, i) => i).sort((a, b) => probs[b]! - probs[a]! || a - b);
      let cum = 0;
      for (const id of order) {
        expected.add(id);
        cum += probs[id]! / total;
        if (cum >= p) break;
      }
      const y = Float32Array.from(x);
      topP(p)(y);
      const kept = new Set(Array.from(y.keys()).filter((i) => Number.isFinite(y[i]!)));
      assert.deepEqual(kept, expected, `scale ${scale} p ${p}`);
    }
  });

  it("argmax takes the lowest id among ties; multinomial follows the distribution", () => {
    assert.equal(argmax(logits()), 1);
    const rng = createRng(5);
    const x = Float32Array.from([Math.log(0.7), Math.log(0.2), Math.log(0.1), -Infinity]);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 20000; i++) counts[sampleMultinomial(x, rng)]!++;
    assert.equal(counts[3], 0);
    assert.ok(Math.abs(counts[0]! / 20000 - 0.7) < 0.02, `${counts}`);
    assert.ok(Math.abs(counts[2]! / 20000 - 0.1) < 0.02, `${counts}`);
  });
});
