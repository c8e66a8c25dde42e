/**
 * The share of a decode step spent copying the KV cache between ONNX Runtime and JavaScript, at
 * past lengths 128/512/1024 (batch 1). onnxruntime-node copies every output into a fresh buffer;
 * the step is timed as the runner runs it (outputs allocated by the binding) and with the present
 * outputs bound to buffers allocated once and reused (which ORT writes directly), and the copy itself is timed
 * as a plain JS copy of the same bytes.
 * Run: node dist/benchmarks/runner/kv-copy.js
 */
import * as ort from "onnxruntime-node";
import { CausalLM } from "../../src/runner/index.js";
import { benchModelDir, now, report, round, THREADS } from "./common.js";

const PASTS = [128, 512, 1024];
const STEPS = 8;

async function main(): Promise<void> {
  const dir = benchModelDir();
  const lm = await CausalLM.open(dir, { threads: THREADS });
  const { numLayers, kvHeads, headDim } = lm.info;
  await lm.close();
  const session = await ort.InferenceSession.create(`${dir}/model.onnx`, {
    graphOptimizationLevel: "all",
    ...(THREADS > 0 ? { intraOpNumThreads: THREADS, interOpNumThreads: 1 } : {}),
  });
  const i64 = (xs: number[], dims: number[]) =>
    new ort.Tensor("int64", BigInt64Array.from(xs.map(BigInt)), dims);
  const figures: Record<string, number> = { layers: numLayers };
  const lines: string[] = [];
  for (const past of PASTS) {
    const perLayer = kvHeads * past * headDim;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: i64([13], [1, 1]),
      attention_mask: i64(Array(past + 1).fill(1), [1, past + 1]),
      position_ids: i64([past], [1, 1]),
    };
    for (let i = 0; i < numLayers; i++) {
      for (const k of ["key", "value"]) {
        const data = new Float32Array(perLayer).map(() => Math.random() - 0.5);
        feeds[`past_key_values.${i}.${k}`] = new ort.Tensor("float32", data, [1, kvHeads, past, headDim]);
      }
    }
    await session.run(feeds);
    let plain = Number.POSITIVE_INFINITY;
    for (let s = 0; s < STEPS; s++) {
      const t0 = now();
      await session.run(feeds);
      plain = Math.min(plain, now() - t0);
    }
    // Present outputs bound to buffers allocated once and reused every step (what a ping-pong
    // pair of cache buffers would do).
    let bound = Number.POSITIVE_INFINITY;
    const outLen = kvHeads * (past + 1) * headDim;
    const fetches: Record<string, ort.Tensor | null> = { logits: null };
    for (let i = 0; i < numLayers; i++) {
      for (const k of ["key", "value"]) {
        fetches[`present.${i}.${k}`] = new ort.Tensor("float32", new Float32Array(outLen), [
          1,
          kvHeads,
          past + 1,
          headDim,
        ]);
      }
    }
    for (let s = 0; s < STEPS; s++) {
      const t0 = now();
      await session.run(feeds, fetches as ort.InferenceSession.FetchesType);
      bound = Math.min(bound, now() - t0);
    }
    // The copy itself: allocate and fill 2 * layers output buffers of the present size.
    const src = new Float32Array(outLen).fill(1);
    let copy = Number.POSITIVE_INFINITY;
    for (let s = 0; s < STEPS; s++) {
      const t0 = now();
      for (let i = 0; i < 2 * numLayers; i++) new Float32Array(outLen).set(src);
      copy = Math.min(copy, now() - t0);
    }
    const mb = (2 * numLayers * outLen * 4) / 2 ** 20;
    lines.push(
      `past ${past}: step ${plain.toFixed(2)} ms, with reused present buffers ${bound.toFixed(2)} ms, ` +
        `copying ${mb.toFixed(1)} MiB of KV in JS ${copy.toFixed(2)} ms (${((100 * copy) / plain).toFixed(1)}% of the step)`,
    );
    figures[`step_ms_${past}`] = round(plain, 2);
    figures[`step_ms_reused_buffers_${past}`] = round(bound, 2);
    figures[`kv_copy_ms_${past}`] = round(copy, 3);
    figures[`kv_copy_share_${past}`] = round(copy / plain);
    figures[`reused_buffers_saving_share_${past}`] = round((plain - bound) / plain);
  }
  await session.release();
  report(lines, figures);
}

await main();
