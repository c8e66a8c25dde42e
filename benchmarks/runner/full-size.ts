/**
 * The runner at full size, every figure a ratio against a baseline measured in the same run:
 * - greedy batch 1: litmus vs a bare `session.run` loop (alternated rounds, same tokens), vs
 *   transformers' own PhiForCausalLM in PyTorch (eager), and vs the memory-bandwidth floor
 *   (weight bytes / this machine's read bandwidth, measured here);
 * - int4 vs fp32 (greedy batch 1);
 * - greedy over 16 different GSM8K prompts batched vs one at a time (aggregate tokens/s);
 * - attention over the cache in place (split-attention.ts) vs the graph's own, batched and batch 1;
 * - n = 16 samples of one prompt vs n = 1;
 * - a 5-shot prefill with and without the shared-prefix cache;
 * - peak RSS of a real `litmus audit` process on the fp32 model vs its weight bytes.
 *
 * Models (build with tools/build_phi_model.py; never committed):
 *   LITMUS_BENCH_FP32 (default /work/models/phi-1_5-fp32), LITMUS_BENCH_INT4
 *   (/work/models/phi-1_5-int4-acc4: `--int4 --accuracy-level 4 --from-fp32 ...`), LITMUS_BENCH_HF (/work/models/phi-1_5-hf, transformers' folder of
 *   the fp32 weights; the PyTorch figure is skipped without it or without pyenv's python3).
 * litmus runs in this process with huge pages, as bin/litmus starts it (the script restarts itself
 * so; LITMUS_HUGE_PAGES=0 measures without); the Python loop runs both with and without them.
 * Run: npx tsc -p tsconfig.json && node dist/benchmarks/runner/full-size.js [sections...]
 *   sections: decode transformers int4 batch split split-5shot samples prefix rss (default: all)
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { loadProblems } from "../../src/data/index.js";
import { GSM8K_5SHOT, preparePromptFormat, QA, renderPrompt } from "../../src/prompts/index.js";
import { OnnxBackend } from "../../src/runner/index.js";
import type { GenerateRequest, GenerationConfig } from "../../src/runner/types.js";
import { readBandwidthGBs } from "./bandwidth.js";
import { openBareLoop, openBareStep } from "./bare-loop.js";
import { now, round } from "./common.js";
import {
  anonHugePagesBytes,
  hugePagesEnv,
  restartWithHugePagesIfNeeded,
  startedWithHugePages,
} from "./huge-pages.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const FP32 = process.env["LITMUS_BENCH_FP32"] ?? "/work/models/phi-1_5-fp32";
const INT4 = process.env["LITMUS_BENCH_INT4"] ?? "/work/models/phi-1_5-int4-acc4";
const HF = process.env["LITMUS_BENCH_HF"] ?? "/work/models/phi-1_5-hf";
const THREADS = Number(process.env["LITMUS_BENCH_THREADS"] ?? cpus().length);
const ROUNDS = Number(process.env["LITMUS_BENCH_ROUNDS"] ?? 7);
const NEW_TOKENS = 64;
const PYTHON = process.env["LITMUS_PYTHON"] ?? "python3";

const figures: Record<string, number | string | boolean> = {};
const say = (line: string) => process.stdout.write(`${line}\n`);

function weightBytes(dir: string): number {
  return readdirSync(dir)
    .filter((f) => f.startsWith("model.onnx"))
    .reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** One greedy completion at batch 1: ms per decode step after the prefill, and its tokens. */
async function litmusDecode(
  backend: OnnxBackend,
  prompt: string,
): Promise<{ msPerStep: number; tokens: number[] }> {
  let t0 = 0;
  const [c] = await backend.generate(
    [{ id: "p", prompt }],
    { temperature: 0, maxNewTokens: NEW_TOKENS, stop: [] },
    {
      onProgress: (p) => {
        if (p.phase === "prefill" && p.done === p.total) t0 = now();
      },
    },
  );
  const steps = Math.max(1, c!.tokenIds.length - 1);
  return { msPerStep: (now() - t0) / steps, tokens: c!.tokenIds };
}

