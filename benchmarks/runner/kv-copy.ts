/**
 * The share of a decode step spent copying the KV cache out of ONNX Runtime into JavaScript, at
 * past lengths 128/512/1024 (batch 1 and 16 rows), and whether binding the `present.*` outputs to reused,
 * pre-allocated buffers removes it. Three ways of running the same step, interleaved round by
 * round (medians reported) so that load from other processes hits them alike:
 *  - all:    `session.run(feeds)` with logits and present.* fetched, as the runner ran it before
 *            its slot cache: the binding copies every output;
 *  - bound:  `session.run(feeds, fetches)` with each present.* bound to a buffer allocated once;
 *  - logits: `session.run(feeds, { logits })`: the graph computes present.* all the same (the
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
/** Batch 1, and the 16 rows of n = 16 samples, where the cache is 16 times larger. */
const ROWS = [1, 16];
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
  // Every variant runs on this one session: two sessions in one process would each keep a thread
  // pool spinning after its runs, and the two would slow each other down on 2 cores.
  const allOutputs: Record<string, null> = { logits: null };
  for (let i = 0; i < numLayers; i++) {
    allOutputs[`present.${i}.key`] = null;
    allOutputs[`present.${i}.value`] = null;
  }
  const session = {
    run: (feeds: Record<string, ort.Tensor>, fetches: Record<string, ort.Tensor | null> = allOutputs) =>
      sliced.run(feeds as Record<string, Tensor>, fetches as Record<string, Tensor | null>) as Promise<
        Record<string, ort.Tensor>
      >,
  };
  const i64 = (xs: number[], dims: number[]) =>
    new ort.Tensor("int64", BigInt64Array.from(xs.map(BigInt)), dims);
  const figures: Record<string, number | boolean> = { layers: numLayers };
  const lines: string[] = [];
  for (const [rows, past] of ROWS.flatMap((r) => PASTS.map((p) => [r, p] as const))) {
    const rounds = rows === 1 ? ROUNDS : Math.min(ROUNDS, 3);
    const key = rows === 1 ? `${past}` : `${past}_rows${rows}`;
    const perLayer = rows * kvHeads * past * headDim;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: i64(Array(rows).fill(13), [rows, 1]),
      attention_mask: i64(Array(rows * (past + 1)).fill(1), [rows, past + 1]),
      position_ids: i64(Array(rows).fill(past), [rows, 1]),
    };
    for (let i = 0; i < numLayers; i++) {
      for (const k of ["key", "value"]) {
        const data = new Float32Array(perLayer).map(() => Math.random() - 0.5);
        feeds[`past_key_values.${i}.${k}`] = new ort.Tensor("float32", data, [rows, kvHeads, past, headDim]);
      }
    }
    const outLen = rows * kvHeads * (past + 1) * headDim;
    const fetches: Record<string, ort.Tensor | null> = { logits: null };
    for (let i = 0; i < numLayers; i++) {
      for (const k of ["key", "value"]) {
        fetches[`present.${i}.${k}`] = new ort.Tensor("float32", new Float32Array(outLen), [
          rows,
          kvHeads,
          past + 1,
          headDim,
        ]);
      }
    }
    await session.run(feeds); // warm-up
    const reference = await session.run(feeds);
    const boundOut = await session.run(feeds, fetches);
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
    const rowMap = Array.from({ length: rows }, (_, r) => r);
    const { handle } = await slots.slotOp({
      op: "begin",
      parts: [{ cache: presentOf().tensors, prompts: rowMap }],
      width: past,
      pads: rowMap.map(() => 0),
      rowMap,
      capacity: past + rounds,
      reserve: past + rounds,
    });
    for (let r = 0; r < rounds; r++) {
      let t0 = now();
      await session.run(feeds);
      all.push(now() - t0);
      t0 = now();
      await session.run(feeds, fetches);
      bound.push(now() - t0);
      t0 = now();
      await session.run(feeds, { logits: null });
      logitsOnly.push(now() - t0);
      // The same bytes copied in JS (allocate and fill 2 * layers buffers of the present size).
      t0 = now();
      for (let i = 0; i < 2 * numLayers; i++) new Float32Array(outLen).set(src);
      jsCopy.push(now() - t0);
      // The runner's step, on a slot cache holding the same past (one more slot each round).
      t0 = now();
      await slots.slotOp({
        op: "step",
        handle,
        inputIds: Array(rows).fill(13),
        positionIds: Array(rows).fill(past + r),
        pads: Array(rows).fill(0),
      });
      slotStep.push(now() - t0);
    }
    const a = median(all);
    const b = median(bound);
    const l = median(logitsOnly);
    const c = median(jsCopy);
    const sl = median(slotStep);
    await slots.slotOp({ op: "end", handle });
    const mb = (2 * numLayers * outLen * 4) / 2 ** 20;
    lines.push(
      `${rows} row(s), past ${past}: step ${a.toFixed(1)} ms (all outputs), ${b.toFixed(1)} ms (present bound to reused buffers), ` +
        `${l.toFixed(1)} ms (logits only): copying ${mb.toFixed(1)} MiB of present.* out costs ` +
        `${(a - l).toFixed(1)} ms = ${((100 * (a - l)) / a).toFixed(1)}% of the step ` +
        `(a plain JS copy of those bytes: ${c.toFixed(1)} ms); bound output written in place: ${writtenInPlace}, ` +
        `returned as a fresh copy: ${returnsCopy}; the runner's slot-cache step: ${sl.toFixed(1)} ms ` +
        `(${((100 * (a - sl)) / a).toFixed(1)}% less than fetching all outputs)`,
    );
    figures[`slot_step_ms_${key}`] = round(sl, 2);
    figures[`slot_step_saving_share_${key}`] = round((a - sl) / a);
    figures[`step_ms_${key}`] = round(a, 2);
    figures[`step_ms_bound_${key}`] = round(b, 2);
    figures[`step_ms_logits_only_${key}`] = round(l, 2);
    figures[`kv_copy_ms_${key}`] = round(a - l, 2);
    figures[`kv_copy_share_${key}`] = round((a - l) / a);
    figures[`bound_saving_share_${key}`] = round((a - b) / a);
    figures[`js_copy_ms_${key}`] = round(c, 2);
    figures[`bound_written_in_place_${key}`] = writtenInPlace;
    figures[`bound_returned_as_copy_${key}`] = returnsCopy;
  }
  await sliced.release();
  report(lines, figures as Record<string, number | string>);
}

await main();
