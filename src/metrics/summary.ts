import type { Proportion, ScoredCompletion, Verdict } from "../types/audit.js";
import { deriveSeed } from "../util/rng.js";
import { type BootstrapOptions, bootstrapMeanInterval, DEFAULT_RESAMPLES } from "./bootstrap.js";
import { type PairedDrop, type PairedUnit, pairedAccuracyDrop } from "./paired.js";
import { passAtK } from "./pass-at-k.js";
import { type StaleRate, staleAnswerRate } from "./stale.js";
import { proportion } from "./stats.js";
import {
  countVerdicts,
  DEFAULT_THRESHOLDS,
  type ProblemVerdict,
  problemVerdicts,
  type VerdictThresholds,
} from "./verdicts.js";

/** The probe label of original (unperturbed) problems. */
export const ORIGINAL = "original";

/** Tier 2: one prompt (the original or one variant) reduced over its greedy and sampled completions. */
export interface UnitSummary {
  problemId: string;
  variantId: string | null;
  probe: string;
  /** null when the unit has no greedy completion. */
  greedyCorrect: boolean | null;
  samples: number;
  correctSamples: number;
  /** pass@k for every k = 1..samples, keyed by k. */
  passAtK: Record<string, number>;
}

/** Groups scored completions by (problem, variant) and reduces each group. */
export function summarizeUnits(completions: readonly ScoredCompletion[]): UnitSummary[] {
  const units = new Map<string, UnitSummary>();
  for (const c of completions) {
    const key = `${c.problemId}\u0000${c.variantId ?? ""}`;
    let unit = units.get(key);
    if (!unit) {
      unit = {
        problemId: c.problemId,
        variantId: c.variantId,
        probe: c.probe,
        greedyCorrect: null,
        samples: 0,
        correctSamples: 0,
        passAtK: {},
      };
      units.set(key, unit);
    }
    if (c.sampleIndex === null) unit.greedyCorrect = c.correct;
    else {
      unit.samples++;
      if (c.correct) unit.correctSamples++;
    }
  }
  for (const unit of units.values()) {
    for (let k = 1; k <= unit.samples; k++) unit.passAtK[k] = passAtK(unit.samples, unit.correctSamples, k);
  }
  return [...units.values()];
}

/** A mean over problems with its bootstrap interval. */
export interface MeanWithInterval {
  value: number | null;
  ci: [number, number] | null;
  /** Problems it averages over. */
  problems: number;
}

/** Tier 3: one probe (or the originals) over the data set. */
export interface ProbeSummary {
  probe: string;
  problems: number;
  units: number;
  /** Greedy accuracy over units, with a Wilson interval. */
  greedyAccuracy: Proportion;
  /** pass@k (k from the requested list, where units have that many samples), averaged per problem then over problems. */
  passAtK: Record<string, MeanWithInterval>;
  /** Drop from the originals, paired by problem; null for the originals themselves. */
  drop: PairedDrop | null;
  /** Stale-answer rate; null for the originals and for answer-preserving probes. */
  stale: StaleRate | null;
}

export interface DatasetSummary {
  /** The originals first, then probes by name. */
  probes: ProbeSummary[];
  /** Stale-answer rate over all answer-changing probes together. */
  stale: StaleRate;
  verdictCounts: Record<Verdict, number>;
  verdicts: ProblemVerdict[];
  thresholds: VerdictThresholds;
  bootstrap: { resamples: number; seed: number; level: number };
}

export interface SummaryOptions {
  ks: readonly number[];
  bootstrap: BootstrapOptions;
  thresholds?: VerdictThresholds;
}

/**
 * Every data-set figure from the stored completions. Each interval draws from its own seed,
 * derived from the bootstrap seed and the figure's name, so adding a probe changes no other figure.
 */
export function summarizeDataset(
  completions: readonly ScoredCompletion[],
  options: SummaryOptions,
): DatasetSummary {
  const level = options.bootstrap.level ?? 0.95;
  const resamples = options.bootstrap.resamples ?? DEFAULT_RESAMPLES;
  const seed = options.bootstrap.seed;
  const thresholds = options.thresholds ?? DEFAULT_THRESHOLDS;
  const units = summarizeUnits(completions);
  const byProbe = new Map<string, UnitSummary[]>();
  for (const u of units) byProbe.set(u.probe, [...(byProbe.get(u.probe) ?? []), u]);
  const originalGreedy = new Map<string, boolean>();
  for (const u of byProbe.get(ORIGINAL) ?? [])
    if (u.greedyCorrect !== null) originalGreedy.set(u.problemId, u.greedyCorrect);

  const names = [...byProbe.keys()].filter((p) => p !== ORIGINAL).sort();
  if (byProbe.has(ORIGINAL)) names.unshift(ORIGINAL);
  const probes = names.map((probe): ProbeSummary => {
    const list = byProbe.get(probe) as UnitSummary[];
    const greedy = list.filter((u) => u.greedyCorrect !== null);
    const problems = new Set(list.map((u) => u.problemId));
    const passAtKOut: Record<string, MeanWithInterval> = {};
    for (const k of options.ks) {
      const perProblem = meanByProblem(
        list.filter((u) => u.samples >= k).map((u) => [u.problemId, u.passAtK[k] as number]),
      );
      passAtKOut[k] = {
        value: perProblem.length === 0 ? null : mean(perProblem),
        ci: bootstrapMeanInterval(perProblem, {
          resamples,
          level,
          seed: deriveSeed(seed, "pass@k", probe, k),
        }),
        problems: perProblem.length,
      };
    }
    let drop: PairedDrop | null = null;
    let stale: StaleRate | null = null;
    if (probe !== ORIGINAL) {
      const paired = new Map<string, PairedUnit>();
      for (const u of greedy) {
        const original = originalGreedy.get(u.problemId);
        if (original === undefined) continue;
        const unit = paired.get(u.problemId) ?? { problemId: u.problemId, original, variants: [] };
        unit.variants.push(u.greedyCorrect as boolean);
        paired.set(u.problemId, unit);
      }
      drop = pairedAccuracyDrop([...paired.values()], {
        resamples,
        level,
        seed: deriveSeed(seed, "drop", probe),
      });
      const mine = completions.filter((c) => c.probe === probe);
      if (mine.some((c) => c.answerChanged)) stale = staleAnswerRate(mine, level);
    }
    return {
      probe,
      problems: problems.size,
      units: list.length,
      greedyAccuracy: proportion(greedy.filter((u) => u.greedyCorrect).length, greedy.length, level),
      passAtK: passAtKOut,
      drop,
      stale,
    };
  });
  const verdicts = problemVerdicts(completions, thresholds);
  const verdictCounts = countVerdicts(verdicts);
  return {
    probes,
    stale: staleAnswerRate(completions, level),
    verdictCounts,
    verdicts,
    thresholds: { ...thresholds },
    bootstrap: { resamples, seed, level },
  };
}

/** Averages values per problem (a problem's variants weigh as one), in order of first appearance. */
function meanByProblem(pairs: Array<[string, number]>): number[] {
  const sums = new Map<string, [number, number]>();
  for (const [id, v] of pairs) {
    const s = sums.get(id) ?? [0, 0];
    s[0] += v;
    s[1]++;
    sums.set(id, s);
  }
  return [...sums.values()].map(([sum, n]) => sum / n);
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
