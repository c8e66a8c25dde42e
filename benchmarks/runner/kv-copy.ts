/**
 * The share of a decode step spent copying the KV cache out of ONNX Runtime into JavaScript, at
 * past lengths 128/512/1024 (batch 1), and whether binding the `present.*` outputs to reused,
 * pre-allocated buffers removes it. Three ways of running the same step, interleaved round by
 * round (medians reported) so that load from other processes hits them alike:
 *  - all:    `session.run(feeds)`, as the runner runs it: the binding copies every output;
 *  - bound:  `session.run(feeds, fetches)` with each present.* bound to a buffer allocated once;
 *  - logits: `session.run(feeds, ["logits"])`: the graph computes present.* all the same (the
 *            attention reads them) but nothing of it is copied out; all - logits is the copy.
 *  - slots:  what the runner does: a decode step over its slot cache (slot-decoder.ts), which feeds
 *            the cache with one free slot and fetches only logits and the new position's key/value.
 * It also checks what onnxruntime-node returns for a bound output: ORT writes the buffer in place,
 * but the binding (1.30) still memcpys it into a fresh ArrayBuffer and returns that copy.
 * Run: node dist/benchmarks/runner/kv-copy.js
 */
import * as ort from "onnxruntime-node";
import { CausalLM } from "../../src/runner/index.js";
import { KvCache } from "../../src/runner/kv-cache.js";
import { OnnxSession, type Tensor } from "../../src/runner/ort.js";
import { SlotDecoders } from "../../src/runner/slot-decoder.js";
import { benchModelDir, now, report, round, THREADS } from "./common.js";

const PASTS = [128, 512, 1024];
const ROUNDS = Number(process.env["LITMUS_BENCH_ROUNDS"] ?? 7);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function main(): Promise<void> {
  const dir = benchModelDir();
  const lm = await CausalLM.open(dir, { threads: THREADS, worker: false });
  const { numLayers, kvHeads, headDim } = lm.info;
  const layout = lm.info;
  await lm.close();
  const sliced = await OnnxSession.open(`${dir}/model.onnx`, {
    device: "cpu",
    threads: THREADS,
    sliceKv: true,
  });
  if (!sliced.kvSlices) throw new Error("the benchmark model exposes no new key/value positions");
  const slots = new SlotDecoders((f, x) => sliced.run(f, x), sliced.kvSlices);
  const session = await ort.InferenceSession.create(`${dir}/model.onnx`, {
    graphOptimizationLevel: "all",
    ...(THREADS > 0 ? { intraOpNumThreads: THREADS, interOpNumThreads: 1 } : {}),
  });
  const i64 = (xs: number[], dims: number[]) =>
    new ort.Tensor("int64", BigInt64Array.from(xs.map(BigInt)), dims);
  const figures: Record<string, number | boolean> = { layers: numLayers };
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
    await session.run(feeds); // warm-up
    const reference = await session.run(feeds);
    const boundOut = await session.run(feeds, fetches as ort.InferenceSession.FetchesType);
    const pre = fetches["present.0.key"]!.data as Float32Array;
    const got = boundOut["present.0.key"]!.data as Float32Array;
    const ref0 = (reference["present.0.key"]!.data as Float32Array)[outLen - 1];
    const writtenInPlace = pre[outLen - 1] === ref0;
    const returnsCopy = got.buffer !== pre.buffer;

    const all: number[] = [];
    const bound: number[] = [];
    const logitsOnly: number[] = [];
    const jsCopy: number[] = [];
    const slotStep: number[] = [];
    const presentOf = () => {
      const out: Record<string, Tensor> = {};
      for (let i = 0; i < numLayers; i++)
        for (const k of ["key", "value"]) out[`present.${i}.${k}`] = feeds[`past_key_values.${i}.${k}`]!;
      return KvCache.fromOutputs(layout, out);
    };
    const src = new Float32Array(outLen).fill(1);
    for (let r = 0; r < ROUNDS; r++) {
      let t0 = now();
      await session.run(feeds);
      all.push(now() - t0);
      t0 = now();
      await session.run(feeds, fetches as ort.InferenceSession.FetchesType);
      bound.push(now() - t0);
      t0 = now();
      await session.run(feeds, ["logits"]);
      logitsOnly.push(now() - t0);
      // The same bytes copied in JS (allocate and fill 2 * layers buffers of the present size).
      t0 = now();
      for (let i = 0; i < 2 * numLayers; i++) new Float32Array(outLen).set(src);
      jsCopy.push(now() - t0);
      // The runner's step: the same past in a slot cache with one free slot (set up untimed).
      const { handle } = await slots.slotOp({
        op: "begin",
        cache: presentOf().tensors,
        rowMap: [0],
        capacity: past + 1,
      });
      t0 = now();
      await slots.slotOp({ op: "step", handle, inputIds: [13], positionIds: [past], pads: [0] });
      slotStep.push(now() - t0);
      await slots.slotOp({ op: "end", handle });
    }
    const a = median(all);
    const b = median(bound);
    const l = median(logitsOnly);
    const c = median(jsCopy);
    const sl = median(slotStep);
    const mb = (2 * numLayers * outLen * 4) / 2 ** 20;
    lines.push(
      `past ${past}: step ${a.toFixed(1)} ms (all outputs), ${b.toFixed(1)} ms (present bound to reused buffers), ` +
        `${l.toFixed(1)} ms (logits only): copying ${mb.toFixed(1)} MiB of present.* out costs ` +
        `${(a - l).toFixed(1)} ms = ${((100 * (a - l)) / a).toFixed(1)}% of the step ` +
        `(a plain JS copy of those bytes: ${c.toFixed(1)} ms); bound output written in place: ${writtenInPlace}, ` +
        `returned as a fresh copy: ${returnsCopy}; the runner's slot-cache step: ${sl.toFixed(1)} ms ` +
        `(${((100 * (a - sl)) / a).toFixed(1)}% less than fetching all outputs)`,
    );
    figures[`slot_step_ms_${past}`] = round(sl, 2);
    figures[`slot_step_saving_share_${past}`] = round((a - sl) / a);
    figures[`step_ms_${past}`] = round(a, 2);
    figures[`step_ms_bound_${past}`] = round(b, 2);
    figures[`step_ms_logits_only_${past}`] = round(l, 2);
    figures[`kv_copy_ms_${past}`] = round(a - l, 2);
    figures[`kv_copy_share_${past}`] = round((a - l) / a);
    figures[`bound_saving_share_${past}`] = round((a - b) / a);
    figures[`js_copy_ms_${past}`] = round(c, 2);
    figures[`bound_written_in_place_${past}`] = writtenInPlace;
    figures[`bound_returned_as_copy_${past}`] = returnsCopy;
  }
  await session.release();
  await sliced.release();
  report(lines, figures as Record<string, number | string>);
}

await main();
