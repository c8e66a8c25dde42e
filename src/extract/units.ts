import { Rational } from "../perturb/rational.js";

/** The unit a question asks its answer in, when it says so explicitly. */
export type AnswerUnit = "cents" | "dollars";

/**
 * "How many cents ...?" or "... in cents?" asks for cents; "in dollars" / "how many dollars" for
 * dollars. Anything else says nothing, and answers are then compared as written.
 */
export function answerUnitOf(question: string): AnswerUnit | null {
  if (/\b(?:in|how many|number of) cents\b/i.test(question)) return "cents";
  if (/\b(?:in|how many|number of) dollars\b/i.test(question)) return "dollars";
  return null;
}

/**
 * Converts an extracted amount into the unit the question asks for: "$0.50" is 50 when cents are
 * asked for, "50 cents" is 0.5 when dollars are. `raw` is the matched text, `after` what follows it.
 */
export function convertToUnit(answer: string, raw: string, after: string, unit: AnswerUnit | null): string {
  if (unit === null) return answer;
  const value = Rational.parse(answer);
  if (!value) return answer;
  const hundred = Rational.of(100);
  if (unit === "cents" && /^-?\s*\$/.test(raw.trim())) return value.mul(hundred).toString();
  if (unit === "dollars" && /^\s*(?:cents?\b|¢)/i.test(after)) return value.div(hundred).toString();
  return answer;
}
