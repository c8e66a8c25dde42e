import assert from "node:assert/strict";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { describe, it } from "node:test";
import { generateBatch } from "../../src/runner/generate.js";
import { CausalLM, type StepInput } from "../../src/runner/model.js";
import { TINY } from "./helpers.js";

/**
 * One long step: 8 rows x 100 tokens (the tiny model's cost is its 51200-column lm_head), run
 * three times while the event loop's delay is sampled every 5 ms. Returns the worst delay and the
 * shortest single step, both in ms: the test compares them with each other, never with a fixed
 * time, so it holds on a slow or busy machine.
 */
async function delayDuringSteps(worker: boolean): Promise<{ maxDelayMs: number; stepMs: number }> {
  const lm = await CausalLM.open(TINY, { threads: 1, worker });
  try {
    const rows = 8;
    const seqLen = 100;
    const step: StepInput = {
      rows,
      seqLen,
      inputIds: Array.from({ length: rows * seqLen }, (_, i) => 464 + (i % 97)),
      attentionMask: Array(rows * seqLen).fill(1),
      positionIds: Array.from({ length: rows * seqLen }, (_, i) => i % seqLen),
    };
    await lm.forward(step, lm.emptyCache(rows)); // warm-up
    const histogram = monitorEventLoopDelay({ resolution: 5 });
    histogram.enable();
    let stepMs = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const out = await lm.forward(step, lm.emptyCache(rows));
      stepMs = Math.min(stepMs, performance.now() - t0);
      assert.equal(out.logits.dims[1], seqLen);
    }
    histogram.disable();
    return { maxDelayMs: histogram.max / 1e6, stepMs };
  } finally {
    await lm.close();
  }
}

describe("event loop", () => {
  it("stays responsive while the model runs in its worker thread (the default)", async () => {
    const { maxDelayMs, stepMs } = await delayDuringSteps(true);
    assert.ok(
      maxDelayMs < stepMs / 2,
      `event-loop delay ${maxDelayMs.toFixed(1)} ms should stay well under one step (${stepMs.toFixed(1)} ms)`,
    );
  });

  it("is blocked for a whole step when the session runs in this thread (worker: false)", async () => {
    // The control: shows the measurement above can see a blocked loop.
    const { maxDelayMs, stepMs } = await delayDuringSteps(false);
    assert.ok(
      maxDelayMs > stepMs / 2,
      `in-thread, event-loop delay ${maxDelayMs.toFixed(1)} ms should reach a step (${stepMs.toFixed(1)} ms)`,
    );
  });

  it("a timer fires and progress is reported between and during the steps of a generate", async () => {
    const lm = await CausalLM.open(TINY, { threads: 1 });
    try {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      let progress = 0;
      const out = await generateBatch(
        lm,
        [{ id: "t", prompt: "Question: how many apples are left? Answer:" }],
        { maxNewTokens: 40, temperature: 1, seed: 3, n: 8 },
        { onProgress: () => progress++ },
      );
      clearInterval(timer);
      assert.equal(out.length, 8);
      assert.ok(progress > 2, `progress reported ${progress} times`);
      assert.ok(ticks > 0, "the timer fired during generate");
    } finally {
      await lm.close();
    }
  });

  it("a worker session and an in-thread one give identical completions; forward consumes its cache", async () => {
    const inWorker = await CausalLM.open(TINY, { threads: 1 });
    const inThread = await CausalLM.open(TINY, { threads: 1, worker: false });
    try {
      const reqs = [
        { id: "a", prompt: "The answer is" },
        { id: "b", prompt: "Question: A baker sold 36 muffins to her neighbours in June." },
      ];
      const cfg = { maxNewTokens: 12, temperature: 1, topP: 0.9, seed: 5, n: 3 };
      const w = await generateBatch(inWorker, reqs, cfg);
      const t = await generateBatch(inThread, reqs, cfg);
      assert.deepEqual(w, t);
      const step: StepInput = {
        rows: 1,
        seqLen: 3,
        inputIds: [464, 3280, 318],
        attentionMask: [1, 1, 1],
        positionIds: [0, 1, 2],
      };
      const first = await inWorker.forward(step, inWorker.emptyCache(1));
      const bytes = (first.cache.tensors[0]!.data as Float32Array).byteLength;
      assert.ok(bytes > 0);
      const next = await inWorker.forward(
        { rows: 1, seqLen: 1, inputIds: [11], attentionMask: [1, 1, 1, 1], positionIds: [3] },
        first.cache,
      );
      assert.equal(next.cache.length, 4);
      // The fed cache's buffers moved to the worker instead of being copied.
      assert.equal((first.cache.tensors[0]!.data as Float32Array).byteLength, 0);
    } finally {
      await inWorker.close();
      await inThread.close();
    }
  });
});
