/**
 * Two checkpoints audited on the same problems, compared pair by pair. The runs are not
 * independent samples: the same prompts (variant ids are content-addressed, so an id names the
 * same question in both runs) were answered by both models, and most problems are solved, or
 * missed, by both. A paired test uses that: it looks only at what changed, so it sees a
 * regression of a few points that a comparison of two independent proportions cannot tell from
 * noise.
 *
 * - Greedy accuracy of each label: exact McNemar test over the shared prompts (b = solved by the
 *   baseline only, c = by the current run only).
 * - pass@k of each label, the accuracy drop of each probe and the stale-answer rate: a paired
 *   bootstrap over problems (each resample draws problems with replacement and recomputes both
 *   runs' figures on the same draw), percentile interval of current - baseline, two-sided p from
 *   the share of resampled differences on either side of zero.
 * A figure regresses when it moves in the bad direction with p < alpha.
 */
import { createRng, deriveSeed } from "../util/rng.js";
import { passAtK } from "./pass-at-k.js";
import { mcnemarExact } from "./stats.js";

/** One prompt's results in one run. */
export interface UnitOutcome {
  problemId: string;
  /** The variant id, or `<problemId>/original`. */
  unit: string;
  /** `original` or the probe. */
  label: string;
  answerChanged: boolean;
  /** Greedy correctness (null: no greedy completion stored). */
  greedy: boolean | null;
  /** Correctness of each sample. */
  samples: boolean[];
  /** Completions (greedy and samples) that gave the original answer to an answer-changing variant. */
  stale: number;
  /** Completions of this unit (greedy and samples). */
  completions: number;
}

export interface CompareOptions {
  alpha: number;
  resamples: number;
  seed: number;
  level: number;
  /** pass@k columns to compare (each at most both runs' samples per prompt). */
  ks: readonly number[];
}

export interface FigureComparison {
  metric: string;
  baseline: number;
  current: number;
  /** current - baseline. */
  diff: number;
  /** Interval of the difference (paired bootstrap), null for McNemar figures. */
  ci: [number, number] | null;
  p: number;
  test: "mcnemar" | "paired-bootstrap";
  /** McNemar's discordant pairs: solved by the baseline only (b), by the current run only (c). */
  discordant?: { b: number; c: number };
  higherIsWorse: boolean;
  regression: boolean;
  /** Prompts (McNemar) or problems (bootstrap) the figure was computed on. */
  n: number;
}

export interface CheckpointComparison {
  /** Problems and prompts both runs hold. */
  shared: { problems: number; units: number };
  onlyBaseline: { problems: number; units: number };
  onlyCurrent: { problems: number; units: number };
  figures: FigureComparison[];
}

/** Per problem: the figure's numerator and denominator in each run (a ratio of sums over problems). */
interface Cluster {
  cur: [number, number];
  base: [number, number];
}

export function compareCheckpoints(
  baseline: readonly UnitOutcome[],
  current: readonly UnitOutcome[],
  options: CompareOptions,
): CheckpointComparison {
  const baseByUnit = new Map(baseline.map((u) => [u.unit, u]));
  const curByUnit = new Map(current.map((u) => [u.unit, u]));
  const pairs = current
    .filter((u) => baseByUnit.has(u.unit))
    .map((u) => ({ cur: u, base: baseByUnit.get(u.unit) as UnitOutcome }));
  const problems = (units: Iterable<{ problemId: string }>) =>
    new Set([...units].map((u) => u.problemId)).size;
  const sharedProblems = problems(pairs.map((p) => p.cur));
  const onlyBase = baseline.filter((u) => !curByUnit.has(u.unit));
  const onlyCur = current.filter((u) => !baseByUnit.has(u.unit));

  const labels = [...new Set(pairs.map((p) => p.cur.label))].sort((a, b) =>
    a === "original" ? -1 : b === "original" ? 1 : a < b ? -1 : a > b ? 1 : 0,
  );
  const figures: FigureComparison[] = [];
  for (const label of labels) {
    const inLabel = pairs.filter(
      (p) => p.cur.label === label && p.cur.greedy !== null && p.base.greedy !== null,
    );
    if (inLabel.length > 0) figures.push(mcnemarFigure(`accuracy.${label}`, inLabel, options.alpha));
    for (const k of options.ks) {
      const usable = pairs.filter(
        (p) => p.cur.label === label && p.cur.samples.length >= k && p.base.samples.length >= k,
      );
      if (usable.length === 0) continue;
      const value = (u: UnitOutcome) => passAtK(u.samples.length, u.samples.filter(Boolean).length, k);
      figures.push(
        bootstrapFigure(
          `pass@${k}.${label}`,
          clusters(usable, (p) => ({ cur: [value(p.cur), 1], base: [value(p.base), 1] })),
          false,
          options,
        ),
      );
    }
  }
  // Drops: per problem, original greedy correctness minus the mean over its variants of the probe,
  // in each run, over the problems both runs hold with that probe's variants and their original.
  for (const probe of labels.filter((l) => l !== "original")) {
    const byProblem = new Map<string, Cluster>();
    const originals = new Map(
      pairs
        .filter((p) => p.cur.label === "original" && p.cur.greedy !== null && p.base.greedy !== null)
        .map((p) => [p.cur.problemId, p]),
    );
    const grouped = groupBy(
      pairs.filter((p) => p.cur.label === probe && p.cur.greedy !== null && p.base.greedy !== null),
      (p) => p.cur.problemId,
    );
    for (const [problemId, variants] of grouped) {
      const original = originals.get(problemId);
      if (!original) continue;
      const mean = (xs: boolean[]) => xs.filter(Boolean).length / xs.length;
      const curDrop = Number(original.cur.greedy) - mean(variants.map((v) => v.cur.greedy as boolean));
      const baseDrop = Number(original.base.greedy) - mean(variants.map((v) => v.base.greedy as boolean));
      byProblem.set(problemId, { cur: [curDrop, 1], base: [baseDrop, 1] });
    }
    if (byProblem.size > 0)
      figures.push(bootstrapFigure(`drop.${probe}`, [...byProblem.values()], true, options));
  }
  const staleUnits = pairs.filter(
    (p) => p.cur.answerChanged && p.cur.completions > 0 && p.base.completions > 0,
  );
  if (staleUnits.length > 0) {
    figures.push(
      bootstrapFigure(
        "stale_rate",
        clusters(staleUnits, (p) => ({
          cur: [p.cur.stale, p.cur.completions],
          base: [p.base.stale, p.base.completions],
        })),
        true,
        options,
      ),
    );
  }
  return {
    shared: { problems: sharedProblems, units: pairs.length },
    onlyBaseline: { problems: problems(onlyBase), units: onlyBase.length },
    onlyCurrent: { problems: problems(onlyCur), units: onlyCur.length },
    figures,
  };
}