/** Wall time of one generate call and the tokens it made (prefill included). */
async function timedGenerate(
  backend: OnnxBackend,
  requests: GenerateRequest[],
  config: Partial<GenerationConfig>,
): Promise<{ seconds: number; tokens: number; decodeSeconds: number; ids: number[][] }> {
  const t0 = now();
  let decodeFrom = 0;
  let decodeMs = 0;
  const out = await backend.generate(requests, config, {
    onProgress: (p) => {
      if (p.phase === "prefill" && p.done === p.total) decodeFrom = now();
    },
    // A batch's decode ends when its completions arrive.
    onCompletion: () => {
      if (decodeFrom > 0) decodeMs += now() - decodeFrom;
      decodeFrom = 0;
    },
  });
  const tokens = out.reduce((s, c) => s + c.tokenIds.length, 0);
  return {
    seconds: (now() - t0) / 1000,
    tokens,
    decodeSeconds: decodeMs / 1000,
    ids: out.map((c) => c.tokenIds),
  };
}

/** Weight bytes one decode step reads (benchmarks/python/bytes_per_token.py); undefined without Python. */
function bytesPerToken(dir: string): number | undefined {
  const run = spawnSync(
    PYTHON,
    [join(ROOT, "benchmarks/python/bytes_per_token.py"), join(dir, "model.onnx")],
    {
      encoding: "utf8",
    },
  );
  if (run.status !== 0) return undefined;
  return (JSON.parse(run.stdout) as { per_token: number }).per_token;
}

/** benchmarks/python/ort_bare_loop.py kept running: one round per call; undefined without Python. */
async function openPythonLoop(
  promptIds: number[],
  tokens: number[],
  hugePages: boolean,
): Promise<{ round(): Promise<number>; pid: number; close(): void } | undefined> {
  const child = spawn(
    PYTHON,
    [
      join(ROOT, "benchmarks/python/ort_bare_loop.py"),
      FP32,
      JSON.stringify(promptIds),
      JSON.stringify(tokens),
      String(THREADS),
    ],
    { stdio: ["pipe", "pipe", "inherit"], env: hugePagesEnv(process.env, hugePages) },
  );
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, number> | undefined> => {
    const line = await lines.next();
    return line.done ? undefined : (JSON.parse(line.value) as Record<string, number>);
  };
  if (!(await next().catch(() => undefined))) {
    say("python onnxruntime loop: not available (pyenv's python3 with onnxruntime needed)");
    child.kill();
    return undefined;
  }
  return {
    round: async () => {
      child.stdin!.write("go\n");
      const r = await next();
      if (!r) throw new Error("the python loop ended");
      return r["ms_per_step"]!;
    },
    pid: child.pid!,
    close: () => child.stdin!.end(),
  };
}

