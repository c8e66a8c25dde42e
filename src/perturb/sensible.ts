import type { Execution, Program, Source } from "./program.js";
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
  const money = moneySteps(program);
  const pairs: Array<[Rational, Rational, boolean]> = program.steps.map((s, i) => [
    s.value,
    execution.stepValues[i] as Rational,
    money.has(i),
  ]);
  program.steps.forEach((s, i) => {
    s.syntax.literals.forEach((lit, j) => {
      const sources = s.operands[j] ?? [];
      const amount = sources.length > 0 && sources.every((src) => isAmount(program, src, money));
      pairs.push([lit.value, (execution.literalValues[i] as Rational[])[j] as Rational, amount]);
    });
  });
  const finalAmount =
    program.finalSources.length > 0 && program.finalSources.every((src) => isAmount(program, src, money));
  pairs.push([program.finalValue, execution.finalValue, finalAmount]);
  for (const [before, after, amount] of pairs) {
    const problem = compare(before, after, amount);
    if (problem) return problem;
  }
  if (execution.finalValue.equals(program.finalValue)) return "same_answer";
  return null;
}

/**
 * Steps whose result the solution writes as money (`$<<15-3=12>>12`): amounts of money, which may
 * come to dollars and cents where they were whole dollars.
 */
function moneySteps(program: Program): Set<number> {
  const money = new Set<number>();
  program.steps.forEach((s, i) => {
    if (s.syntax.money) money.add(i);
  });
  return money;
}

function isAmount(program: Program, source: Source, money: Set<number>): boolean {
  if (source.type === "step") return money.has(source.step);
  if (source.type === "quantity") return program.quantities[source.quantity]?.money === true;
  return false;
}

function compare(before: Rational, after: Rational, amount: boolean): NotSensible | null {
  // A whole count must stay whole; a whole amount of money may gain cents, and no finer part.
  if (before.isInteger() && !after.isInteger() && !(amount && (after.decimalPlaces() ?? 3) <= 2))
    return "fractional_count";
  if (!before.isNegative() && after.isNegative()) return "negative_value";
  if (before.num !== 0n && after.num === 0n) return "zero_value";
  const places = after.decimalPlaces();
  if (places === null || places > Math.max(2, before.decimalPlaces() ?? 2)) return "long_decimal";
  return null;
}
