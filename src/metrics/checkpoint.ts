/**
 * Two checkpoints audited on the same problems, compared pair by pair. The runs are not
 * independent samples: the same prompts (variant ids are content-addressed, so an id names the
 * same question in both runs) were answered by both models, and most problems are solved, or
 * missed, by both. A paired test uses that: it looks only at what changed, so it sees a
 * regression of a few points that a comparison of two independent proportions cannot tell from
 * noise.
 *
 * Every figure is a mean over problems of a per-problem value in each run (a problem's several
 * variants are not independent, so the problem is the unit):
 * - greedy accuracy of the originals: exact McNemar test (one prompt per problem; b = solved by
 *   the baseline only, c = by the current run only);
 * - greedy accuracy of each probe's variants, pass@k of each label, the accuracy drop of each
 *   probe and the stale share (per problem, the share of its answer-changing completions that
 *   give the original answer): a sign-flip permutation test on the per-problem differences
 *   (exact in spirit for few problems: one problem can never be significant), with a paired
 *   bootstrap interval of the difference for the reader.
 * The p-values of all figures are adjusted together (Holm), so comparing some thirty figures does
 * not raise the chance of a false alarm; a figure regresses when it moves in the bad direction
 * and its adjusted p < alpha.
 */
import { createRng, deriveSeed } from "../util/rng.js";
import { bootstrapMeanInterval } from "./bootstrap.js";
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
  /** Paired bootstrap interval of the difference (null for the McNemar figure). */
  ci: [number, number] | null;
  /** The test's own p-value. */
  p: number;
  /** p adjusted over all figures of the comparison (Holm); a regression needs it below alpha. */
  adjustedP: number;
  test: "mcnemar" | "sign-flip";
  /** McNemar's discordant pairs: solved by the baseline only (b), by the current run only (c). */
  discordant?: { b: number; c: number };
  higherIsWorse: boolean;
  regression: boolean;
  /** Problems the figure was computed on. */
  n: number;
}

export interface CheckpointComparison {
  /** Problems and prompts both runs hold. */
  shared: { problems: number; units: number };
  onlyBaseline: { problems: number; units: number };
  onlyCurrent: { problems: number; units: number };
  figures: FigureComparison[];
}

type Pair = { cur: UnitOutcome; base: UnitOutcome };
/** A figure's per-problem values in each run. */
type ProblemValues = Array<{ cur: number; base: number }>;

export function compareCheckpoints(
  baseline: readonly UnitOutcome[],
  current: readonly UnitOutcome[],
  options: CompareOptions,
): CheckpointComparison {
  const baseByUnit = new Map(baseline.map((u) => [u.unit, u]));
  const curByUnit = new Map(current.map((u) => [u.unit, u]));
  const pairs: Pair[] = current
    .filter((u) => baseByUnit.has(u.unit))
    .map((u) => ({ cur: u, base: baseByUnit.get(u.unit) as UnitOutcome }));
  const problems = (units: Iterable<{ problemId: string }>) =>
    new Set([...units].map((u) => u.problemId)).size;
  const onlyBase = baseline.filter((u) => !curByUnit.has(u.unit));
  const onlyCur = current.filter((u) => !baseByUnit.has(u.unit));

  const labels = [...new Set(pairs.map((p) => p.cur.label))].sort((a, b) =>
    a === "original" ? -1 : b === "original" ? 1 : a < b ? -1 : a > b ? 1 : 0,
  );
  const greedyPairs = pairs.filter((p) => p.cur.greedy !== null && p.base.greedy !== null);
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const raw: Array<Omit<FigureComparison, "adjustedP" | "regression">> = [];
  for (const label of labels) {
    const inLabel = greedyPairs.filter((p) => p.cur.label === label);
    if (inLabel.length > 0) {
      raw.push(
        label === "original"
          ? mcnemarFigure(inLabel)
          : signFlipFigure(
              `accuracy.${label}`,
              perProblem(inLabel, (u) => Number(u.greedy)),
              false,
              options,
            ),
      );
    }
    for (const k of options.ks) {
      const usable = pairs.filter(
        (p) => p.cur.label === label && p.cur.samples.length >= k && p.base.samples.length >= k,
      );
      if (usable.length === 0) continue;
      const value = (u: UnitOutcome) => passAtK(u.samples.length, u.samples.filter(Boolean).length, k);
      raw.push(signFlipFigure(`pass@${k}.${label}`, perProblem(usable, value), false, options));
    }
  }
  // Drops: per problem, original greedy correctness minus the mean over its variants of the probe.
  const originals = new Map(
    greedyPairs.filter((p) => p.cur.label === "original").map((p) => [p.cur.problemId, p]),
  );
  for (const probe of labels.filter((l) => l !== "original")) {
    const values: ProblemValues = [];
    for (const [problemId, variants] of groupBy(
      greedyPairs.filter((p) => p.cur.label === probe),
      (p) => p.cur.problemId,
    )) {
      const original = originals.get(problemId);
      if (!original) continue;
      const drop = (side: "cur" | "base") =>
        Number(original[side].greedy) - mean(variants.map((v) => Number(v[side].greedy)));
      values.push({ cur: drop("cur"), base: drop("base") });
    }
    if (values.length > 0) raw.push(signFlipFigure(`drop.${probe}`, values, true, options));
  }
  const staleUnits = pairs.filter(
    (p) => p.cur.answerChanged && p.cur.completions > 0 && p.base.completions > 0,
  );
  const staleShares = (units: readonly Pair[]): ProblemValues =>
    [...groupBy(units, (p) => p.cur.problemId).values()].map((group) => {
      const share = (side: "cur" | "base") =>
        group.reduce((a, u) => a + u[side].stale, 0) / group.reduce((a, u) => a + u[side].completions, 0);
      return { cur: share("cur"), base: share("base") };
    });
  if (staleUnits.length > 0) raw.push(signFlipFigure("stale_share", staleShares(staleUnits), true, options));
  for (const probe of labels.filter((l) => l !== "original")) {
    const inProbe = staleUnits.filter((p) => p.cur.label === probe);
    if (inProbe.length > 0)
      raw.push(signFlipFigure(`stale_share.${probe}`, staleShares(inProbe), true, options));
  }
  const adjusted = holm(raw.map((f) => f.p));
  return {
    shared: { problems: problems(pairs.map((p) => p.cur)), units: pairs.length },
    onlyBaseline: { problems: problems(onlyBase), units: onlyBase.length },
    onlyCurrent: { problems: problems(onlyCur), units: onlyCur.length },
    figures: raw.map((f, i) => {
      const adjustedP = adjusted[i] as number;
      const worse = f.higherIsWorse ? f.diff > 0 : f.diff < 0;
      return { ...f, adjustedP, regression: worse && adjustedP < options.alpha };
    }),
  };
}

