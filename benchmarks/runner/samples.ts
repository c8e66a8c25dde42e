/**
 * Aggregate tokens/s of n = 16 samples of one prompt (one shared prefill, 16 rows decoded
 * together) against n = 1, against 16 copies of the prompt batched without sharing the prefill,
 * and against 16 independent generations one after another.
 * Run: node dist/benchmarks/runner/samples.js
 */
import { OnnxBackend } from "../../src/runner/index.js";
import type { Completion } from "../../src/runner/types.js";
import { benchModelDir, benchPrompt, now, report, round, THREADS } from "./common.js";

const NEW_TOKENS = Number(process.env["LITMUS_BENCH_TOKENS"] ?? 32);
const N = 16;

async function main(): Promise<void> {
  const dir = benchModelDir();
  const backend = await OnnxBackend.open(dir, { threads: THREADS, maxBatchRows: N });
  const prompt = benchPrompt(100);
  const cfg = { maxNewTokens: NEW_TOKENS, temperature: 1, topP: 0.95, seed: 1 };
  const count = (cs: Completion[]) => cs.reduce((a, c) => a + c.tokenIds.length, 0);
  const time = async (fn: () => Promise<Completion[]>) => {
    const t0 = now();
    const cs = await fn();
    const s = (now() - t0) / 1000;
    return { tokens: count(cs), seconds: s, tps: count(cs) / s };
  };
  await backend.generate([{ id: "warm", prompt }], { ...cfg, maxNewTokens: 2 });
  const one = await time(() => backend.generate([{ id: "p", prompt }], { ...cfg, n: 1 }));
  const shared = await time(() => backend.generate([{ id: "p", prompt }], { ...cfg, n: N }));
  const copies = await time(() =>
    backend.generate(
      Array.from({ length: N }, (_, i) => ({ id: `p${i}`, prompt })),
      { ...cfg, n: 1 },
    ),
  );
  const independent = await time(async () => {
    const out: Completion[] = [];
    for (let i = 0; i < N; i++)
      out.push(...(await backend.generate([{ id: `p${i}`, prompt }], { ...cfg, n: 1 })));
    return out;
  });
  const promptTokens = backend.lm.tokenizer.encode(prompt).length;
  await backend.close();
  report(
    [
      `prompt ${promptTokens} tokens, up to ${NEW_TOKENS} new tokens per sample`,
      `n=1: ${one.tps.toFixed(1)} tok/s; n=${N} shared prefill: ${shared.tps.toFixed(1)} tok/s; ` +
        `${N} copies batched: ${copies.tps.toFixed(1)} tok/s; ${N} one after another: ${independent.tps.toFixed(1)} tok/s`,
    ],
    {
      prompt_tokens: promptTokens,
      n1_tokens_per_s: round(one.tps, 2),
      n16_tokens_per_s: round(shared.tps, 2),
      n16_vs_n1: round(shared.tps / one.tps),
      shared_prefill_vs_batched_copies: round(shared.tps / copies.tps),
      shared_prefill_vs_independent: round(shared.tps / independent.tps),
      n16_seconds: round(shared.seconds),
      independent_seconds: round(independent.seconds),
    },
  );
}

await main();
