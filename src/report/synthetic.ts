/**
 * A synthetic audit run for tests, benchmarks and the example report: real problems and real probe
 * variants, completions from a simulated model (a mix of memorized, solid, fragile and hopeless
 * problems) written into a RunStore, and the summary built from that store as `litmus audit` does.
 * Nothing here loads a model.
 */

import { buildRequests } from "../audit/plan.js";
import { readStoredRun, type StoredRun } from "../audit/records.js";
import { type AuditSummary, buildSummary } from "../audit/summary.js";
import type { AuditRunConfig } from "../audit/types.js";
import { problemHash } from "../data/problems.js";
import { sameNumber } from "../extract/index.js";
import { DEFAULT_THRESHOLDS } from "../metrics/index.js";
import { scoreCompletion } from "../metrics/score.js";
import { parseProbeList } from "../probes/registry.js";
import { runProbes } from "../probes/run.js";
import { resolvePromptFormat, wrapperOfSpec } from "../prompts/index.js";
import type { RunStore } from "../store/index.js";
import type { AuditRequest, CompletionRecord } from "../types/audit.js";
import type { Problem, Variant } from "../types/index.js";
import { LITMUS_VERSION } from "../util/version.js";

export interface SyntheticOptions {
  /** Problems to use (e.g. loaded GSM8K problems); their variants are made by the real probes. */
  problems: readonly Problem[];
  probes?: string;
  /** Samples per prompt (plus one greedy completion). */
  n?: number;
  /** Most variants kept per problem (the first ones in probe order). */
  maxVariants?: number;
  /** Tops every problem with a variant up to maxVariants by repeating its variants under new ids. */
  fillVariants?: boolean;
  seed?: number;
  /** Bootstrap resamples of the summary. */
  resamples?: number;
  /** Adds detector scores to the summary (a stand-in for issue 5's detectors). */
  detectors?: boolean;
  /** Replaces completion texts by this function's result (hostile-input tests). */
  completionText?: (request: AuditRequest, sample: number | null, text: string) => string;
  /** Replaces variant questions (hostile-input tests). */
  variantQuestion?: (variant: Variant) => string;
  /** The prompt format: a built-in name or a template file (default `qa`). */
  promptFormat?: string;
  /**
   * Scores every completion with the real extraction (answer, rule, correctness from the text)
   * instead of the simulated model's intended answer; for tests that rewrite completion texts.
   */
  extract?: boolean;
}

export interface SyntheticRun {
  summary: AuditSummary;
  run: StoredRun;
}

/** xorshift32: a small deterministic generator. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** Varied openings of sampled completions, so samples differ as a model's do. */
const OPENERS = [
  "Let's think step by step. First we work out the quantities.",
  "We need to find the total. Start with what we know:",
  "Step 1: read the problem carefully. Step 2: compute.",
  "First, note the numbers given in the question, then combine them.",
  "To solve this, break it into parts and add them up.",
  "The question asks for one number; we compute it below.",
];

type Kind = "memorized" | "solid" | "fragile" | "hopeless";

