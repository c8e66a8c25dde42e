import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { readLogits } from "../../src/runner/logits.js";
import { CausalLM } from "../../src/runner/model.js";
import { leftPad, prefill } from "../../src/runner/prefill.js";
import {
  asOneCache,
  PREFILL_CALL_TOKENS,
  prefillByGroups,
  prefillGroups,
} from "../../src/runner/prefill-groups.js";
import { createRng } from "../../src/util/rng.js";
import { reference, TINY } from "./helpers.js";

const ref = reference();

/** The work of a grouping as the grouping rule counts it. */
function work(
  lengths: readonly number[],
  groups: readonly (readonly number[])[],
  callTokens: number,
): number {
  return groups.reduce((sum, g) => sum + callTokens + g.length * Math.max(...g.map((i) => lengths[i]!)), 0);
}

/** Every way of cutting the sorted lengths into runs, by brute force: the least work. */
function bruteForceLeast(lengths: readonly number[], callTokens: number): number {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  let least = Number.POSITIVE_INFINITY;
  for (let mask = 0; mask < 1 << (order.length - 1); mask++) {
    const groups: number[][] = [[order[0]!]];
    for (let k = 1; k < order.length; k++) {
      if (mask & (1 << (k - 1))) groups.push([order[k]!]);
      else groups[groups.length - 1]!.push(order[k]!);
    }
    least = Math.min(least, work(lengths, groups, callTokens));
  }
  return least;
}

describe("prefill groups: which prompts are prefilled together", () => {
  it("equal lengths stay one group; an outlier whose padding costs more than a call goes alone", () => {
    assert.deepEqual(prefillGroups([40, 40, 40, 40]), [[0, 1, 2, 3]]);
    // 3 rows padded from 20 to 200 waste 540 tokens of compute, far more than one more call.
    assert.deepEqual(prefillGroups([20, 200, 20, 20]), [[0, 2, 3], [1]]);
    // Padding 4 rows by 1 column saves less than a call costs: one group.
    assert.deepEqual(prefillGroups([30, 31, 30, 30, 30]), [[0, 2, 3, 4, 1]]);
  });

  it("every prompt lands in exactly one group, and the grouping's work is the least possible", () => {
    const rng = createRng(7);
    for (let trial = 0; trial < 200; trial++) {
      const n = rng.int(1, 10);
      const lengths = Array.from({ length: n }, () => rng.int(1, 300));
      const callTokens = [0, PREFILL_CALL_TOKENS, 100][trial % 3]!;
      const groups = prefillGroups(lengths, callTokens);
      assert.deepEqual(
        groups.flat().sort((a, b) => a - b),
        lengths.map((_, i) => i),
        `partition of ${lengths}`,
      );
      assert.equal(work(lengths, groups, callTokens), bruteForceLeast(lengths, callTokens), `${lengths}`);
    }
  });

  it("GSM8K-like lengths: the padded compute drops", () => {
    // Made-up prompt lengths of the spread a qa-format batch has (30 to 110 tokens).
    const lengths = [69, 30, 53, 36, 109, 55, 46, 68, 99, 59, 61, 65, 70, 62, 53, 92];
    const real = lengths.reduce((a, b) => a + b, 0);
    const padded = lengths.length * Math.max(...lengths);
    const grouped = work(lengths, prefillGroups(lengths), 0);
    assert.ok(grouped < padded, `${grouped} < ${padded}`);
    assert.ok(grouped <= 1.15 * real, `${grouped} within 15% of ${real} real tokens`);
  });
});

describe("prefill by groups on the fp32 fixture", () => {
  let lm: CausalLM;
  before(async () => {
    lm = await CausalLM.open(TINY, { threads: 1 });
  });
  after(async () => {
    await lm.close();
  });

  it("its caches, laid out as the batch's, and its last logits equal one padded prefill's", async () => {
    const prompts = ref.prompts.map((p) => p.ids);
    assert.ok(prefillGroups(prompts.map((p) => p.length)).length > 1, "the reference prompts split");
    const padId = lm.eosIds[0]!;
    const batch = leftPad(prompts, padId);
    const grouped = await prefillByGroups(lm, prompts, batch, padId);
    assert.ok(grouped.caches.parts.length > 1);
    assert.deepEqual(grouped.caches.pads, batch.pads);
    const assembled = asOneCache(grouped.caches);
    const whole = await prefill(lm, batch);
    assert.equal(assembled.rows, batch.rows);
    assert.equal(assembled.length, batch.width);
    assert.deepEqual(grouped.logits.dims, [batch.rows, 1, lm.info.vocabColumns]);

    const { kvHeads, headDim } = lm.info;
    let worst = 0;
    assembled.tensors.forEach((t, k) => {
      const a = t.data as Float32Array;
      const b = whole.cache.tensors[k]!.data as Float32Array;
      assert.equal(a.length, b.length);
      for (let r = 0; r < batch.rows; r++)
        for (let h = 0; h < kvHeads; h++)
          for (let c = 0; c < batch.width; c++)
            for (let d = 0; d < headDim; d++) {
              const i = ((r * kvHeads + h) * batch.width + c) * headDim + d;
              // Padding columns are masked: zero here, whatever the padded prefill left there.
              if (c < batch.pads[r]!) assert.equal(a[i], 0);
              else worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
            }
    });
    assert.ok(worst < 1e-5, `cache difference ${worst}`);

    const x = new Float32Array(lm.info.vocabColumns);
    const y = new Float32Array(lm.info.vocabColumns);
    for (let r = 0; r < batch.rows; r++) {
      readLogits(grouped.logits, r, grouped.lastPosition, x);
      readLogits(whole.logits, r, whole.lastPosition, y);
      for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
    }
    assert.ok(worst < 1e-4, `logits difference ${worst}`);
  });
});
