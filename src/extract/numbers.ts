import { Rational } from "../perturb/rational.js";

/**
 * How numbers are recognised in model output. A number may carry a sign (ASCII or Unicode minus,
 * before or after a currency sign, written against what follows it: a minus followed by a space is
 * the operator of `11 - 9`, so the last number there is 9, as lm-evaluation-harness's flexible
 * extract reads it), a currency sign, thousands separators in groups of three, a
 * decimal part, or be a simple fraction `a/b`. Units and a trailing period are simply not part of
 * the match (`18 dollars.` -> `18`).
 */
const BODY = String.raw`\d+\/[1-9]\d*(?![\d/])|(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?|\.\d+`;
const MINUS = "[-\u2212]";
const CURRENCY = "[$\u20ac\u00a3\u00a5]";

/** A number as written, sign and currency included (no boundary check). */
export const NUMBER_SOURCE = `(?:${MINUS})?(?:${CURRENCY}\\s?)?(?:${MINUS})?(?:${BODY})`;

/**
 * A free-standing number: not glued to a word before it (`x2`, `m2`, `COVID-19` yield no negative),
 * nor an exponent (`cm^2`), nor the tail of a decimal or of a date (`1.5`, `12/25/2020`).
 */
export const FREE_NUMBER = new RegExp(`(?<![\\w^./,])${NUMBER_SOURCE}`, "g");

/**
 * The canonical decimal of a matched number (`$1,200.00` -> `1200`, `-$5` -> `-5`, `3/4` -> `0.75`),
 * or null when it is none. A fraction that does not terminate keeps the exact `num/den` text.
 */
export function normalizeNumber(raw: string): string | null {
  let text = raw.replace(/\s+/g, "").replace(/\u2212/g, "-");
  text = text.replace(/[$\u20ac\u00a3\u00a5]/g, "");
  let negative = false;
  while (text.startsWith("-")) {
    negative = !negative;
    text = text.slice(1);
  }
  let value: Rational | null;
  const slash = text.indexOf("/");
  if (slash !== -1) {
    const num = Rational.parse(text.slice(0, slash));
    const den = Rational.parse(text.slice(slash + 1));
    value = num && den && den.num !== 0n ? num.div(den) : null;
  } else {
    value = Rational.parse(text);
  }
  if (!value) return null;
  return (negative ? value.neg() : value).toString();
}

/**
 * Whether two canonical answers are the same number, compared exactly (`18` = `18.0` = `36/2`).
 * "No answer" (null) equals nothing, not even another null.
 */
export function sameNumber(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return false;
  const x = parseCanonical(a);
  const y = parseCanonical(b);
  return x !== null && y !== null && x.equals(y);
}

function parseCanonical(text: string): Rational | null {
  const slash = text.indexOf("/");
  if (slash === -1) return Rational.parse(text);
  const num = Rational.parse(text.slice(0, slash));
  const den = Rational.parse(text.slice(slash + 1));
  return num && den && den.num !== 0n ? num.div(den) : null;
}
