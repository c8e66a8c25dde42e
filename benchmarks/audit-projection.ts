/**
 * How long a whole GSM8K audit takes on this machine, from measured batches of the real plan.
 *
 * Two workloads, planned by litmus itself on the GSM8K test split (seed 1): a greedy-only audit
 * (qa format, every probe, originals) and the `phi15-probes` preset (qa, its probes, greedy + 10
 * samples at T 0.8). Each is cut into batches exactly as `litmus audit` does (16 rows); a few
 * batches spread over the plan are run on the full-size model (fp32 and int4) with completions
 * of a fixed length, and the mean seconds per batch times the number of batches is the projection.
 *
 * The completion length is the one figure not measured on phi-1.5 (random weights never stop on
 * their own): it is the mean token length of GSM8K's reference solutions plus the stop string a
 * completion ends on ("\n\nQuestion:"), and the projection is also printed at the 256-token cap
 * the preset allows (an upper bound: no completion ever stopping early).
 *
 * Usage: npm run bench -- audit-projection [BATCHES_PER_WORKLOAD=2] [models: int4,fp32]
 * Models as in benchmarks/runner/full-size.ts (LITMUS_BENCH_FP32, LITMUS_BENCH_INT4).
 */
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { toGenerateRequest } from "../src/audit/execute.js";
import { buildRequests, planBatches } from "../src/audit/plan.js";
import { PHI15_PROBES } from "../src/calibrate/presets.js";
import { loadProblems } from "../src/data/index.js";
import { DEFAULT_PROBES, parseProbeList } from "../src/probes/registry.js";
import { runProbes } from "../src/probes/run.js";
import { preparePromptFormat, QA } from "../src/prompts/index.js";
import { OnnxBackend } from "../src/runner/index.js";
import type { AuditRequest } from "../src/types/audit.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MODELS: Record<string, string> = {
  int4: process.env["LITMUS_BENCH_INT4"] ?? "/work/models/phi-1_5-int4-acc4",
  fp32: process.env["LITMUS_BENCH_FP32"] ?? "/work/models/phi-1_5-fp32",
};
const THREADS = Number(process.env["LITMUS_BENCH_THREADS"] ?? cpus().length);
const BATCH_ROWS = 16;
const CAP = PHI15_PROBES.settings.maxNewTokens;

interface Workload {
  name: string;
  batches: AuditRequest[][];
  requests: number;
  rows: number;
}

function workload(name: string, requests: AuditRequest[]): Workload {
  const batches = planBatches(requests, BATCH_ROWS);
  const rows = requests.reduce((s, r) => s + (r.mode === "greedy" ? 1 : r.n), 0);
  return { name, batches, requests: requests.length, rows };
}

/** `count` batches spread evenly over the plan. */
function spread<T>(xs: readonly T[], count: number): T[] {
  return Array.from({ length: count }, (_, i) => xs[Math.floor(((i + 0.5) * xs.length) / count)]!);
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const perWorkload = Number(args[0] ?? 2);
  const models = (args[1] ?? "int4,fp32").split(",");
  const test = await loadProblems(join(ROOT, "../shared/gsm8k/test.jsonl"), "gsm8k-test");
  const qa = preparePromptFormat(QA);
  const greedyOnly = workload(
    "greedy-only (qa, all probes + originals)",
    buildRequests(test, runProbes(test, parseProbeList(DEFAULT_PROBES), 1).variants, qa, 0),
  );
  const preset = workload(
    `${PHI15_PROBES.name} (n = ${PHI15_PROBES.settings.n})`,
    buildRequests(
      test,
      runProbes(test, parseProbeList(PHI15_PROBES.settings.probes), 1).variants,
      qa,
      PHI15_PROBES.settings.n,
    ),
  );

  const figures: Record<string, unknown> = {
    date: new Date().toISOString(),
    cpus: `${cpus().length} x ${cpus()[0]?.model ?? "?"}`,
    threads: THREADS,
    load_before: loadavg()
      .map((x) => x.toFixed(2))
      .join(" "),
  };
  for (const [name, w] of [
    ["greedy_only", greedyOnly],
    ["preset", preset],
  ] as const) {
    figures[`${name}_requests`] = w.requests;
    figures[`${name}_rows`] = w.rows;
    figures[`${name}_batches`] = w.batches.length;
  }

  for (const model of models) {
    const backend = await OnnxBackend.open(MODELS[model]!, { threads: THREADS, maxBatchRows: BATCH_ROWS });
    try {
      const tok = backend.lm.tokenizer;
      const solution = test.reduce((s, p) => s + tok.encode(` ${p.answer}`).length, 0) / test.length;
      const length = Math.round(solution + tok.encode("\n\nQuestion:").length);
      figures["completion_tokens_assumed"] = length;
      process.stderr.write(
        `${model}: completions of ${length} tokens (GSM8K's mean solution + the stop string)\n`,
      );
      for (const [name, w] of [
        ["greedy_only", greedyOnly],
        ["preset", preset],
      ] as const) {
        let seconds = 0;
        let generated = 0;
        let rows = 0;
        const sample = spread(w.batches, perWorkload);
        for (const batch of sample) {
          // The audit's own runner requests, with no stop string: every completion runs `length`.
          const requests = batch.map((r) => {
            const g = toGenerateRequest(r);
            return { ...g, config: { ...g.config, stop: [] } };
          });
          const t0 = performance.now();
          const out = await backend.generate(requests, {
            temperature: PHI15_PROBES.settings.temperature,
            topP: 1,
            topK: 0,
            maxNewTokens: length,
            seed: 1,
            stop: [],
          });
          seconds += (performance.now() - t0) / 1000;
          generated += out.reduce((s, c) => s + c.tokenIds.length, 0);
          rows += out.length;
        }
        const perBatch = seconds / sample.length;
        const hours = (perBatch * w.batches.length) / 3600;
        // Decode steps grow with length (prefill does not): scaling the whole batch time by
        // CAP / length over-states the cap's prefill share, so the bound is safe.
        const hoursAtCap = (hours * CAP) / length;
        figures[`${model}_${name}_seconds_per_batch`] = Math.round(perBatch * 10) / 10;
        figures[`${model}_${name}_tokens_per_s`] = Math.round((generated / seconds) * 10) / 10;
        figures[`${model}_${name}_mean_tokens_per_completion`] = Math.round((generated / rows) * 10) / 10;
        figures[`${model}_${name}_projected_hours`] = Math.round(hours * 10) / 10;
        figures[`${model}_${name}_projected_hours_at_cap_extrapolated`] = Math.round(hoursAtCap * 10) / 10;
        process.stderr.write(
          `${model} ${w.name}: ${w.requests} requests, ${w.rows} rows, ${w.batches.length} batches; ` +
            `${sample.length} measured at ${perBatch.toFixed(1)} s each (${(generated / seconds).toFixed(1)} tok/s, ` +
            `${(generated / rows).toFixed(1)} tokens per completion): ${hours.toFixed(1)} h projected ` +
            `(~${hoursAtCap.toFixed(1)} h extrapolated if every completion ran to ${CAP} tokens)\n`,
        );
      }
    } finally {
      await backend.close();
    }
  }
  figures["load_after"] = loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
  return figures;
}
