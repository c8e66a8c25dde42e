/**
 * How much left padding a real audit's batches carry: over the greedy-only GSM8K plan (qa format,
 * every default probe, originals; seed 1), the positions a batch's rows attend over (each row
 * padded to its batch's longest prompt, plus `GENERATED` tokens) against those of unpadded rows,
 * for batches cut in plan order (as `litmus audit` cuts them) and from windows of 1,024 rows
 * sorted by prompt length (in tokens, and in characters, which a plan knows without a tokenizer).
 * No model is run: only the tokenizer of the runner benchmarks' model (LITMUS_BENCH_MODEL or the
 * 4-layer slice; every phi-1.5 copy has the same codegen-mono tokenizer).
 *
 * Usage: npm run bench -- batch-padding
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildRequests, planBatches } from "../src/audit/plan.js";
import { loadProblems } from "../src/data/index.js";
import { DEFAULT_PROBES, parseProbeList } from "../src/probes/registry.js";
import { runProbes } from "../src/probes/run.js";
import { preparePromptFormat, QA } from "../src/prompts/index.js";
import { OnnxBackend } from "../src/runner/index.js";
import type { AuditRequest } from "../src/types/audit.js";
import { benchModelDir } from "./runner/common.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BATCH_ROWS = 16;
const WINDOW_ROWS = 1024;
/** GSM8K's mean reference solution plus the stop string, as in audit-projection. */
const GENERATED = 102;

export async function run(): Promise<Record<string, unknown>> {
  const test = await loadProblems(join(ROOT, "../shared/gsm8k/test.jsonl"), "gsm8k-test");
  const requests = buildRequests(
    test,
    runProbes(test, parseProbeList(DEFAULT_PROBES), 1).variants,
    preparePromptFormat(QA),
    0,
  );
  const backend = await OnnxBackend.open(benchModelDir(), { threads: 1 });
  const tokens = new Map(requests.map((r) => [r.id, backend.lm.tokenizer.encode(r.prompt).length]));
  await backend.close();

  /** Padded over unpadded attention positions, summed over every batch's decode steps. */
  const overhead = (batches: AuditRequest[][]): number => {
    let padded = 0;
    let unpadded = 0;
    for (const batch of batches) {
      const lengths = batch.map((r) => tokens.get(r.id)!);
      const width = Math.max(...lengths);
      for (const length of lengths) {
        padded += width + GENERATED / 2;
        unpadded += length + GENERATED / 2;
      }
    }
    return padded / unpadded;
  };
  const sortedInWindows = (key: (r: AuditRequest) => number): AuditRequest[] => {
    const out: AuditRequest[] = [];
    for (let i = 0; i < requests.length; i += WINDOW_ROWS)
      out.push(...requests.slice(i, i + WINDOW_ROWS).sort((a, b) => key(a) - key(b)));
    return out;
  };
  const figures = {
    requests: requests.length,
    batches: planBatches(requests, BATCH_ROWS).length,
    plan_order: round(overhead(planBatches(requests, BATCH_ROWS))),
    windows_sorted_by_tokens: round(
      overhead(
        planBatches(
          sortedInWindows((r) => tokens.get(r.id)!),
          BATCH_ROWS,
        ),
      ),
    ),
    windows_sorted_by_characters: round(
      overhead(
        planBatches(
          sortedInWindows((r) => r.prompt.length),
          BATCH_ROWS,
        ),
      ),
    ),
  };
  process.stderr.write(
    `attention positions over unpadded rows: plan order ${figures.plan_order}x, windows of ${WINDOW_ROWS} rows sorted by tokens ${figures.windows_sorted_by_tokens}x, by characters ${figures.windows_sorted_by_characters}x\n`,
  );
  return figures;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
