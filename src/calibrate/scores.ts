/**
 * The per-problem scores that `litmus calibrate` rates, and how each is read from a run folder
 * (summary.json and samples.jsonl). Every score is oriented so that higher = more likely leaked.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";

export interface ScoreDefinition {
  /** Key in the calibration output (`detectors.<name>`). */
  name: string;
  /** Short label for tables and charts. */
  label: string;
  /** +1: the raw value is used as is (higher = leaked); -1: the raw value is negated. */
  orientation: 1 | -1;
  /** Where the value comes from and what it means. */
  definition: string;
}

/**
 * The seven scores, in table order. None is negated: for each of them a higher raw value already
 * means "more seen" (src/detectors/README.md; litmus's zlib ratio is log-likelihood per zlib byte,
 * the sign-inverse of Carlini et al.'s perplexity / zlib entropy, so it is not negated either).
 */
export const SCORES: readonly ScoreDefinition[] = [
  {
    name: "stale_rate",
    label: "stale-answer rate",
    orientation: 1,
    definition:
      "summary.json verdicts[].stale_share: share of the problem's answer-changing completions " +
      "(number-swap, price-edit variants; greedy and samples pooled) that give the original answer",
  },
  {
    name: "accuracy_drop",
    label: "accuracy drop",
    orientation: 1,
    definition:
      "samples.jsonl: original accuracy minus the mean over the problem's variants of each " +
      "variant's accuracy (all probes; each accuracy pools the greedy completion and the samples, " +
      "as verdicts[].original_accuracy does); a variant is correct when it gives its recomputed answer",
  },
  {
    name: "neighbourhood_gap",
    label: "neighbourhood gap",
    orientation: 1,
    definition:
      "summary.json detectors.problems[].gap: per-token log-likelihood of the original minus the " +
      "mean over its variants",
  },
  {
    name: "min_k",
    label: "Min-K%",
    orientation: 1,
    definition: "detectors.problems[].original.min_k: Min-K% Prob (k = 20%) of question + gold solution",
  },
  {
    name: "min_k_plus_plus",
    label: "Min-K%++",
    orientation: 1,
    definition: "detectors.problems[].original.min_k_plus_plus: Min-K%++ (k = 20%) of the original text",
  },
  {
    name: "zlib_ratio",
    label: "zlib ratio",
    orientation: 1,
    definition:
      "detectors.problems[].original.zlib_ratio: log-likelihood of the original text / its zlib-compressed bytes",
  },
  {
    name: "cdd_peakedness",
    label: "CDD peakedness",
    orientation: 1,
    definition:
      "detectors.problems[].cdd_original.peakedness: share of the original's samples within " +
      "edit distance alpha * length of its greedy completion (needs n >= 1 samples)",
  },
];

/** The parts of summary.json that calibration reads. */
export interface SummaryLike {
  schema?: string;
  manifest?: {
    config?: {
      dataset?: { name?: string; sha256?: string };
      modelFiles?: Record<string, string>;
      selection?: Record<string, unknown>;
    };
  };
  verdicts?: Array<{ problem_id: string; stale_share: number | null; original_accuracy: number | null }>;
  detectors?: {
    problems?: Array<{
      problem_id: string;
      original?: { min_k?: number; min_k_plus_plus?: number; zlib_ratio?: number } | null;
      gap?: number | null;
      cdd_original?: { peakedness?: number } | null;
    }>;
  } | null;
}

/** score name -> problem id -> raw value (null or absent: missing). */
export type ProblemScores = Map<string, Map<string, number | null>>;

/** Per problem: original accuracy minus mean variant accuracy, from samples.jsonl. */
export async function accuracyDrops(samplesPath: string): Promise<Map<string, number | null>> {
  // problem -> unit (null = original) -> [correct, total]
  const counts = new Map<string, Map<string | null, [number, number]>>();
  const lines = createInterface({ input: createReadStream(samplesPath, "utf8"), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === "") continue;
    const row = JSON.parse(line) as { problem_id: string; variant_id: string | null; correct: boolean };
    const units = counts.get(row.problem_id) ?? new Map<string | null, [number, number]>();
    const c = units.get(row.variant_id) ?? [0, 0];
    c[0] += row.correct ? 1 : 0;
    c[1] += 1;
    units.set(row.variant_id, c);
    counts.set(row.problem_id, units);
  }
  const out = new Map<string, number | null>();
  for (const [problem, units] of counts) {
    const original = units.get(null);
    const variants = [...units].filter(([id]) => id !== null).map(([, c]) => c[0] / c[1]);
    out.set(
      problem,
      original && variants.length > 0
        ? original[0] / original[1] - variants.reduce((a, b) => a + b, 0) / variants.length
        : null,
    );
  }
  return out;
}

/** Every score of every problem of a run (raw values, before orientation). */
export function problemScores(summary: SummaryLike, drops: Map<string, number | null>): ProblemScores {
  const scores: ProblemScores = new Map(SCORES.map((s) => [s.name, new Map<string, number | null>()]));
  const put = (name: string, id: string, value: number | null | undefined) =>
    scores.get(name)!.set(id, value ?? null);
  for (const v of summary.verdicts ?? []) put("stale_rate", v.problem_id, v.stale_share);
  for (const [id, d] of drops) put("accuracy_drop", id, d);
  for (const p of summary.detectors?.problems ?? []) {
    put("neighbourhood_gap", p.problem_id, p.gap);
    put("min_k", p.problem_id, p.original?.min_k);
    put("min_k_plus_plus", p.problem_id, p.original?.min_k_plus_plus);
    put("zlib_ratio", p.problem_id, p.original?.zlib_ratio);
    put("cdd_peakedness", p.problem_id, p.cdd_original?.peakedness);
  }
  return scores;
}
