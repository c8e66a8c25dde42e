/**
 * Whether an answer-changing variant can tell a memorized answer from a rounded one. The stale rate
 * (src/metrics/stale.ts) counts a completion that gives the original answer on a variant as
 * memorized; where the original answer is also what the new answer becomes when a model rounds it
 * or drops its cents ($693.50 -> 694; 6.75 -> 6.7), such a completion is no evidence
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

/** At a scale of 10^places: floor, ceil and truncation there (round is Rational.roundTo). */
function atPlaces(places: number, whole: (v: Rational) => Rational): (v: Rational) => Rational {
  const scale = Rational.of(10n ** BigInt(places));
  return (v) => whole(v.mul(scale)).div(scale);
}

const towardZero = (v: Rational): Rational => (v.isNegative() ? v.ceil() : v.floor());

/**
 * The ways a model may shorten a fractional answer: to a whole number, to tenths or to cents, by
 * rounding half away from zero, floor, ceiling or truncation ($693.50 -> 694 or 693; 6.75 -> 6.7).
 */
const ROUNDINGS: ReadonlyArray<readonly [string, (v: Rational) => Rational]> = [0, 1, 2].flatMap(
  (places) =>
    [
      [`round to ${places} places`, (v: Rational) => v.roundTo(places)],
      [`floor to ${places} places`, atPlaces(places, (v) => v.floor())],
      [`ceil to ${places} places`, atPlaces(places, (v) => v.ceil())],
      [`truncate to ${places} places`, atPlaces(places, towardZero)],
    ] as const,
);

/*
 * Only roundings: a completion giving exactly the original answer where the new one differs by
 * something no rounding removes ($6.70 for $6.80) is the stale evidence the metric is for, and a
 * rule of "within one" would refuse every variant of a problem whose answers are below one.
 */
export const STALE_EVIDENCE_RULES: readonly StaleEvidenceRule[] = [
  {
    code: "original_answer_is_a_rounding",
    description:
      "the original answer is the new one rounded, floored, ceiled or truncated to a whole number, tenths or hundredths",
    ambiguous: (original, expected) => ROUNDINGS.some(([, round]) => round(expected).equals(original)),
  },
];

/** The code of the first rule that makes this answer change ambiguous stale evidence, or null. */
export function ambiguousStaleEvidence(original: Rational, expected: Rational): string | null {
  if (original.equals(expected)) return null; // `same_answer` is the guards' own refusal
  return STALE_EVIDENCE_RULES.find((rule) => rule.ambiguous(original, expected))?.code ?? null;
}
