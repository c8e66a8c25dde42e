import { normalizeNumber, sameNumber } from "../extract/numbers.js";
import type { Proportion, ScoredCompletion } from "../types/audit.js";
import { proportion } from "./stats.js";

export interface StaleRate {
  /** Share of completions on answer-changing variants that give the problem's original answer. */
  rate: Proportion;
  /**
   * The rate expected by coincidence: for each of those completions, how often the model gives its
   * problem's original answer on other problems' answer-changing variants; averaged over the
   * completions. Null when no comparison is possible.
   */
  baseline: number | null;
  /** rate / baseline, or null when either is missing or the baseline is 0. */
  lift: number | null;
}

/**
 * Stale-answer rate with a Wilson interval and a chance baseline. Only completions on variants with
 * `answerChanged` count. For the baseline of a problem with original answer `a`, the other
 * completions qualify when their own problem's original answer is not `a` (that would be a stale
 * answer there, not chance) and their expected answer is not `a` (that would be a correct one).
 */
export function staleAnswerRate(completions: readonly ScoredCompletion[], level = 0.95): StaleRate {
  const pool = completions.filter((c) => c.variantId !== null && c.answerChanged);
  let stale = 0;
  for (const c of pool) if (sameNumber(c.answer, c.originalAnswer)) stale++;

  // Counts keyed by canonical value, so the baseline is O(completions) rather than quadratic:
  // qualifying(a) = N - #orig=a - #exp=a + #orig=a&exp=a, and the same with the answer fixed to a.
  const counts = new Map<string, number>();
  const bump = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  for (const c of pool) {
    const o = key(c.originalAnswer);
    const e = key(c.expected);
    const a = c.answer === null ? null : key(c.answer);
    bump(`O ${o}`);
    bump(`E ${e}`);
    if (o === e) bump(`OE ${o}`);
    if (a === null) continue;
    bump(`A ${a}`);
    if (a === o) bump(`AO ${a}`);
    if (a === e) bump(`AE ${a}`);
    if (a === o && a === e) bump(`AOE ${a}`);
  }
  const get = (k: string) => counts.get(k) ?? 0;
  let chanceSum = 0;
  let chanceCount = 0;
  for (const c of pool) {
    const a = key(c.originalAnswer);
    const qualifying = pool.length - get(`O ${a}`) - get(`E ${a}`) + get(`OE ${a}`);
    if (qualifying === 0) continue;
    const giving = get(`A ${a}`) - get(`AO ${a}`) - get(`AE ${a}`) + get(`AOE ${a}`);
    chanceSum += giving / qualifying;
    chanceCount++;
  }
  const rate = proportion(stale, pool.length, level);
  const baseline = chanceCount === 0 ? null : chanceSum / chanceCount;
  const lift = rate.value === null || baseline === null || baseline === 0 ? null : rate.value / baseline;
  return { rate, baseline, lift };
}

function key(answer: string): string {
  return normalizeNumber(answer) ?? answer;
}
