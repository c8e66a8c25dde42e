import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KvCache } from "../../src/runner/kv-cache.js";
import { OnnxBackend } from "../../src/runner/onnx-backend.js";
import { makeTensor } from "../../src/runner/ort.js";
import { sharedLeadingTokens } from "../../src/runner/prefix-cache.js";
import type { Completion, GenerateRequest, GenerationConfig } from "../../src/runner/types.js";
import { assertSameCompletions, modelDir, TINY, TINY_FP16, TINY_INT4 } from "./helpers.js";

// A two-shot block (the fixture's context is 128 tokens, so it is short) and questions of
// different lengths, so that the batch is left-padded and rows reuse different numbers of columns.
const BLOCK =
  "Question: Tom has 3 apples and buys 2 more. How many apples?\nAnswer: 5\n\n" +
  "Question: A box holds 4 pens. How many pens in 2 boxes?\nAnswer: 8\n\nQuestion: ";
const QUESTIONS = [
  "Ann reads 7 pages a day. How many pages in 3 days?\nAnswer:",
  "How many legs do 2 cats have?\nAnswer:",
  "A baker sold 36 muffins to her neighbours in June and twice as many in July. How many?\nAnswer:",
];

function requests(block: string, questions: readonly string[]): GenerateRequest[] {
  return questions.map((q, i) => ({ id: `p${i}`, prompt: block + q, sharedPrefix: block.length }));
}

async function run(
  dir: string,
  reqs: GenerateRequest[],
  config: Partial<GenerationConfig>,
  sharedPrefixes: boolean,
  maxBatchRows = 16,
): Promise<{ out: Completion[]; backend: OnnxBackend }> {
  const m = modelDir(dir);
  const backend = await OnnxBackend.open(m.dir, { threads: 1, sharedPrefixes, maxBatchRows });
  try {
    return { out: await backend.generate(reqs, config), backend };
  } finally {
    await backend.close();
    m.cleanup();
  }
}

describe("shared-prefix KV cache (few-shot exemplar blocks prefilled once)", () => {
  for (const [name, dir, tol] of [
    ["fp32", TINY, 1e-5],
    ["fp16", TINY_FP16, 2e-3],
    ["int4", TINY_INT4, 1e-5],
  ] as const) {
    it(`${name}: greedy and sampled completions equal those of the whole prefill`, async () => {
      const reqs = requests(BLOCK, QUESTIONS);
      for (const config of [
        { temperature: 0, n: 1, maxNewTokens: 12 },
        { temperature: 1, topP: 0.95, n: 3, seed: 7, maxNewTokens: 12 },
      ]) {
        const whole = await run(dir, reqs, config, false);
        const cached = await run(dir, reqs, config, true);
        assertSameCompletions(cached.out, whole.out, "shared prefix vs whole prefill", tol);
        assert.equal(whole.backend.prefixes.stats.prefilled, 0, "the baseline used no prefix");
        assert.equal(cached.backend.prefixes.stats.prefilled, 1, "the block is prefilled once");
        assert.equal(cached.backend.prefixes.stats.reusedRows, QUESTIONS.length);
      }
    });
  }

  it("reuses the block across batches and counts the tokens each row skipped", async () => {
    const backend = await OnnxBackend.open(TINY, { threads: 1, maxBatchRows: 1 });
    try {
      const reqs = requests(BLOCK, QUESTIONS);
      await backend.generate(reqs, { temperature: 0, maxNewTokens: 2 });
      const blockTokens = backend.lm.tokenizer.encode(BLOCK);
      const prompts = reqs.map((r) => backend.lm.tokenizer.encode(r.prompt));
      // Batches of one row have no padding: each row skips the tokens it shares with the block.
      const expected = prompts.reduce((sum, p) => {
        let i = 0;
        while (i < blockTokens.length && p[i] === blockTokens[i]) i++;
        return sum + i;
      }, 0);
      assert.deepEqual(backend.prefixes.stats, {
        prefilled: 1,
        prefilledTokens: blockTokens.length,
        reusedRows: QUESTIONS.length,
        reusedTokens: expected,
      });
    } finally {
      await backend.close();
    }
  });

  it("reuses only the tokens a prompt shares with the block when a BPE merge crosses its end", async () => {
    // "Answer: 5" then "0 ..." tokenizes "50" as one token in the prompt but "5" alone in the block.
    const block = "Question: Tom has 3 apples.\nAnswer: 5";
    const reqs = requests(block, ["0 apples are left.", "0 pears"]);
    const config = { temperature: 0, maxNewTokens: 8 };
    // One row per batch: no padding, so each row reuses exactly the tokens it shares.
    const whole = await run(TINY, reqs, config, false, 1);
    const cached = await run(TINY, reqs, config, true, 1);
    assertSameCompletions(cached.out, whole.out, "shared prefix vs whole prefill", 1e-5);
    const blockIds = cached.backend.lm.tokenizer.encode(block);
    const promptIds = reqs.map((r) => cached.backend.lm.tokenizer.encode(r.prompt));
    const shared = sharedLeadingTokens(blockIds, promptIds);
    assert.ok(shared < blockIds.length, "the last block token merges into the prompt's next one");
    assert.equal(cached.backend.prefixes.stats.reusedTokens, promptIds.length * shared);
  });

  it("runs requests with another block (or none) in their own batch, each still correct", async () => {
    const other = "Question: Sue has 2 dogs.\nAnswer: 2\n\nQuestion: ";
    const reqs = [
      ...requests(BLOCK, QUESTIONS.slice(0, 2)),
      { ...requests(other, QUESTIONS.slice(2))[0]!, id: "other" },
      { id: "plain", prompt: "Tom has 3 apples" },
    ];
    const config = { temperature: 0, maxNewTokens: 6 };
    const whole = await run(TINY, reqs, config, false);
    const cached = await run(TINY, reqs, config, true);
    assertSameCompletions(cached.out, whole.out, "shared prefix vs whole prefill", 1e-5);
    assert.equal(cached.backend.prefixes.stats.prefilled, 2);
    assert.equal(cached.backend.prefixes.stats.reusedRows, 3);
  });
});

describe("KvCache.fromPrefix", () => {
  it("lays the prefix's columns out after each row's padding, cut at the shared columns", () => {
    const layout = { numLayers: 1, kvHeads: 2, headDim: 1, kvType: "float32" as const };
    // One row, 2 heads, 4 positions, head_dim 1: head h position p holds 10h + p + 1.
    const data = new Float32Array([1, 2, 3, 4, 11, 12, 13, 14]);
    const prefix = KvCache.fromOutputs(layout, {
      "present.0.key": makeTensor("float32", data, [1, 2, 4, 1]),
      "present.0.value": makeTensor("float32", data.slice(), [1, 2, 4, 1]),
    });
    const made = KvCache.fromPrefix(prefix, 3, [0, 1, 3]);
    assert.deepEqual([made.rows, made.length], [3, 3]);
    assert.deepEqual(
      [...(made.tensors[0]!.data as Float32Array)],
      [
        ...[1, 2, 3, 11, 12, 13], // no padding: the first 3 positions
        ...[0, 1, 2, 0, 11, 12], // one padding column, then positions 0..1
        ...[0, 0, 0, 0, 0, 0], // padded past the shared columns: nothing reused
      ],
    );
    assert.deepEqual([...(prefix.tensors[0]!.data as Float32Array)], [...data], "the prefix is left intact");
  });
});