async function main(): Promise<void> {
  await restartWithHugePagesIfNeeded();
  const sections = new Set(process.argv.slice(2));
  const want = (name: string) => sections.size === 0 || sections.has(name);
  for (const dir of [FP32, INT4])
    if (!existsSync(join(dir, "model.onnx"))) throw new Error(`no model in ${dir}`);
  const test = await loadProblems(join(ROOT, "../shared/gsm8k/test.jsonl"), "gsm8k-test");
  const train = await loadProblems(join(ROOT, "../shared/gsm8k/train.jsonl"), "gsm8k-train");
  const qa = preparePromptFormat(QA);
  const qaPrompts = test.map((p) => renderPrompt(qa, { question: p.question }).text);

  figures["date"] = new Date().toISOString();
  figures["cpus"] = `${cpus().length} x ${cpus()[0]?.model ?? "?"}`;
  figures["threads"] = THREADS;
  figures["started_with_huge_pages"] = startedWithHugePages();
  figures["load_before"] = loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
  const fp32Bytes = weightBytes(FP32);
  const int4Bytes = weightBytes(INT4);
  figures["fp32_weight_bytes"] = fp32Bytes;
  figures["int4_weight_bytes"] = int4Bytes;

  const fp32 = await OnnxBackend.open(FP32, { threads: THREADS });
  const lm = fp32.lm;
  // A ~100-token GSM8K prompt (the issue's measurements used 103).
  const prompt = qaPrompts.find((p) => Math.abs(lm.tokenizer.encode(p).length - 103) <= 3) ?? qaPrompts[0]!;
  const promptIds = lm.tokenizer.encode(prompt);
  figures["prompt_tokens"] = promptIds.length;
  say(`fp32 ${FP32} (${(fp32Bytes / 1e9).toFixed(2)} GB), int4 ${INT4} (${(int4Bytes / 1e9).toFixed(2)} GB)`);
  say(
    `decode path: ${lm.kvSlices ? "slot cache" : "present fed back"}; threads ${THREADS}; load ${figures["load_before"]}`,
  );

  let greedyTokens: number[] = [];
  if (want("decode")) {
    const bw1 = await readBandwidthGBs(1);
    const bw2 = await readBandwidthGBs(2);
    greedyTokens = (await litmusDecode(fp32, prompt)).tokens;
    // The leanest loop there is: onnxruntime's Python API hands outputs over without a copy. It
    // stays loaded and runs one round per line we send, so its rounds alternate with ours. It runs
    // twice: as a plain `python3` starts (4 KiB pages), and with huge pages as litmus has them.
    const pythonPlain = await openPythonLoop(promptIds, greedyTokens, false);
    const pythonHuge = await openPythonLoop(promptIds, greedyTokens, true);
    // A bare onnxruntime-node loop (every output copied) as well, on request: a fourth copy of
    // the weights in memory.
    const bare =
      process.env["LITMUS_BENCH_NODE_LOOP"] === "1" ? await openBareLoop(FP32, lm, THREADS) : undefined;
    const ours: number[] = [];
    const plain: number[] = [];
    const huge: number[] = [];
    const node: number[] = [];
    for (let r = 0; r <= ROUNDS; r++) {
      const a = await litmusDecode(fp32, prompt);
      const b = pythonPlain ? await pythonPlain.round() : Number.NaN;
      const c = pythonHuge ? await pythonHuge.round() : Number.NaN;
      const d = bare ? (await bare.decode(promptIds, greedyTokens)).msPerStep : Number.NaN;
      if (r === 0) continue; // warm-up
      ours.push(a.msPerStep);
      plain.push(b);
      huge.push(c);
      node.push(d);
    }
    // Memory on huge pages in each process, to show which ran on them.
    figures["litmus_huge_pages_bytes"] = anonHugePagesBytes();
    if (pythonPlain) figures["python_plain_huge_pages_bytes"] = anonHugePagesBytes(pythonPlain.pid);
    if (pythonHuge) figures["python_huge_pages_bytes"] = anonHugePagesBytes(pythonHuge.pid);
    await bare?.release();
    pythonPlain?.close();
    pythonHuge?.close();
    // The floor counts the bytes a step must read: the embedding table contributes the one row a
    // step gathers (bytes_per_token.py); without Python, every weight byte (a lower floor).
    const stepBytes = bytesPerToken(FP32) ?? fp32Bytes;
    figures["fp32_bytes_read_per_step"] = stepBytes;
    const floor = (stepBytes / (Math.max(bw1, bw2) * 1e9)) * 1000;
    const ratio = (xs: number[]) => median(ours.map((o, i) => xs[i]! / o));
    Object.assign(figures, {
      read_bandwidth_gbs_1_thread: round(bw1, 1),
      read_bandwidth_gbs_2_threads: round(bw2, 1),
      fp32_floor_ms_per_token: round(floor, 1),
      fp32_litmus_ms_per_step_median: round(median(ours), 1),
      fp32_litmus_ms_per_step_best: round(Math.min(...ours), 1),
      fp32_python_bare_ms_per_step_median: round(median(plain), 1),
      fp32_python_bare_ms_per_step_best: round(Math.min(...plain), 1),
      fp32_python_bare_huge_pages_ms_per_step_median: round(median(huge), 1),
      fp32_python_bare_huge_pages_ms_per_step_best: round(Math.min(...huge), 1),
      litmus_vs_python_bare: round(ratio(plain)),
      litmus_vs_python_bare_best: round(Math.min(...plain) / Math.min(...ours)),
      litmus_vs_python_bare_huge_pages: round(ratio(huge)),
      litmus_vs_python_bare_huge_pages_best: round(Math.min(...huge) / Math.min(...ours)),
      litmus_over_floor_median: round(median(ours) / floor, 2),
      litmus_over_floor_best: round(Math.min(...ours) / floor, 2),
      python_huge_pages_over_floor_median: round(median(huge) / floor, 2),
    });
    if (bare)
      Object.assign(figures, {
        fp32_node_bare_ms_per_step_median: round(median(node), 1),
        litmus_vs_node_bare: round(ratio(node)),
      });
    say(
      `greedy batch 1, ${NEW_TOKENS} tokens, ${ROUNDS} alternated rounds (median ms/step): litmus ${median(ours).toFixed(1)} (best ${Math.min(...ours).toFixed(1)}), python onnxruntime loop ${median(plain).toFixed(1)} (best ${Math.min(...plain).toFixed(1)}), the same with huge pages ${median(huge).toFixed(1)} (best ${Math.min(...huge).toFixed(1)})${bare ? `, node onnxruntime loop ${median(node).toFixed(1)}` : ""}; litmus's speed vs python ${figures["litmus_vs_python_bare"]}x, vs python with huge pages ${figures["litmus_vs_python_bare_huge_pages"]}x (median of per-round ratios)`,
    );
    say(
      `memory read ${bw1.toFixed(1)} GB/s (1 thread), ${bw2.toFixed(1)} GB/s (2 threads), ${(stepBytes / 1e9).toFixed(2)} GB read per step: fp32 floor ${floor.toFixed(1)} ms/token; litmus at ${figures["litmus_over_floor_median"]}x the floor (median, best ${figures["litmus_over_floor_best"]}x), the python loop with huge pages ${figures["python_huge_pages_over_floor_median"]}x`,
    );
  }

  if (want("transformers") && existsSync(join(HF, "config.json"))) {
    const tokens = greedyTokens.length > 0 ? greedyTokens : (await litmusDecode(fp32, prompt)).tokens;
    const run = spawnSync(
      PYTHON,
      [
        join(ROOT, "benchmarks/python/transformers_decode.py"),
        HF,
        JSON.stringify(promptIds),
        String(NEW_TOKENS),
        String(THREADS),
        "2",
        String(lm.vocabLimit),
      ],
      { encoding: "utf8", maxBuffer: 1 << 24 },
    );
    if (run.status !== 0) say(`transformers: skipped (${run.stderr.trim().split("\n").pop()})`);
    else {
      const hf = JSON.parse(run.stdout.trim().split("\n").pop()!) as {
        ms_per_step: number;
        tokens: number[];
        torch: string;
      };
      const ours = (await litmusDecode(fp32, prompt)).msPerStep;
      const same = hf.tokens.length === tokens.length && hf.tokens.every((t, i) => t === tokens[i]);
      Object.assign(figures, {
        transformers_ms_per_step: round(hf.ms_per_step, 1),
        litmus_ms_per_step_beside_transformers: round(ours, 1),
        litmus_vs_transformers: round(hf.ms_per_step / ours, 2),
        transformers_same_greedy_tokens: same,
        torch: hf.torch,
      });
      say(
        `transformers eager (torch ${hf.torch}): ${hf.ms_per_step.toFixed(1)} ms/step vs litmus ${ours.toFixed(1)}: litmus ${figures["litmus_vs_transformers"]}x faster; same ${NEW_TOKENS} greedy tokens: ${same}`,
      );
    }
  }

  const int4 = await OnnxBackend.open(INT4, { threads: THREADS });
  if (want("int4")) {
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r <= Math.min(ROUNDS, 3); r++) {
      const x = await litmusDecode(fp32, prompt);
      const y = await litmusDecode(int4, prompt);
      if (r === 0) continue;
      a.push(x.msPerStep);
      b.push(y.msPerStep);
    }
    Object.assign(figures, {
      int4_ms_per_step_median: round(median(b), 1),
      fp32_ms_per_step_beside_int4: round(median(a), 1),
      int4_vs_fp32: round(median(a) / median(b), 2),
    });
    say(`int4 ${median(b).toFixed(1)} ms/step vs fp32 ${median(a).toFixed(1)}: ${figures["int4_vs_fp32"]}x`);
  }

  if (want("batch")) {
    // 16 different GSM8K questions, batched and one at a time (all 16: their prompt lengths, and
    // so their prefill per completion, differ).
    const sixteen = qaPrompts.slice(0, 16).map((p, i) => ({ id: `b${i}`, prompt: p }));
    const greedy = { temperature: 0, maxNewTokens: NEW_TOKENS, stop: [] };
    for (const [name, backend] of [
      ["int4", int4],
      ["fp32", fp32],
    ] as const) {
      // A warm-up batch of 16 other questions first: an audit runs batch after batch, and only the
      // first pays for touching the KV cache's memory (kept for the next batch) for the first time.
      await timedGenerate(
        backend,
        qaPrompts.slice(16, 32).map((p, i) => ({ id: `w${i}`, prompt: p })),
        greedy,
      );
      let single = { seconds: 0, tokens: 0, decodeSeconds: 0 };
      for (const r of sixteen) {
        const t = await timedGenerate(backend, [r], greedy);
        single = {
          seconds: single.seconds + t.seconds,
          tokens: single.tokens + t.tokens,
          decodeSeconds: single.decodeSeconds + t.decodeSeconds,
        };
      }
      const batched = await timedGenerate(backend, sixteen, greedy);
      const one = single.tokens / single.seconds;
      const many = batched.tokens / batched.seconds;
      // Decode alone: tokens after the first of each completion over the time after the prefill.
      const oneDecode = (single.tokens - sixteen.length) / single.decodeSeconds;
      const manyDecode = (batched.tokens - 16) / batched.decodeSeconds;
      figures[`${name}_batch1_tokens_per_s`] = round(one, 2);
      figures[`${name}_batch16_tokens_per_s`] = round(many, 2);
      figures[`${name}_batch16_vs_batch1`] = round(many / one, 2);
      figures[`${name}_batch16_vs_batch1_decode_only`] = round(manyDecode / oneDecode, 2);
      // The prefill is compute-bound: batched or not it is about the same work, so it bounds the
      // end-to-end ratio even if the batched decode took no time at all.
      const onePrefill = single.seconds - single.decodeSeconds;
      const manyPrefill = batched.seconds - batched.decodeSeconds;
      figures[`${name}_batch1_prefill_s`] = round(onePrefill, 2);
      figures[`${name}_batch16_prefill_s`] = round(manyPrefill, 2);
      figures[`${name}_batch16_end_to_end_bound`] = round(single.seconds / manyPrefill, 2);
      say(
        `${name} greedy, 16 prompts batched: ${many.toFixed(1)} tok/s vs ${one.toFixed(1)} one at a time: ${(many / one).toFixed(2)}x end to end, ${(manyDecode / oneDecode).toFixed(2)}x after the prefill (${manyDecode.toFixed(1)} vs ${oneDecode.toFixed(1)} tok/s); prefill ${manyPrefill.toFixed(1)} s batched vs ${onePrefill.toFixed(1)} s one at a time (end to end at most ${figures[`${name}_batch16_end_to_end_bound`]}x)`,
      );
      // onnxruntime's own batched step: a bare session.run of 16 rows at the rows' mean past (no
      // padding), taken right after litmus's runs. Set against litmus's one-at-a-time run, it bounds
      // what any runner on this graph could gain by batching, given litmus's prefill times.
      const dir = name === "int4" ? INT4 : FP32;
      const lengths = sixteen.map((r) => backend.lm.tokenizer.encode(r.prompt).length);
      const meanPast = Math.round(lengths.reduce((a, b) => a + b, 0) / 16 + NEW_TOKENS / 2);
      // litmus's batch is left-padded to its longest prompt: the width its steps attend over.
      const paddedPast = Math.max(...lengths) + NEW_TOKENS / 2;
      const hugeBefore = anonHugePagesBytes();
      const bare = await openBareStep(dir, backend.lm, THREADS);
      const bareHuge = anonHugePagesBytes() - hugeBefore;
      const t1: number[] = [];
      const t16: number[] = [];
      const t16Padded: number[] = [];
      for (let r = 0; r < 5; r++) {
        t1.push(await bare.stepMs(1, meanPast));
        t16.push(await bare.stepMs(16, meanPast));
        t16Padded.push(await bare.stepMs(16, paddedPast));
      }
      await bare.release();
      const step16 = median(t16) / 1000;
      const oneStep = single.decodeSeconds / (single.tokens - sixteen.length);
      // Every row runs its whole budget here (no stop strings; random weights never end on EOS).
      const steps = Math.ceil(batched.tokens / sixteen.length) - 1;
      const decodeCeiling = (sixteen.length * oneStep) / step16;
      const endToEndCeiling = single.seconds / (manyPrefill + steps * step16);
      Object.assign(figures, {
        [`${name}_bare_step_ms_1_row`]: round(median(t1), 1),
        [`${name}_bare_step_ms_16_rows`]: round(median(t16), 1),
        [`${name}_bare_step_ms_16_rows_padded`]: round(median(t16Padded), 1),
        [`${name}_bare_padded_past`]: paddedPast,
        [`${name}_bare_session_huge_pages_bytes`]: bareHuge,
        [`${name}_litmus_batch1_step_ms`]: round(oneStep * 1000, 1),
        [`${name}_litmus_batch16_step_ms`]: round(
          (batched.decodeSeconds / (batched.tokens - 16)) * 16 * 1000,
          1,
        ),
        [`${name}_bare_mean_past`]: meanPast,
        [`${name}_batch16_decode_ceiling`]: round(decodeCeiling, 2),
        [`${name}_batch16_end_to_end_ceiling`]: round(endToEndCeiling, 2),
      });
      say(
        `${name} onnxruntime alone (bare session.run, logits only, past ${meanPast}, ${(bareHuge / 2 ** 30).toFixed(2)} GiB of its session on huge pages): ${median(t1).toFixed(1)} ms for 1 row, ${median(t16).toFixed(1)} ms for 16, ${median(t16Padded).toFixed(1)} ms for 16 at past ${paddedPast} as litmus pads them (litmus: ${(oneStep * 1000).toFixed(1)} ms a step one at a time, ${figures[`${name}_litmus_batch16_step_ms`]} batched); against litmus one at a time, batching on this graph gains at most ${decodeCeiling.toFixed(2)}x after the prefill, ${endToEndCeiling.toFixed(2)}x end to end with litmus's prefill`,
      );
    }
  }

  // Attention over the cache where it lies (src/runner/split-attention.ts) against the graph's
  // own Concat(past, new), each in its own session of the same model, alternated round by round.
  const compareAttention = async (
    name: string,
    dir: string,
    split: OnnxBackend,
    label: string,
    requests: GenerateRequest[],
    warm: GenerateRequest[],
    config: Partial<GenerationConfig>,
    rounds: number,
    batch1: boolean,
  ) => {
    const exported = await OnnxBackend.open(dir, { threads: THREADS, splitAttention: false });
    if (split.decodePath.attention?.split !== true || exported.decodePath.attention?.split !== false)
      throw new Error(`${name}: the sessions do not differ in attention`);
    await timedGenerate(split, warm, config);
    await timedGenerate(exported, warm, config);
    const t: Record<string, number[]> = { split: [], exported: [], split1: [], exported1: [] };
    const decode: Record<string, number[]> = { split: [], exported: [] };
    let sameTokens = true;
    for (let r = 0; r < rounds; r++) {
      const a = await timedGenerate(split, requests, config);
      const b = await timedGenerate(exported, requests, config);
      sameTokens &&= JSON.stringify(a.ids) === JSON.stringify(b.ids);
      t["split"]!.push(a.seconds);
      t["exported"]!.push(b.seconds);
      decode["split"]!.push((a.tokens - requests.length) / a.decodeSeconds);
      decode["exported"]!.push((b.tokens - requests.length) / b.decodeSeconds);
      if (batch1) {
        t["split1"]!.push((await litmusDecode(split, prompt)).msPerStep);
        t["exported1"]!.push((await litmusDecode(exported, prompt)).msPerStep);
      }
    }
    await exported.close();
    const m = (k: string) => median(t[k]!);
    const key = `${name}_${label}`;
    Object.assign(figures, {
      [`${key}_split_batched_s`]: round(m("split"), 2),
      [`${key}_exported_batched_s`]: round(m("exported"), 2),
      [`${key}_split_vs_exported_batched`]: round(m("exported") / m("split"), 3),
      [`${key}_split_batched_decode_tokens_per_s`]: round(median(decode["split"]!), 2),
      [`${key}_exported_batched_decode_tokens_per_s`]: round(median(decode["exported"]!), 2),
      [`${key}_split_same_tokens`]: sameTokens,
    });
    let line = `${name} ${label}: split attention vs the graph's own (${rounds} alternated rounds): ${requests.length} prompts batched ${m("split").toFixed(1)} s vs ${m("exported").toFixed(1)} s (${figures[`${key}_split_vs_exported_batched`]}x; decode ${median(decode["split"]!).toFixed(1)} vs ${median(decode["exported"]!).toFixed(1)} tok/s)`;
    if (batch1) {
      Object.assign(figures, {
        [`${key}_split_batch1_ms_per_step`]: round(m("split1"), 1),
        [`${key}_exported_batch1_ms_per_step`]: round(m("exported1"), 1),
        [`${key}_split_vs_exported_batch1`]: round(m("exported1") / m("split1"), 3),
      });
      line += `; batch 1 ${m("split1").toFixed(1)} vs ${m("exported1").toFixed(1)} ms/step (${figures[`${key}_split_vs_exported_batch1`]}x)`;
    }
    say(`${line}; same tokens: ${sameTokens}`);
  };

  if (want("split")) {
    // 16 different prompts batched (qa, 64 greedy tokens), and one prompt at batch 1.
    const sixteen = qaPrompts.slice(0, 16).map((p, i) => ({ id: `b${i}`, prompt: p }));
    const warm = qaPrompts.slice(16, 32).map((p, i) => ({ id: `w${i}`, prompt: p }));
    const greedy = { temperature: 0, maxNewTokens: NEW_TOKENS, stop: [] };
    await compareAttention("int4", INT4, int4, "qa", sixteen, warm, greedy, 3, true);
    await compareAttention("fp32", FP32, fp32, "qa", sixteen, warm, greedy, 3, true);
  }

  if (want("split-5shot")) {
    // A long past: 4 prompts in gsm8k-5shot (the exemplar block from the shared-prefix cache),
    // 32 greedy tokens each, where every step attends over 630-700 positions. int4 and 4 rows:
    // with 8 rows, two sessions' caches and prefill copies at that length beside the fp32 model
    // went past 24 GB (killed by the kernel).
    const five = preparePromptFormat(GSM8K_5SHOT, train);
    const render = (from: number, id: string): GenerateRequest[] =>
      test.slice(from, from + 4).map((p, i) => {
        const r = renderPrompt(five, { question: p.question, problemId: p.id, problemHash: p.hash });
        return { id: `${id}${i}`, prompt: r.text, sharedPrefix: r.sharedPrefix };
      });
    const greedy = { temperature: 0, maxNewTokens: 32, stop: [] };
    figures["5shot_prompt_tokens_first"] = lm.tokenizer.encode(render(0, "f")[0]!.prompt).length;
    await compareAttention("int4", INT4, int4, "5shot", render(0, "f"), render(4, "w"), greedy, 2, false);
  }

  if (want("samples")) {
    const req = [{ id: "s", prompt }];
    for (const [name, backend] of [["int4", int4]] as const) {
      const cfg = { temperature: 1, maxNewTokens: NEW_TOKENS, stop: [], seed: 1 };
      const one = await timedGenerate(backend, req, { ...cfg, n: 1 });
      const many = await timedGenerate(backend, req, { ...cfg, n: 16 });
      const r = many.tokens / many.seconds / (one.tokens / one.seconds);
      figures[`${name}_n16_tokens_per_s`] = round(many.tokens / many.seconds, 2);
      figures[`${name}_n1_tokens_per_s`] = round(one.tokens / one.seconds, 2);
      figures[`${name}_n16_vs_n1`] = round(r, 2);
      say(
        `${name} n = 16 samples: ${(many.tokens / many.seconds).toFixed(1)} tok/s vs n = 1 ${(one.tokens / one.seconds).toFixed(1)}: ${r.toFixed(2)}x`,
      );
    }
  }

  if (want("prefix")) {
    // A 5-shot audit's prefill: the first token of 4 GSM8K test problems in gsm8k-5shot.
    const five = preparePromptFormat(GSM8K_5SHOT, train);
    const reqs: GenerateRequest[] = test.slice(0, 4).map((p, i) => {
      const r = renderPrompt(five, { question: p.question, problemId: p.id, problemHash: p.hash });
      return { id: `f${i}`, prompt: r.text, sharedPrefix: r.sharedPrefix };
    });
    const first = { temperature: 0, maxNewTokens: 1, stop: [] };
    const promptTokens = lm.tokenizer.encode(reqs[0]!.prompt).length;
    for (const [name, dir] of [["int4", INT4]] as const) {
      const whole = await OnnxBackend.open(dir, { threads: THREADS, sharedPrefixes: false, maxBatchRows: 1 });
      const cached = await OnnxBackend.open(dir, { threads: THREADS, maxBatchRows: 1 });
      try {
        const w = await timedGenerate(whole, reqs, first);
        const block = await timedGenerate(cached, reqs.slice(0, 1), first); // prefills the block once
        const c = await timedGenerate(cached, reqs.slice(1), first);
        const perWhole = w.seconds / reqs.length;
        const perCached = c.seconds / (reqs.length - 1);
        // An audit: the block once, then every request from it.
        const requests = 1319 * 5;
        const auditRatio = (perWhole * requests) / (block.seconds + perCached * (requests - 1));
        Object.assign(figures, {
          [`${name}_5shot_prompt_tokens`]: promptTokens,
          [`${name}_5shot_block_tokens`]: cached.prefixes.stats.prefilledTokens,
          [`${name}_5shot_prefill_s_whole`]: round(perWhole, 2),
          [`${name}_5shot_prefill_s_cached`]: round(perCached, 2),
          [`${name}_5shot_prefill_speedup_per_request`]: round(perWhole / perCached, 2),
          [`${name}_5shot_prefill_speedup_audit`]: round(auditRatio, 2),
        });
        say(
          `${name} 5-shot prefill (${promptTokens}-token prompts, ${cached.prefixes.stats.prefilledTokens}-token block): ${perWhole.toFixed(2)} s whole vs ${perCached.toFixed(2)} s from the shared block: ${(perWhole / perCached).toFixed(2)}x per request, ${auditRatio.toFixed(2)}x over a ${requests}-request audit`,
        );
      } finally {
        await whole.close();
        await cached.close();
      }
    }
  }
  await int4.close();
  await fp32.close();

  if (want("rss")) {
    // A real audit process on the fp32 model; its peak RSS from the kernel's own accounting.
    const out = mkdtempSync(join(tmpdir(), "litmus-rss-"));
    try {
      const hook = `data:text/javascript,process.on("exit",()=>process.stderr.write("\\nmaxrss_kb="+process.resourceUsage().maxRSS+"\\n"))`;
      const args = [
        "--import",
        hook,
        join(ROOT, "dist/src/cli/main.js"),
        "audit",
        "--model",
        FP32,
        "--dataset",
        "litmus-mini",
        "--limit",
        "2",
        "--n",
        "2",
        "--max-new-tokens",
        "16",
        "--threads",
        String(THREADS),
        "--out",
        join(out, "run"),
      ];
      // This process's environment asks for huge pages, as bin/litmus's does for the CLI.
      const rss = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 26 });
      const stderr = rss.stderr ?? "";
      if (!/maxrss_kb=/.test(stderr)) throw new Error(`the audit failed: ${stderr.trim().split("\n").pop()}`);
      const kb = Number(/maxrss_kb=(\d+)/.exec(stderr)?.[1] ?? Number.NaN);
      const ratio = (kb * 1024) / fp32Bytes;
      figures["fp32_audit_peak_rss_bytes"] = kb * 1024;
      figures["fp32_audit_peak_rss_vs_weights"] = round(ratio, 2);
      say(
        `fp32 audit peak RSS ${(kb / 1024 / 1024).toFixed(2)} GiB = ${ratio.toFixed(2)}x the weights (${(fp32Bytes / 2 ** 30).toFixed(2)} GiB)`,
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
  figures["load_after"] = loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

await main();
