/**
 * All detectors over one audit: likelihood scores of every original and variant text (needs a
 * backend that scores), CDD from the stored completions (text only), and the exchangeability test
 * (needs a backend and a budget). Aggregates carry bootstrap intervals over problems (means) or
 * Wilson intervals (rates), and the per-problem records carry the evidence flags (rules in
 * README.md).
 */
import { bootstrapMeanInterval } from "../metrics/bootstrap.js";
import { proportion } from "../metrics/stats.js";
import type { Backend, ScoreRequest, ScoreResult } from "../runner/types.js";
import type { Proportion, TextScoreRecord } from "../types/audit.js";
import type { Problem, Variant } from "../types/index.js";
import { InputError } from "../util/errors.js";
import { type CddOptions, type CddResult, cdd, DEFAULT_CDD, textUnits } from "./cdd.js";
import { type ExchangeabilityResult, exchangeabilityTest } from "./exchangeability.js";
import { DEFAULT_MIN_K, likelihoodScores, neighbourhoodGap, scoredText } from "./likelihood.js";
import { mean, quantile, type SignTest, signTest } from "./stats.js";

export const ORIGINAL_LABEL = "original";

export interface DetectorOptions {
  /** Min-K% and Min-K%++ share (0.2). */
  minK: number;
  cdd: CddOptions;
  /** Forward passes for the exchangeability test; 0 skips it. */
  exchangeabilityBudget: number;
  /** Shards of the exchangeability test (default: see planExchangeability). */
  exchangeabilityShards?: number;
  /** Seeds the bootstrap and the permutations. */
  seed: number;
  resamples: number;
  level: number;
  /** Texts per backend.score call. */
  batchSize: number;
  /**
   * Scores already computed (a resumed run, or merged shards): texts with a stored score of the
   * same k are not scored again, and without a backend they are the likelihood evidence.
   */
  stored?: readonly TextScoreRecord[];
  /** Called with each batch of new scores as soon as it is computed (to store them). */
  onScored?: (scores: TextScoreRecord[]) => void;
  /** Called after each scored batch: texts scored of those to score (for the progress line). */
  onProgress?: (progress: { phase: string; done: number; total: number }) => void;
  /**
   * Why the likelihood scores of texts without a stored score are missing when there is no
   * backend (e.g. merged shards that did not all compute them); listed as unavailable.
   */
  unscoredReason?: string;
}

export const DEFAULT_DETECTOR_OPTIONS: DetectorOptions = {
  minK: DEFAULT_MIN_K,
  cdd: DEFAULT_CDD,
  exchangeabilityBudget: 0,
  seed: 1,
  resamples: 10_000,
  level: 0.95,
  batchSize: 8,
};

/** One stored completion as the detectors need it (greedy: sampleIndex null). */
export interface DetectorCompletion {
  problemId: string;
  /** null for the original problem. */
  variantId: string | null;
  probe: string;
  sampleIndex: number | null;
  text: string;
  /**
   * The completion's first tokens as string keys (the store's `tokens`) when known; else CDD
   * splits the text into words (textUnits).
   */
  tokens?: readonly string[];
  /**
   * Cut at `--max-completion-bytes` (finish reason `truncated`): its tokens are unknown and its
   * text is not all there, so CDD leaves it out (counted in `cdd.truncatedLeftOut`).
   */
  truncated?: boolean;
}

export interface MeanSummary {
  mean: number | null;
  ci: [number, number] | null;
  n: number;
}

/** Likelihood scores of one text, as the run store keeps them (see TextScoreRecord). */
export type TextScores = TextScoreRecord;

export interface ProblemDetectors {
  problemId: string;
  original: TextScores | null;
  neighbours: TextScores[];
  /** Per-token log-likelihood gap to all neighbours, answer-preserving ones, answer-changing ones. */
  gap: number | null;
  gapAnswerPreserving: number | null;
  gapAnswerChanging: number | null;
  cddOriginal: CddResult | null;
  /** Mean peakedness over the variants that have samples (null when none). */
  cddVariantMean: number | null;
  /** Evidence flags (see README): `likelihood-gap`, `min-k++-top`, `cdd-peaked`. */
  evidence: string[];
}