type Pair = { cur: UnitOutcome; base: UnitOutcome };

function mcnemarFigure(metric: string, pairs: readonly Pair[], alpha: number): FigureComparison {
  let b = 0;
  let c = 0;
  let curRight = 0;
  let baseRight = 0;
  for (const { cur, base } of pairs) {
    if (cur.greedy) curRight++;
    if (base.greedy) baseRight++;
    if (base.greedy && !cur.greedy) b++;
    if (!base.greedy && cur.greedy) c++;
  }
  const current = curRight / pairs.length;
  const baseline = baseRight / pairs.length;
  const p = mcnemarExact(b, c);
  return {
    metric,
    baseline,
    current,
    diff: current - baseline,
    ci: null,
    p,
    test: "mcnemar",
    discordant: { b, c },
    higherIsWorse: false,
    regression: b > c && p < alpha,
    n: pairs.length,
  };
}

/** Sums each problem's units into one cluster. */
function clusters(pairs: readonly Pair[], value: (p: Pair) => Cluster): Cluster[] {
  const byProblem = new Map<string, Cluster>();
  for (const p of pairs) {
    const v = value(p);
    const c = byProblem.get(p.cur.problemId) ?? { cur: [0, 0], base: [0, 0] };
    byProblem.set(p.cur.problemId, {
      cur: [c.cur[0] + v.cur[0], c.cur[1] + v.cur[1]],
      base: [c.base[0] + v.base[0], c.base[1] + v.base[1]],
    });
  }
  return [...byProblem.values()];
}

function bootstrapFigure(
  metric: string,
  data: readonly Cluster[],
  higherIsWorse: boolean,
  options: CompareOptions,
): FigureComparison {
  const ratio = (xs: readonly Cluster[], side: "cur" | "base") => {
    let num = 0;
    let den = 0;
    for (const x of xs) {
      num += x[side][0];
      den += x[side][1];
    }
    return den === 0 ? 0 : num / den;
  };
  const current = ratio(data, "cur");
  const baseline = ratio(data, "base");
  const diff = current - baseline;
  // One generator per figure, seeded by its name: adding a figure changes no other's interval.
  const rng = createRng(deriveSeed(options.seed, "checkpoint", metric));
  const n = data.length;
  const diffs = new Float64Array(options.resamples);
  const draw: Cluster[] = new Array(n);
  for (let r = 0; r < options.resamples; r++) {
    for (let i = 0; i < n; i++) draw[i] = data[Math.floor(rng.next() * n)] as Cluster;
    diffs[r] = ratio(draw, "cur") - ratio(draw, "base");
  }
  diffs.sort();
  const a = 1 - options.level;
  const lo = diffs[Math.min(options.resamples - 1, Math.floor((options.resamples * a) / 2))] as number;
  const hi = diffs[Math.max(0, Math.ceil(options.resamples * (1 - a / 2)) - 1)] as number;
  let atOrBelow = 0;
  let atOrAbove = 0;
  for (const d of diffs) {
    if (d <= 0) atOrBelow++;
    if (d >= 0) atOrAbove++;
  }
  const p = Math.min(1, (2 * Math.min(atOrBelow, atOrAbove)) / options.resamples);
  const worse = higherIsWorse ? diff > 0 : diff < 0;
  return {
    metric,
    baseline,
    current,
    diff,
    ci: [lo, hi],
    p,
    test: "paired-bootstrap",
    higherIsWorse,
    regression: worse && p < options.alpha,
    n,
  };
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k) ?? [];
    list.push(item);
    out.set(k, list);
  }
  return out;
}