function solutionWith(solution: string, answer: string): string {
  return solution.replace(/####\s*.*$/m, `#### ${answer}`);
}

/** Makes problems from a GSM8K-format list of `{question, answer}` records. */
export function problemsFrom(
  records: ReadonlyArray<{ question: string; answer: string }>,
  source = "synthetic",
): Problem[] {
  return records.map((r, i) => ({
    id: `${source}:${i + 1}`,
    source,
    line: i + 1,
    question: r.question,
    answer: r.answer,
    finalAnswer: (r.answer.split("####").pop() ?? "").trim().replace(/,/g, ""),
    hash: problemHash(r.question, r.answer),
  }));
}

export async function buildSyntheticRun(store: RunStore, options: SyntheticOptions): Promise<SyntheticRun> {
  const n = options.n ?? 10;
  const seed = options.seed ?? 7;
  const probes = parseProbeList(options.probes ?? "newline,number-swap,price-edit,rename");
  const format = await resolvePromptFormat(options.promptFormat ?? "qa");
  const probeRun = runProbes(options.problems, probes, seed, {
    promptFormat: { name: format.spec.name, wrapper: wrapperOfSpec(format.spec) },
  });
  const kept: Variant[] = [];
  const perProblem = new Map<string, number>();
  for (const v of probeRun.variants) {
    const count = perProblem.get(v.problemId) ?? 0;
    if (count >= (options.maxVariants ?? 5)) continue;
    perProblem.set(v.problemId, count + 1);
    kept.push(options.variantQuestion ? { ...v, question: options.variantQuestion(v) } : v);
  }
  if (options.fillVariants) {
    const max = options.maxVariants ?? 5;
    const byProblem = new Map<string, Variant[]>();
    for (const v of kept) byProblem.set(v.problemId, [...(byProblem.get(v.problemId) ?? []), v]);
    for (const list of byProblem.values()) {
      for (let i = list.length; i < max; i++) {
        const v = list[i % list.length]!;
        kept.push({ ...v, id: `${v.id}-copy${i}` });
      }
    }
  }
  const requests = buildRequests(options.problems, kept, format, n);
  const config: AuditRunConfig = {
    litmusVersion: LITMUS_VERSION,
    onnxruntimeVersion: "1.30.0",
    executionProvider: "synthetic",
    modelFiles: { "model.onnx": "0".repeat(64), "tokenizer.json": "1".repeat(64) },
    dataset: { name: options.problems[0]?.source ?? "synthetic", sha256: "2".repeat(64) },
    detectors: { enabled: options.detectors === true, budget: 0 },
    selection: { split: null, limit: options.problems.length, ids: null, shard: null },
    probes: probes.map((p) => p.name),
    probeParams: Object.fromEntries(probes.map((p) => [p.name, p.params])),
    promptFormat: { name: format.spec.name, spec: format.spec },
    decoding: { n, temperature: 0.8, topP: 0.95, topK: 0, maxNewTokens: 256 },
    ks: [1, 5, 10].filter((k) => k <= n),
    seeds: { run: seed, probes: seed, bootstrap: seed },
    extraction: { pipeline: "flexible-extract" },
    summary: { resamples: options.resamples ?? 1000, level: 0.95, thresholds: { ...DEFAULT_THRESHOLDS } },
  };
  const started = new Date(Date.UTC(2026, 10, 24, 9, 0, 0));
  store.begin(config, started.toISOString());
  store.putProblems(options.problems);
  store.putVariants(kept);
  store.putRequests(requests);

  const random = rng(seed);
  const kinds = new Map<string, Kind>();
  for (const p of options.problems) {
    const r = random();
    kinds.set(p.id, r < 0.25 ? "memorized" : r < 0.6 ? "solid" : r < 0.75 ? "fragile" : "hopeless");
  }
  const problemById = new Map(options.problems.map((p) => [p.id, p]));
  const variantById = new Map(kept.map((v) => [v.id, v]));
  for (const req of requests) {
    const kind = kinds.get(req.problemId) ?? "solid";
    const problem = problemById.get(req.problemId)!;
    const variant = req.variantId === null ? null : variantById.get(req.variantId)!;
    const pRight =
      variant === null
        ? { memorized: 0.9, solid: 0.85, fragile: 0.8, hopeless: 0.08 }[kind]
        : req.answerChanged
          ? { memorized: 0.15, solid: 0.8, fragile: 0.35, hopeless: 0.05 }[kind]
          : { memorized: 0.45, solid: 0.85, fragile: 0.25, hopeless: 0.05 }[kind];
    const pStale = req.answerChanged
      ? { memorized: 0.7, solid: 0.03, fragile: 0.1, hopeless: 0.02 }[kind]
      : 0;
    const samples: Array<number | null> =
      req.mode === "greedy" ? [null] : Array.from({ length: req.n }, (_, i) => i);
    for (const sample of samples) {
      const r = random();
      let text: string;
      let answer: string | null;
      if (r < pRight) {
        answer = req.expected;
        text = variant ? variant.solution : problem.answer;
      } else if (r < pRight + pStale) {
        answer = req.originalAnswer;
        text = problem.answer;
      } else if (random() < 0.1) {
        answer = null;
        text = "I am not sure how to solve this problem. Let me think about it step by step again";
      } else {
        const wrong = String(
          Math.max(0, Math.round(Number(req.expected) || 0) + 1 + Math.floor(random() * 20)),
        );
        answer = wrong;
        text = solutionWith(variant ? variant.solution : problem.answer, wrong);
      }
      if (sample !== null)
        text = `${OPENERS[Math.floor(random() * OPENERS.length)]} ${Math.floor(random() * 1000)} ${text}`;
      const finalText = options.completionText ? options.completionText(req, sample, text) : text;
      const extraction = options.extract
        ? scoreCompletion(` ${finalText}`, req, config.extraction.pipeline).extraction
        : { answer, rule: answer === null ? null : ("hash-line" as const) };
      const completion: CompletionRecord = {
        requestId: req.id,
        sampleIndex: sample,
        text: ` ${finalText}`,
        tokenCount: Math.ceil(finalText.length / 4),
        finishReason: "stop",
        seed: sample === null ? null : Math.floor(random() * 2 ** 32),
        answer: extraction.answer,
        rule: extraction.rule,
        correct: sameNumber(extraction.answer, req.expected),
      };
      store.recordCompletion(completion);
    }
  }
  store.finish(new Date(started.getTime() + 3 * 3600_000 + 17 * 60_000).toISOString());
  const manifest = store.manifest()!;
  const run = readStoredRun(store, config.probes);
  const summary = buildSummary(manifest, run);
  if (options.detectors) addSyntheticDetectors(summary, kinds, random);
  return { summary, run };
}

/** Detector scores shaped as src/report/detectors.ts reads them (originals vs variants). */
function addSyntheticDetectors(summary: AuditSummary, kinds: Map<string, Kind>, random: () => number): void {
  const normal = () => Math.sqrt(-2 * Math.log(random() || 1e-9)) * Math.cos(2 * Math.PI * random());
  const gapO: number[] = [];
  const gapV: number[] = [];
  const mkO: number[] = [];
  const mkV: number[] = [];
  const cddO: number[] = [];
  const cddV: number[] = [];
  for (const kind of kinds.values()) {
    const mem = kind === "memorized";
    gapO.push((mem ? 0.6 : 0.05) + 0.2 * normal());
    for (let i = 0; i < 4; i++) gapV.push(0.2 * normal());
    mkO.push((mem ? 0.8 : -0.2) + 0.5 * normal());
    for (let i = 0; i < 4; i++) mkV.push(-0.3 + 0.5 * normal());
    cddO.push(Math.min(1, Math.max(0, (mem ? 0.6 : 0.1) + 0.15 * normal())));
    for (let i = 0; i < 4; i++) cddV.push(Math.min(1, Math.max(0, 0.1 + 0.1 * normal())));
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const fig = (xs: number[]) => ({ value: mean(xs), ci: [mean(xs) - 0.02, mean(xs) + 0.02] });
  (summary as unknown as Record<string, unknown>)["detectors"] = {
    neighbourhood_gap: {
      description: "log-likelihood per token, original minus its neighbours",
      probes: { original: fig(gapO), newline: fig(gapV) },
      original: gapO,
      variants: gapV,
      p_value: 0.0004,
    },
    min_k_pp: { probes: { original: fig(mkO), newline: fig(mkV) }, original: mkO, variants: mkV },
    cdd: {
      probes: { original: fig(cddO), newline: fig(cddV) },
      original: cddO,
      variants: cddV,
      flagged_share: 0.27,
    },
  };
}