export interface GapSummary extends MeanSummary {
  median: number | null;
  q10: number | null;
  q90: number | null;
  /** One-sided sign test of "the original is more likely than its neighbours". */
  signTest: SignTest;
}

export interface DetectorReport {
  settings: {
    minK: number;
    cdd: CddOptions & { units: "tokens" | "words" };
    exchangeability: { budget: number; shards: number | null };
    seed: number;
    resamples: number;
    level: number;
  };
  /** Likelihood scores by label (`original` or probe): means over texts, bootstrap CI over problems. */
  likelihood: Record<
    string,
    { minK: MeanSummary; minKPlusPlus: MeanSummary; zlibRatio: MeanSummary; perToken: MeanSummary }
  > | null;
  gap: { all: GapSummary; answerPreserving: GapSummary; answerChanging: GapSummary } | null;
  cdd: {
    /** Per label: flagged share (Wilson) and mean peakedness. */
    byLabel: Record<string, { flagged: Proportion; peakedness: MeanSummary }>;
    /** Original peakedness minus mean variant peakedness, per problem with both. */
    originalMinusVariants: MeanSummary & { signTest: SignTest };
    /** Completions cut at `--max-completion-bytes`, left out of CDD (their prompts compare the rest). */
    truncatedLeftOut: number;
  };
  exchangeability: ExchangeabilityResult | null;
  /**
   * Detectors the backend could not compute, with the reason (e.g. `min_k_plus_plus`: an HTTP API
   * gives no next-token distribution). The report shows them as "not available with this backend".
   */
  unavailable: Record<string, string>;
  problems: ProblemDetectors[];
}

/**
 * Scores texts through the backend in batches; results in request order. A text the model cannot
 * take (longer than its context window) gets null instead of failing the whole audit.
 */
async function scoreAll(
  backend: Backend,
  requests: ScoreRequest[],
  batchSize: number,
  onBatch?: (results: Array<ScoreResult | null>, offset: number) => void,
): Promise<Array<ScoreResult | null>> {
  const out: Array<ScoreResult | null> = [];
  for (let i = 0; i < requests.length; i += batchSize) {
    const batch = requests.slice(i, i + batchSize);
    const results: Array<ScoreResult | null> = [];
    try {
      results.push(...(await backend.score(batch)));
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      for (const request of batch) {
        try {
          results.push(...(await backend.score([request])));
        } catch (inner) {
          if (!(inner instanceof InputError)) throw inner;
          results.push(null);
        }
      }
    }
    onBatch?.(results, i);
    out.push(...results);
  }
  return out;
}

function meanSummary(values: readonly number[], options: DetectorOptions, label: string): MeanSummary {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { mean: null, ci: null, n: 0 };
  return {
    mean: mean(finite),
    ci: bootstrapMeanInterval(finite, {
      seed: hashLabel(options.seed, label),
      resamples: options.resamples,
      level: options.level,
    }),
    n: finite.length,
  };
}

function hashLabel(seed: number, label: string): number {
  let h = seed >>> 0;
  for (let i = 0; i < label.length; i++) h = (Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0) >>> 0;
  return h;
}

function gapSummary(values: readonly number[], options: DetectorOptions, label: string): GapSummary {
  return {
    ...meanSummary(values, options, label),
    median: values.length ? quantile(values, 0.5) : null,
    q10: values.length ? quantile(values, 0.1) : null,
    q90: values.length ? quantile(values, 0.9) : null,
    signTest: signTest(values),
  };
}

/**
 * Every detector over one audit. `backend` null (e.g. `litmus merge`) skips the likelihood scores
 * and the exchangeability test; CDD needs only the completions.
 */