/** Each problem's mean of `value` over its prompts, in each run. */
function perProblem(pairs: readonly Pair[], value: (u: UnitOutcome) => number): ProblemValues {
  return [...groupBy(pairs, (p) => p.cur.problemId).values()].map((units) => ({
    cur: units.reduce((a, u) => a + value(u.cur), 0) / units.length,
    base: units.reduce((a, u) => a + value(u.base), 0) / units.length,
  }));
}

function mcnemarFigure(pairs: readonly Pair[]): Omit<FigureComparison, "adjustedP" | "regression"> {
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
  return {
    metric: "accuracy.original",
    baseline,
    current,
    diff: current - baseline,
    ci: null,
    p: mcnemarExact(b, c),
    test: "mcnemar",
    discordant: { b, c },
    higherIsWorse: false,
    n: pairs.length,
  };
}

/**
 * Mean per-problem difference, its sign-flip permutation p-value (each resample flips the sign of
 * every problem's difference at random; p = (1 + #|mean| >= observed) / (1 + resamples)) and a
 * paired bootstrap percentile interval.
 */
function signFlipFigure(
  metric: string,
  values: ProblemValues,
  higherIsWorse: boolean,
  options: CompareOptions,
): Omit<FigureComparison, "adjustedP" | "regression"> {
  const n = values.length;
  const d = values.map((v) => v.cur - v.base);
  const sum = (xs: ArrayLike<number>) => {
    let t = 0;
    for (let i = 0; i < xs.length; i++) t += xs[i] as number;
    return t;
  };
  const current = sum(values.map((v) => v.cur)) / n;
  const baseline = sum(values.map((v) => v.base)) / n;
  const observed = Math.abs(sum(d));
  // One generator per figure, seeded by its name: adding a figure changes no other's result.
  const rng = createRng(deriveSeed(options.seed, "checkpoint", metric));
  let extreme = 0;
  for (let r = 0; r < options.resamples; r++) {
    let t = 0;
    for (let i = 0; i < n; i++) t += rng.next() < 0.5 ? -(d[i] as number) : (d[i] as number);
    if (Math.abs(t) >= observed - 1e-12) extreme++;
  }
  const p = (1 + extreme) / (1 + options.resamples);
  const ci = bootstrapMeanInterval(d, {
    resamples: options.resamples,
    seed: deriveSeed(options.seed, "checkpoint-interval", metric),
    level: options.level,
  });
  return {
    metric,
    baseline,
    current,
    diff: current - baseline,
    ci,
    p,
    test: "sign-flip",
    higherIsWorse,
    n,
  };
}

/** Holm's step-down adjustment: adjusted p_(i) = max over j <= i of min(1, (m - j) p_(j)). */
export function holm(ps: readonly number[]): number[] {
  const order = ps.map((p, i) => [p, i] as const).sort((x, y) => x[0] - y[0]);
  const out = new Array<number>(ps.length);
  let running = 0;
  order.forEach(([p, i], rank) => {
    running = Math.max(running, Math.min(1, (ps.length - rank) * p));
    out[i] = running;
  });
  return out;
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
