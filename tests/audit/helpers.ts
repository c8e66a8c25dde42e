import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AuditDeps } from "../../src/audit/run.js";
import type { AuditOptions } from "../../src/audit/types.js";
import { DEFAULT_THRESHOLDS } from "../../src/metrics/index.js";
import type { Backend, Completion, GenerateRequest, GenerationConfig } from "../../src/runner/types.js";
import { hashString } from "../../src/util/rng.js";

/** tests/fixtures/phi-tiny, from dist/tests/audit. */
export const TINY = fileURLToPath(new URL("../../../tests/fixtures/phi-tiny/", import.meta.url));

/**
 * Made-up GSM8K-format problems (never GSM8K text). Each has an annotated solution so the
 * answer-changing probes can recompute it.
 */
export const MADE_UP = [
  {
    question: "Tom has 3 apples. He buys 4 more apples at the market. How many apples does Tom have now?",
    answer: "Tom has 3 + 4 = <<3+4=7>>7 apples.\n#### 7",
  },
  {
    question: "A pen costs $2. Maria buys 5 pens for her class. How much does Maria spend?",
    answer: "Maria spends 5 * 2 = <<5*2=10>>10 dollars.\n#### 10",
  },
  {
    question: "Sam reads 6 pages a day. How many pages does Sam read in 7 days?",
    answer: "Sam reads 6 * 7 = <<6*7=42>>42 pages.\n#### 42",
  },
  {
    question:
      "Lena bakes 24 cookies. She gives 9 cookies to her friends. How many cookies does Lena have left?",
    answer: "Lena has 24 - 9 = <<24-9=15>>15 cookies left.\n#### 15",
  },
  {
    question: "A box holds 8 crayons. Jake buys 3 boxes. How many crayons does Jake have?",
    answer: "Jake has 8 * 3 = <<8*3=24>>24 crayons.\n#### 24",
  },
  {
    question:
      "Nina walks 2 miles every morning and 3 miles every evening. How many miles does Nina walk in 5 days?",
    answer:
      "Each day she walks 2 + 3 = <<2+3=5>>5 miles.\nIn 5 days she walks 5 * 5 = <<5*5=25>>25 miles.\n#### 25",
  },
];

export function madeUpJsonl(): string {
  return MADE_UP.map((p) => JSON.stringify(p)).join("\n") + "\n";
}

/**
 * A backend that "memorized" the originals: on a prompt containing an original question verbatim
 * it answers correctly; on any other prompt it gives the answer of the original with the most words
 * in common (right for answer-keeping variants, stale for answer-changing ones). Samples add noise:
 * sample j of a request answers wrongly when hash(id, j) is odd. `failAfter` throws after that many
 * generate calls (a crash).
 */
export class MemorizingBackend implements Backend {
  readonly id = "mock:memorizing";
  calls = 0;
  completions = 0;
  constructor(
    private readonly originals: ReadonlyArray<{ question: string; answer: string }>,
    private readonly failAfter = Number.POSITIVE_INFINITY,
  ) {}

  async generate(requests: GenerateRequest[], base: Partial<GenerationConfig> = {}): Promise<Completion[]> {
    if (this.calls >= this.failAfter) throw new Error("simulated crash");
    this.calls++;
    const out: Completion[] = [];
    for (const r of requests) {
      const c = { ...base, ...r.config };
      const greedy = c.temperature === 0;
      const answer = this.answerFor(r.prompt);
      for (let j = 0; j < (c.n ?? 1); j++) {
        const noisy = !greedy && hashString(`${r.id}#${j}`) % 2 === 1;
        const text = noisy ? " I am not sure." : ` The answer is ${answer}.\nQuestion: more`;
        out.push({
          requestId: r.id,
          sampleIndex: j,
          text: text.split("Question:")[0] as string,
          tokenIds: [1, 2, 3],
          logprobs: [0, 0, 0],
          finishReason: "stop",
          promptTokens: 10,
          seed: greedy ? null : hashString(`${r.id}/${j}`),
        });
        this.completions++;
      }
    }
    return out;
  }

  private answerFor(prompt: string): string {
    const final = (a: string) => (a.split("####")[1] ?? "").trim();
    const exact = this.originals.find((o) => prompt.includes(o.question));
    if (exact) return final(exact.answer);
    const words = new Set(prompt.toLowerCase().split(/\W+/));
    let best = this.originals[0] as { question: string; answer: string };
    let bestScore = -1;
    for (const o of this.originals) {
      const score = o.question
        .toLowerCase()
        .split(/\W+/)
        .filter((w) => words.has(w)).length;
      if (score > bestScore) {
        best = o;
        bestScore = score;
      }
    }
    return final(best.answer);
  }

  async score(): Promise<never> {
    throw new Error("not used");
  }
  async close(): Promise<void> {}
}

export function auditOptions(
  dataset: string,
  out: string,
  overrides: Partial<AuditOptions> = {},
): AuditOptions {
  return {
    model: TINY,
    dataset,
    probes: "newline,number-swap,price-edit,rename",
    format: "qa",
    n: 4,
    ks: [1, 2, 4],
    temperature: 0.8,
    topP: 0.95,
    topK: 0,
    maxNewTokens: 16,
    seed: 1,
    out,
    device: "cpu",
    threads: 1,
    batchSize: 8,
    resamples: 500,
    level: 0.95,
    thresholds: { ...DEFAULT_THRESHOLDS },
    pipeline: "flexible-extract",
    ...overrides,
  };
}

export function mockDeps(backend: Backend): AuditDeps {
  return {
    openBackend: async () => ({ backend, executionProvider: "mock" }),
    progress: null,
    log: () => {},
    print: () => {},
    hashModel: async () => ({ "model.onnx": "0".repeat(64) }),
  };
}

/** summary.json without its two timestamps (the only run-specific values; see src/audit/README.md). */
export function summaryWithoutTimes(runDir: string): unknown {
  const s = JSON.parse(readFileSync(join(runDir, "summary.json"), "utf8")) as {
    manifest: { started_at?: string; finished_at?: string | null };
  };
  delete s.manifest.started_at;
  delete s.manifest.finished_at;
  return s;
}

export function samplesOf(runDir: string): string {
  return readFileSync(join(runDir, "samples.jsonl"), "utf8");
}