export async function computeDetectorScores(
  input: {
    problems: readonly Problem[];
    variants: readonly Variant[];
    completions: readonly DetectorCompletion[];
  },
  backend: Backend | null,
  partial: Partial<DetectorOptions> = {},
): Promise<DetectorReport> {
  const options = { ...DEFAULT_DETECTOR_OPTIONS, ...partial, cdd: { ...DEFAULT_CDD, ...partial.cdd } };
  const variantsOf = new Map<string, Variant[]>();
  for (const v of input.variants) {
    const list = variantsOf.get(v.problemId) ?? [];
    list.push(v);
    variantsOf.set(v.problemId, list);
  }

  // What the backend's scoring can give; without log-probs it is used for nothing.
  const unavailable: Record<string, string> = {};
  const support = backend?.scoringSupport
    ? await backend.scoringSupport()
    : { logprobs: null, moments: null };
  if (backend && support.logprobs !== null) {
    for (const name of ["min_k", "min_k_plus_plus", "zlib_ratio", "neighbourhood_gap"])
      unavailable[name] = support.logprobs;
    if (options.exchangeabilityBudget > 0) unavailable["exchangeability"] = support.logprobs;
    backend = null;
  } else if (backend && support.moments !== null) unavailable["min_k_plus_plus"] = support.moments;

  // Likelihood: one score per original and per variant text, scored after the bos token; stored
  // scores (same k) are reused, so a resumed run or a merge scores nothing twice.
  const scored = new Map<string, TextScores>();
  for (const s of options.stored ?? []) if (s.k === options.minK) scored.set(s.unit, s);
  const units: Array<{ key: string; text: string; probe: string; answerChanged: boolean }> = [];
  for (const p of input.problems) {
    units.push({
      key: `${p.id}/original`,
      text: scoredText(p.question, p.answer),
      probe: ORIGINAL_LABEL,
      answerChanged: false,
    });
    for (const v of variantsOf.get(p.id) ?? []) {
      // A format variant asks the original's very text in another wrapper: scored alone it is the
      // original, no neighbour, and a gap of exactly 0 would mask every likelihood-gap flag.
      if (v.question === p.question && v.solution === p.answer) continue;
      units.push({
        key: v.id,
        text: scoredText(v.question, v.solution),
        probe: v.probe,
        answerChanged: v.answerChanged,
      });
    }
  }
  if (backend) {
    const todo = units.filter((u) => !scored.has(u.key));
    await scoreAll(
      backend,
      todo.map((u) => ({ id: `detectors:${u.key}`, text: u.text })),
      options.batchSize,
      (results, offset) => {
        const fresh: TextScores[] = [];
        results.forEach((result, i) => {
          const u = todo[offset + i]!;
          if (!result) return;
          const s: TextScores = {
            unit: u.key,
            probe: u.probe,
            answerChanged: u.answerChanged,
            k: options.minK,
            ...likelihoodScores(result, u.text, options.minK),
          };
          scored.set(u.key, s);
          fresh.push(s);
        });
        if (fresh.length > 0) options.onScored?.(fresh);
        options.onProgress?.({ phase: "likelihood", done: offset + results.length, total: todo.length });
      },
    );
  } else if (scored.size > 0 && options.unscoredReason && units.some((u) => !scored.has(u.key))) {
    unavailable["likelihood (some texts)"] = options.unscoredReason;
  }
  const haveLikelihood = backend !== null || scored.size > 0;

  // CDD per prompt: greedy vs samples. A truncated completion is left out rather than measured:
  // it has no tokens, and letting it decide the units would switch every prompt of the run to
  // words (thresholds are calibrated on tokens), while measuring its prompt alone in words would
  // mix units within the run. Its prompt compares the completions it has (no greedy: no CDD).
  const measured = input.completions.filter((c) => !c.truncated);
  const truncatedLeftOut = input.completions.length - measured.length;
  const vocab = new Map<string, number>();
  const useTokens = measured.length > 0 && measured.every((c) => c.tokens !== undefined);
  const byUnit = new Map<
    string,
    { greedy: number[] | null; samples: Array<[number, number[]]>; probe: string; problemId: string }
  >();
  for (const c of measured) {
    const key = c.variantId ?? `${c.problemId}/original`;
    const entry = byUnit.get(key) ?? { greedy: null, samples: [], probe: c.probe, problemId: c.problemId };
    const ids = useTokens ? c.tokens!.map((t) => intern(vocab, t)) : textUnits(c.text, vocab);
    if (c.sampleIndex === null) entry.greedy = ids;
    else entry.samples.push([c.sampleIndex, ids]);
    byUnit.set(key, entry);
  }
  const cddByUnit = new Map<string, CddResult>();
  for (const [key, e] of byUnit) {
    if (e.greedy === null || e.samples.length === 0) continue;
    e.samples.sort((a, b) => a[0] - b[0]);
    cddByUnit.set(
      key,
      cdd(
        e.greedy,
        e.samples.map((s) => s[1]),
        options.cdd,
      ),
    );
  }

  const problems: ProblemDetectors[] = input.problems.map((p) => {
    const original = scored.get(`${p.id}/original`) ?? null;
    const variants = variantsOf.get(p.id) ?? [];
    const neighbours = variants.map((v) => scored.get(v.id)).filter((s): s is TextScores => s !== undefined);
    const gapOf = (list: TextScores[]) =>
      original
        ? neighbourhoodGap(
            original.perToken,
            list.map((n) => n.perToken),
          )
        : null;
    const cddOriginal = cddByUnit.get(`${p.id}/original`) ?? null;
    const variantPeaks = variants
      .map((v) => cddByUnit.get(v.id)?.peakedness)
      .filter((x): x is number => x !== undefined);
    const cddVariantMean = variantPeaks.length ? mean(variantPeaks) : null;
    const gap = gapOf(neighbours);
    const evidence: string[] = [];
    if (gap !== null && gap > 0 && neighbours.every((n) => n.perToken < original!.perToken))
      evidence.push("likelihood-gap");
    const topPlusPlus = original?.minKPlusPlus;
    if (
      typeof topPlusPlus === "number" &&
      neighbours.length > 0 &&
      neighbours.every((n) => n.minKPlusPlus !== null && n.minKPlusPlus < topPlusPlus)
    )
      evidence.push("min-k++-top");
    if (cddOriginal?.flagged && (cddVariantMean === null || cddOriginal.peakedness > cddVariantMean))
      evidence.push("cdd-peaked");
    return {
      problemId: p.id,
      original,
      neighbours,
      gap,
      gapAnswerPreserving: gapOf(neighbours.filter((n) => !n.answerChanged)),
      gapAnswerChanging: gapOf(neighbours.filter((n) => n.answerChanged)),
      cddOriginal,
      cddVariantMean,
      evidence,
    };
  });

  // Aggregates. Likelihood means are per label over texts, averaged per problem first.
  let likelihood: DetectorReport["likelihood"] = null;
  let gap: DetectorReport["gap"] = null;
  if (haveLikelihood) {
    const labels = [ORIGINAL_LABEL, ...new Set(input.variants.map((v) => v.probe))];
    likelihood = {};
    for (const label of labels) {
      const perProblem = (pick: (s: TextScores) => number) =>
        problems
          .map((p) =>
            label === ORIGINAL_LABEL
              ? p.original
                ? [p.original]
                : []
              : p.neighbours.filter((n) => n.probe === label),
          )
          .filter((list) => list.length > 0)
          .map((list) => mean(list.map(pick)));
      likelihood[label] = {
        minK: meanSummary(
          perProblem((s) => s.minK),
          options,
          `minK.${label}`,
        ),
        minKPlusPlus: meanSummary(
          perProblem((s) => s.minKPlusPlus ?? Number.NaN),
          options,
          `minKPlusPlus.${label}`,
        ),
        zlibRatio: meanSummary(
          perProblem((s) => s.zlibRatio),
          options,
          `zlib.${label}`,
        ),
        perToken: meanSummary(
          perProblem((s) => s.perToken),
          options,
          `perToken.${label}`,
        ),
      };
    }
    const values = (pick: (p: ProblemDetectors) => number | null) =>
      problems.map(pick).filter((x): x is number => x !== null && Number.isFinite(x));
    gap = {
      all: gapSummary(
        values((p) => p.gap),
        options,
        "gap",
      ),
      answerPreserving: gapSummary(
        values((p) => p.gapAnswerPreserving),
        options,
        "gap.preserving",
      ),
      answerChanging: gapSummary(
        values((p) => p.gapAnswerChanging),
        options,
        "gap.changing",
      ),
    };
  }

  const byLabel: DetectorReport["cdd"]["byLabel"] = {};
  const labelsCdd = new Map<string, CddResult[]>();
  for (const [key, result] of cddByUnit) {
    const label = byUnit.get(key)!.probe;
    labelsCdd.set(label, [...(labelsCdd.get(label) ?? []), result]);
  }
  for (const [label, results] of [...labelsCdd].sort((a, b) =>
    a[0] === ORIGINAL_LABEL ? -1 : b[0] === ORIGINAL_LABEL ? 1 : a[0] < b[0] ? -1 : 1,
  )) {
    byLabel[label] = {
      flagged: proportion(results.filter((r) => r.flagged).length, results.length, options.level),
      peakedness: meanSummary(
        results.map((r) => r.peakedness),
        options,
        `cdd.${label}`,
      ),
    };
  }
  const diffs = problems
    .filter((p) => p.cddOriginal && p.cddVariantMean !== null)
    .map((p) => p.cddOriginal!.peakedness - p.cddVariantMean!);

  let exchangeability: ExchangeabilityResult | null = null;
  // A shard too long for the model's context has no likelihood: the test is then not reported.
  let tooLong = false;
  if (backend && options.exchangeabilityBudget > 0 && input.problems.length >= 2) {
    const texts = input.problems.map((p) => scoredText(p.question, p.answer));
    exchangeability = await exchangeabilityTest(
      texts.length,
      async (sequences) => {
        const res = await scoreAll(
          backend,
          sequences.map((seq, i) => ({
            id: `exchangeability:${i}`,
            text: seq.map((j) => texts[j]!).join("\n\n"),
          })),
          options.batchSize,
        );
        if (res.some((r) => r === null)) tooLong = true;
        return res.map((r) => (r ? r.logprobs.reduce((a, b) => a + b, 0) : 0));
      },
      {
        budget: options.exchangeabilityBudget,
        seed: options.seed,
        ...(options.exchangeabilityShards === undefined ? {} : { shards: options.exchangeabilityShards }),
      },
    );
    if (tooLong) exchangeability = null;
  }

  return {
    settings: {
      minK: options.minK,
      cdd: { ...options.cdd, units: useTokens ? "tokens" : "words" },
      exchangeability: { budget: options.exchangeabilityBudget, shards: exchangeability?.shards ?? null },
      seed: options.seed,
      resamples: options.resamples,
      level: options.level,
    },
    likelihood,
    gap,
    cdd: {
      byLabel,
      originalMinusVariants: { ...meanSummary(diffs, options, "cdd.diff"), signTest: signTest(diffs) },
      truncatedLeftOut,
    },
    exchangeability,
    unavailable,
    problems,
  };
}

