/**
 * Orchestration overhead of `litmus audit` per completion: everything but the model's forward
 * passes (planning, prompt rendering, batching, extraction, scoring, SQLite commits, exports).
 * Measured in one process, on the same synthetic problems:
 *
 * - `real`: the audit with the ONNX backend (tests/fixtures/phi-tiny unless `--model DIR`), with
 *   CausalLM.forward (session.run and its tensors) and the slot-cache steps timed inside it;
 * - `mock`: the same audit with a backend that answers instantly, i.e. the orchestration alone.
 *
 * Ratios: mock / real per completion, and (real - forward) / real. Usage:
 * `npm run bench -- audit-overhead [--problems 12] [--n 4] [--max-new-tokens 8] [--model DIR]`.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { type AuditDeps, runAudit } from "../src/audit/run.js";
import type { AuditOptions } from "../src/audit/types.js";
import { DEFAULT_THRESHOLDS } from "../src/metrics/index.js";
import { OnnxBackend } from "../src/runner/index.js";
import type { Backend, Completion, GenerateRequest, GenerationConfig } from "../src/runner/types.js";
import { WorkerSession } from "../src/runner/worker-session.js";

const TINY = fileURLToPath(new URL("../../tests/fixtures/phi-tiny/", import.meta.url));

function flag(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? (args[i + 1] as string) : fallback;
}

/** Synthetic GSM8K-format problems (made up, annotated so every probe applies). */
function syntheticProblems(count: number): string {
  const names = ["Tom", "Maria", "Sam", "Lena", "Jake", "Nina"];
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const a = 3 + i;
    const b = 4 + ((i * 7) % 11);
    const name = names[i % names.length];
    lines.push(
      JSON.stringify({
        question: `${name} has ${a} apples. ${name} buys ${b} more apples at the market. How many apples does ${name} have now?`,
        answer: `${name} has ${a} + ${b} = <<${a}+${b}=${a + b}>>${a + b} apples.\n#### ${a + b}`,
      }),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Answers instantly with a fixed-length completion, so only orchestration is timed. */
class InstantBackend implements Backend {
  readonly id = "mock:instant";
  constructor(private readonly tokens: number) {}
  async generate(requests: GenerateRequest[], base: Partial<GenerationConfig> = {}): Promise<Completion[]> {
    const out: Completion[] = [];
    for (const r of requests) {
      const n = r.config?.n ?? base.n ?? 1;
      for (let j = 0; j < n; j++) {
        out.push({
          requestId: r.id,
          sampleIndex: j,
          text: ` He has ${j + 7} apples. The answer is ${j + 7}.`,
          tokenIds: Array.from({ length: this.tokens }, (_, t) => t),
          logprobs: Array.from({ length: this.tokens }, () => -1),
          finishReason: "length",
          promptTokens: 30,
          seed: r.config?.temperature === 0 ? null : j,
        });
      }
    }
    return out;
  }
  async score(): Promise<never> {
    throw new Error("not used");
  }
  async close(): Promise<void> {}
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const problems = Number(flag(args, "problems", "12"));
  const n = Number(flag(args, "n", "4"));
  const maxNewTokens = Number(flag(args, "max-new-tokens", "8"));
  const model = flag(args, "model", TINY);
  const dir = mkdtempSync(join(tmpdir(), "litmus-bench-audit-"));
  try {
    const dataset = join(dir, "problems.jsonl");
    writeFileSync(dataset, syntheticProblems(problems));
    const options = (out: string): AuditOptions => ({
      model,
      dataset,
      probes: "newline,number-swap,price-edit,rename",
      format: "qa",
      n,
      ks: [1],
      temperature: 0.8,
      topP: 0.95,
      topK: 0,
      maxNewTokens,
      seed: 1,
      out,
      device: "cpu",
      threads: 0,
      batchSize: 16,
      resamples: 1000,
      level: 0.95,
      thresholds: { ...DEFAULT_THRESHOLDS },
      pipeline: "flexible-extract",
    });
    const deps = (backend: Backend): AuditDeps => ({
      openBackend: async () => ({ backend, executionProvider: "cpu" }),
      progress: null,
      log: (t) => void process.stderr.write(t),
      print: () => {},
    });

    // Real backend, with the forward passes timed.
    const real = await OnnxBackend.open(model, { device: "cpu", maxBatchRows: 16 });
    let forwardMs = 0;
    const forward = real.lm.forward.bind(real.lm);
    real.lm.forward = async (...a: Parameters<typeof forward>) => {
      const t = performance.now();
      try {
        return await forward(...a);
      } finally {
        forwardMs += performance.now() - t;
      }
    };
    // Decode steps over the slot cache run in the worker without CausalLM.forward: time them too.
    const session = real.lm.session;
    if (session instanceof WorkerSession) {
      const slotOp = session.slotOp.bind(session);
      session.slotOp = async (...a: Parameters<typeof slotOp>) => {
        const t = performance.now();
        try {
          return await slotOp(...a);
        } finally {
          forwardMs += performance.now() - t;
        }
      };
    }
    let generateMs = 0;
    const generate = real.generate.bind(real);
    real.generate = async (...a: Parameters<typeof generate>) => {
      const t = performance.now();
      try {
        return await generate(...a);
      } finally {
        generateMs += performance.now() - t;
      }
    };
    process.stderr.write("audit-overhead: real backend...\n");
    let t = performance.now();
    const realRun = await runAudit(options(join(dir, "real")), { failOn: [] }, deps(real));
    const realMs = performance.now() - t;
    const completions = realRun.summary.counts.completions;

    process.stderr.write("audit-overhead: instant mock backend...\n");
    // Twice, keeping the second: the first pays module warm-up the real run already paid.
    await runAudit(options(join(dir, "mock-warm")), { failOn: [] }, deps(new InstantBackend(maxNewTokens)));
    t = performance.now();
    await runAudit(options(join(dir, "mock")), { failOn: [] }, deps(new InstantBackend(maxNewTokens)));
    const mockMs = performance.now() - t;

    const per = (ms: number) => Number((ms / completions).toFixed(4));
    return {
      problems,
      n,
      max_new_tokens: maxNewTokens,
      completions,
      real_ms_per_completion: per(realMs),
      forward_ms_per_completion: per(forwardMs),
      backend_generate_ms_per_completion: per(generateMs),
      outside_forward_ms_per_completion: per(realMs - forwardMs),
      outside_backend_ms_per_completion: per(realMs - generateMs),
      mock_ms_per_completion: per(mockMs),
      ratio_mock_to_real: Number((mockMs / realMs).toFixed(4)),
      ratio_outside_forward_to_real: Number(((realMs - forwardMs) / realMs).toFixed(4)),
      ratio_outside_backend_to_real: Number(((realMs - generateMs) / realMs).toFixed(4)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
