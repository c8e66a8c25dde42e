/**
 * Whether an answer-changing variant can tell a memorized answer from a rounded one. The stale rate
 * (src/metrics/stale.ts) counts a completion that gives the original answer on a variant as
 * memorized; where the original answer is also what the new answer becomes when a model rounds it
 * or drops its cents ($693.50 -> 694), or lies within one of it, such a completion is no evidence
 * of memorization. These rules, as data, refuse such variants in every answer-changing probe
 * (through `tryReplacement`), each counted by its code in `litmus perturb --stats`
 * (`refused_candidates`).
 */
import { Rational } from "../perturb/index.js";

export interface StaleEvidenceRule {
  code: string;
  description: string;
  /** Whether a completion giving `original` on a variant whose answer is `expected` is ambiguous. */
  ambiguous: (original: Rational, expected: Rational) => boolean;
}

/** The ways a model may make a whole number of a fractional answer. */
const ROUNDINGS: ReadonlyArray<readonly [string, (v: Rational) => Rational]> = [
  ["round half away from zero", (v) => v.roundTo(0)],
  ["floor", (v) => v.floor()],
  ["ceil", (v) => v.ceil()],
  ["truncate toward zero", (v) => (v.isNegative() ? v.ceil() : v.floor())],
];

export const STALE_EVIDENCE_RULES: readonly StaleEvidenceRule[] = [
  {
    code: "original_answer_is_a_rounding",
    description: `the original answer is the new one rounded (${ROUNDINGS.map(([name]) => name).join(", ")})`,
    ambiguous: (original, expected) => ROUNDINGS.some(([, round]) => round(expected).equals(original)),
  },
  {
    code: "answer_within_one",
    description: "the new answer lies within one of the original (a slip or a rounding away)",
    ambiguous: (original, expected) => {
      const gap = expected.sub(original);
      return (gap.isNegative() ? gap.neg() : gap).compare(Rational.ONE) < 0;
    },
  },
];

/** The code of the first rule that makes this answer change ambiguous stale evidence, or null. */
export function ambiguousStaleEvidence(original: Rational, expected: Rational): string | null {
  if (original.equals(expected)) return null; // `same_answer` is the guards' own refusal
  return STALE_EVIDENCE_RULES.find((rule) => rule.ambiguous(original, expected))?.code ?? null;
}
