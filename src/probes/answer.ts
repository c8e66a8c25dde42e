import { Rational } from "../perturb/index.js";

/**
 * The canonical decimal of a `####` answer (`$1,200.50` -> `1200.5`), or null when it is no plain
 * number. Answers are compared as this text, so `18`, `18.00` and `$18` are the same answer.
 */
export function canonicalAnswer(finalAnswer: string): string | null {
  const value = Rational.parse(finalAnswer.replace(/[$,]/g, ""));
  return value ? value.toDecimal() : null;
}
