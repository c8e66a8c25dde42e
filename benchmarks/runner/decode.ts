/**
 * Decode tokens/s of the runner (greedy, batch 1) against a bare loop of session.run calls that
 * feeds the same tokens on the same model, each timed after the prefill. The runner is timed with
 * its session in a worker thread (the default) and in this thread (`worker: false`). The three
 * are run in turn, round after round (best of REPEATS after a warm-up round), so that load from
 * other processes hits them alike.
 * Run: node dist/benchmarks/runner/decode.js
 */
import { OnnxBackend } from "../../src/runner/index.js";
import { openBareLoop } from "./bare-loop.js";
import { benchModelDir, benchPrompt, now, report, round, THREADS } from "./common.js";

const NEW_TOKENS = Number(process.env["LITMUS_BENCH_TOKENS"] ?? 64);
const REPEATS = Number(process.env["LITMUS_BENCH_ROUNDS"] ?? 3);

/** litmus: ms from the end of prefill to the end of generation, and the tokens generated. */
async function litmusOnce(backend: OnnxBackend, prompt: string): Promise<{ ms: number; tokens: number[] }> {
  let t0 = 0;
  const [c] = await backend.generate(
    [{ id: "p", prompt }],
    { maxNewTokens: NEW_TOKENS },
    {
      onProgress: (p) => {
        if (p.phase === "prefill" && p.done === p.total) t0 = now();
      },
    },
  );
  return { ms: now() - t0, tokens: c!.tokenIds };
}

async function main(): Promise<void> {
  const dir = benchModelDir();
  const prompt = benchPrompt(40);
  const inWorker = await OnnxBackend.open(dir, { threads: THREADS });
  const inThread = await OnnxBackend.open(dir, { threads: THREADS, worker: false });
  const lm = inWorker.lm;
  const promptIds = lm.tokenizer.encode(prompt);
  const { numLayers } = lm.info;

  const bare = await openBareLoop(dir, lm, THREADS);
  const bareOnce = async (tokens: number[]): Promise<number> =>
    (await bare.decode(promptIds, tokens)).msPerStep * Math.max(1, tokens.length - 1);

  let workerBest = Number.POSITIVE_INFINITY;
  let threadBest = Number.POSITIVE_INFINITY;
  let bareBest = Number.POSITIVE_INFINITY;
  let tokens: number[] = [];
  for (let r = 0; r < REPEATS + 1; r++) {
    const w = await litmusOnce(inWorker, prompt);
    const t = await litmusOnce(inThread, prompt);
    tokens = w.tokens;
    const b = await bareOnce(tokens);
    if (r === 0) continue; // warm-up
    workerBest = Math.min(workerBest, w.ms);
    threadBest = Math.min(threadBest, t.ms);
    bareBest = Math.min(bareBest, b);
  }
  await bare.release();
  await inWorker.close();
  await inThread.close();

  // Both timed spans run one model step per token after the first (which comes from the
  // prefill's logits): figures are per step, the same divisor for both.
  const steps = Math.max(1, tokens.length - 1);
  const litmusTps = steps / (workerBest / 1000);
  const inThreadTps = steps / (threadBest / 1000);
  const bareTps = steps / (bareBest / 1000);
  report(
    [
      `model ${dir}: ${numLayers} layers, prompt ${promptIds.length} tokens, ${tokens.length} new tokens, threads ${THREADS || "auto"}`,
      `litmus decode: ${litmusTps.toFixed(2)} tok/s (${(workerBest / steps).toFixed(1)} ms/token)`,
      `litmus decode, session in this thread (worker: false): ${inThreadTps.toFixed(2)} tok/s`,
      `bare session.run loop: ${bareTps.toFixed(2)} tok/s (${(bareBest / steps).toFixed(1)} ms/token)`,
    ],
    {
      layers: numLayers,
      prompt_tokens: promptIds.length,
      new_tokens: tokens.length,
      litmus_decode_tokens_per_s: round(litmusTps, 2),
      in_thread_decode_tokens_per_s: round(inThreadTps, 2),
      bare_loop_tokens_per_s: round(bareTps, 2),
      decode_vs_bare_loop: round(litmusTps / bareTps),
      in_thread_decode_vs_bare_loop: round(inThreadTps / bareTps),
    },
  );
}

await main();