/** Flat figures for `summary.metrics` (and `--fail-on`), null when not measured. */
export function detectorMetrics(report: DetectorReport): Record<string, number | null> {
  const m: Record<string, number | null> = {};
  for (const [label, s] of Object.entries(report.likelihood ?? {})) {
    m[`detector.min_k.${label}`] = s.minK.mean;
    m[`detector.min_k_pp.${label}`] = s.minKPlusPlus.mean;
    m[`detector.zlib_ratio.${label}`] = s.zlibRatio.mean;
  }
  m["detector.gap"] = report.gap?.all.mean ?? null;
  m["detector.gap_p"] = report.gap ? report.gap.all.signTest.pValue : null;
  for (const [label, s] of Object.entries(report.cdd.byLabel)) {
    m[`detector.cdd_flagged.${label}`] = s.flagged.value;
    m[`detector.cdd_peakedness.${label}`] = s.peakedness.mean;
  }
  m["detector.cdd_diff"] = report.cdd.originalMinusVariants.mean;
  m["detector.exchangeability_p"] = report.exchangeability?.pValue ?? null;
  return Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The number standing for a token key in one CDD computation (first seen, first numbered). */
function intern(vocab: Map<string, number>, key: string): number {
  let id = vocab.get(key);
  if (id === undefined) {
    id = vocab.size;
    vocab.set(key, id);
  }
  return id;
}
