import { sameNumber } from "../extract/numbers.js";
import type { ScoredCompletion, Verdict } from "../types/audit.js";

/**
 * Thresholds of the per-problem verdicts. Accuracies pool a unit's greedy completion and its
 * samples (the greedy one counts as one more completion).
 */
export interface VerdictThresholds {
  /** The original is solved when its accuracy is at least this. */
  solvedMinAccuracy: number;
  /** Memorized needs at least this share of answer-changing completions to give the original answer. */
  memorizedMinStaleShare: number;
  /** An answer-preserving variant failed when its accuracy is below this. */
  variantFailBelow: number;
}

export const DEFAULT_THRESHOLDS: Readonly<VerdictThresholds> = {
  solvedMinAccuracy: 0.5,
  memorizedMinStaleShare: 0.5,
  variantFailBelow: 0.5,
};

export interface ProblemVerdict {
  problemId: string;
  verdict: Verdict;
  /** null when the problem has no original completion (then it is `unsolved`). */
  originalAccuracy: number | null;
  /** Stale share over its answer-changing completions; null when it has none. */
  staleShare: number | null;
  /** Answer-preserving variants that failed, by id. */
  failedVariants: string[];
  /**
   * The contamination detectors' evidence flags for this problem (`likelihood-gap`, `min-k++-top`,
   * `cdd-peaked`), when the detectors ran; they corroborate `memorized` and decide `suspect`.
   */
  evidence?: string[];
}

/** Detector flags a solved, not behaviourally memorized problem needs to be `suspect`. */
export const SUSPECT_MIN_EVIDENCE = 2;

/** Every verdict at 0, in the order the report lists them. */
export function emptyVerdictCounts(): Record<Verdict, number> {
  return { memorized: 0, suspect: 0, fragile: 0, robust: 0, unsolved: 0 };
}

/**
 * The verdicts once the contamination detectors have run (`evidenceByProblem`: each problem's
 * evidence flags; see src/detectors/README.md). Every verdict records its problem's flags. A
 * problem whose verdict is `fragile` or `robust` (solved, and its answer-changing variants do not
 * get the stale answer) becomes `suspect` when at least `minEvidence` independent flags say the
 * model treats the original text as seen: more likely than every neighbour, peaked samples. The
 * behavioural verdicts `unsolved` and `memorized` never change: the detectors add evidence to a
 * `memorized` verdict (its flags) but cannot overrule what the answers show.
 */
export function withDetectorEvidence(
  verdicts: readonly ProblemVerdict[],
  evidenceByProblem: ReadonlyMap<string, readonly string[]>,
  minEvidence = SUSPECT_MIN_EVIDENCE,
): ProblemVerdict[] {
  return verdicts.map((v) => {
    const evidence = [...(evidenceByProblem.get(v.problemId) ?? [])];
    const suspect = (v.verdict === "fragile" || v.verdict === "robust") && evidence.length >= minEvidence;
    return { ...v, verdict: suspect ? "suspect" : v.verdict, evidence };
  });
}

/** Problems per verdict. */
export function countVerdicts(verdicts: readonly ProblemVerdict[]): Record<Verdict, number> {
  const counts = emptyVerdictCounts();
  for (const v of verdicts) counts[v.verdict]++;
  return counts;
}

/**
 * One problem's verdict from its answers alone, first that applies (withDetectorEvidence then adds
 * `suspect` when the detectors ran):
 * 1. `unsolved`: original accuracy below solvedMinAccuracy (or no original completion);
 * 2. `memorized`: the stale answer dominates its answer-changing variants, i.e. its share is at
 *    least memorizedMinStaleShare and more completions give it than the new correct answer;
 * 3. `fragile`: some answer-preserving variant's accuracy is below variantFailBelow;
 * 4. `robust`.
 */
export function problemVerdict(
  problemId: string,
  completions: readonly ScoredCompletion[],
  thresholds: VerdictThresholds = DEFAULT_THRESHOLDS,
): ProblemVerdict {
  const mine = completions.filter((c) => c.problemId === problemId);
  const original = mine.filter((c) => c.variantId === null);
  const originalAccuracy = original.length === 0 ? null : share(original, (c) => c.correct);
  const changing = mine.filter((c) => c.variantId !== null && c.answerChanged);
  const staleShare =
    changing.length === 0 ? null : share(changing, (c) => sameNumber(c.answer, c.originalAnswer));
  const correctShare = changing.length === 0 ? 0 : share(changing, (c) => c.correct);
  const byVariant = new Map<string, ScoredCompletion[]>();
  for (const c of mine) {
    if (c.variantId === null || c.answerChanged) continue;
    const list = byVariant.get(c.variantId) ?? [];
    list.push(c);
    byVariant.set(c.variantId, list);
  }
  const failedVariants = [...byVariant]
    .filter(([, list]) => share(list, (c) => c.correct) < thresholds.variantFailBelow)
    .map(([id]) => id);
  let verdict: Verdict;
  if (originalAccuracy === null || originalAccuracy < thresholds.solvedMinAccuracy) verdict = "unsolved";
  else if (
    staleShare !== null &&
    staleShare >= thresholds.memorizedMinStaleShare &&
    staleShare > correctShare
  )
    verdict = "memorized";
  else if (failedVariants.length > 0) verdict = "fragile";
  else verdict = "robust";
  return { problemId, verdict, originalAccuracy, staleShare, failedVariants };
}

/** Verdicts of every problem, in order of first appearance. */
export function problemVerdicts(
  completions: readonly ScoredCompletion[],
  thresholds: VerdictThresholds = DEFAULT_THRESHOLDS,
): ProblemVerdict[] {
  const groups = new Map<string, ScoredCompletion[]>();
  for (const c of completions) {
    const list = groups.get(c.problemId) ?? [];
    list.push(c);
    groups.set(c.problemId, list);
  }
  return [...groups].map(([id, list]) => problemVerdict(id, list, thresholds));
}

/** Checks user-supplied thresholds: each must be a number in [0, 1]. */
export function checkThresholds(t: VerdictThresholds): string | null {
  for (const [name, value] of Object.entries(t)) {
    if (typeof value !== "number" || !(value >= 0 && value <= 1))
      return `${name} must be in [0, 1], got ${value}`;
  }
  return null;
}

function share<T>(items: readonly T[], pred: (item: T) => boolean): number {
  return items.filter(pred).length / items.length;
}
