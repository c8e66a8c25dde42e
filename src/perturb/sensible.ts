import type { Execution, Program } from "./program.js";
import type { Rational } from "./rational.js";

/** Why a recomputed problem would not make sense as a grade-school problem. */
export type NotSensible =
  | "fractional_count"
  | "negative_value"
  | "zero_value"
  | "long_decimal"
  | "same_answer";

/**
 * A changed problem must stay a sensible problem: values that were whole stay whole (no 2.5 people),
 * positive values stay positive, decimals stay short, and the answer must actually change.
 */
export function checkSensible(program: Program, execution: Execution): NotSensible | null {
  const pairs: Array<[Rational, Rational]> = program.steps.map((s, i) => [
    s.value,
    execution.stepValues[i] as Rational,
  ]);
  program.steps.forEach((s, i) => {
    s.syntax.literals.forEach((lit, j) => {
      pairs.push([lit.value, (execution.literalValues[i] as Rational[])[j] as Rational]);
    });
  });
  pairs.push([program.finalValue, execution.finalValue]);
  for (const [before, after] of pairs) {
    const problem = compare(before, after);
    if (problem) return problem;
  }
  if (execution.finalValue.equals(program.finalValue)) return "same_answer";
  return null;
}

function compare(before: Rational, after: Rational): NotSensible | null {
  if (before.isInteger() && !after.isInteger()) return "fractional_count";
  if (!before.isNegative() && after.isNegative()) return "negative_value";
  if (before.num !== 0n && after.num === 0n) return "zero_value";
  const places = after.decimalPlaces();
  if (places === null || places > Math.max(2, before.decimalPlaces() ?? 2)) return "long_decimal";
  return null;
}
