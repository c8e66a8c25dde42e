import { Rational } from "./rational.js";

/** How a number was written, so a new value can be written the same way. */
export interface NumberStyle {
  /** `$` for money written with a dollar sign, else empty. */
  currency: string;
  /** Thousands separators were used (or the number was large enough to need them and had them). */
  separators: boolean;
  /** The thousands groups were separated by spaces (`$400 000`), not commas; set only then. */
  spaceGroups?: true;
  /** Fraction digits written (2 for `$1.50`). */
  decimals: number;
  /** `.5` rather than `0.5`. */
  bareDecimal: boolean;
  /** Written as a word (`three`); `capitalized` when it began with a capital letter. */
  word?: { capitalized: boolean };
}

const ONES = [
  "zero",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
  "ten",
  "eleven",
  "twelve",
  "thirteen",
  "fourteen",
  "fifteen",
  "sixteen",
  "seventeen",
  "eighteen",
  "nineteen",
];
const TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

/** Cardinal number words up to 99 (`twenty-five`), lower case; undefined above that. */
export function numberToWords(n: number): string | undefined {
  if (!Number.isInteger(n) || n < 0 || n > 99) return undefined;
  if (n < 20) return ONES[n];
  const tens = TENS[Math.floor(n / 10)] as string;
  return n % 10 === 0 ? tens : `${tens}-${ONES[n % 10]}`;
}

/** Parses a cardinal number word (`seven`, `twenty-five`, `Forty`); undefined if it is not one. */
export function wordsToNumber(text: string): number | undefined {
  const t = text.toLowerCase();
  const simple = ONES.indexOf(t);
  if (simple >= 0) return simple;
  const tens = TENS.indexOf(t);
  if (tens >= 2) return tens * 10;
  const m = /^([a-z]+)[- ]([a-z]+)$/.exec(t);
  if (m) {
    const a = TENS.indexOf(m[1] as string);
    const b = ONES.indexOf(m[2] as string);
    if (a >= 2 && b >= 1 && b <= 9) return a * 10 + b;
  }
  return undefined;
}

/** Regex alternation of every cardinal word, longest first so `twenty-five` wins over `twenty`. */
export const CARDINAL_WORD_PATTERN = (() => {
  const words: string[] = [];
  for (let n = 0; n < 100; n++) words.push(numberToWords(n) as string);
  return words.sort((a, b) => b.length - a.length).join("|");
})();

/**
 * An amount written with spaces between its thousands groups (`400 000`, `1 250 000.50`): one to
 * three digits, then groups of exactly three. Read as one number only right after a `$` and where
 * nothing continues it (see SPACED_END), since "12 200-kilobyte videos" or "gave 2 000" could as
 * well be two numbers side by side; elsewhere the digits stay separate numbers, as before.
 */
export const SPACED_NUMERAL = String.raw`\d{1,3}(?: \d{3})+(?:\.\d+)?`;
/**
 * What may not follow a space-grouped amount: a digit (or another group of any length), a comma or
 * point and digits, `%`/percent, `/`, or a hyphenated word (`$12 200-page`). The pattern is tried
 * before a plain numeral, so where this fails the text reads as it always did (`$12`, `200`).
 */
export const SPACED_END = String.raw`(?![\d%/]|[ ,.]\d|-\w|\s?percent\b)`;

/** Parses a numeral as `Rational.parse` does, and a space-grouped amount (`400 000`) too. */
export function parseNumeral(text: string): Rational | null {
  return Rational.parse(new RegExp(`^${SPACED_NUMERAL}$`).test(text) ? text.replace(/ /g, "") : text);
}

/** The style of a numeral such as `$1,200.50`, `$400 000`, `.5` or `40`. */
export function styleOfNumeral(text: string, currency: string): NumberStyle {
  const body = text.replace(/^\$\s?/, "");
  const dot = body.indexOf(".");
  const spaced = new RegExp(`^${SPACED_NUMERAL}$`).test(body);
  return {
    currency,
    separators: body.includes(",") || spaced,
    ...(spaced ? { spaceGroups: true as const } : {}),
    decimals: dot >= 0 ? body.length - dot - 1 : 0,
    bareDecimal: body.startsWith("."),
  };
}

/**
 * Writes a value in a given style. Returns null when the value cannot be written that way without
 * losing precision (a non-terminating decimal, more fraction digits than the style allows, or a
 * word form that does not exist), so callers never emit a rounded figure as if it were exact.
 */
export function formatInStyle(
  value: Rational,
  style: NumberStyle,
  allowExtraDecimals = false,
): string | null {
  if (style.word) {
    if (!value.isInteger()) return null;
    const w = numberToWords(Number(value.num));
    if (w === undefined) return null;
    return style.word.capitalized ? w.charAt(0).toUpperCase() + w.slice(1) : w;
  }
  const places = value.decimalPlaces();
  if (places === null) return null;
  if (places > style.decimals && !allowExtraDecimals) return null;
  // Money written with cents keeps its cents ($3.00); anything else uses the digits it needs.
  const keepsCents = style.currency !== "" && style.decimals === 2;
  const decimals = keepsCents ? Math.max(2, places) : allowExtraDecimals ? places : style.decimals;
  let text = value.toFixed(decimals);
  const negative = text.startsWith("-");
  if (negative) text = text.slice(1);
  let [intPart, fracPart] = text.split(".") as [string, string | undefined];
  if (style.separators) intPart = intPart.replace(/\B(?=(\d{3})+(?!\d))/g, style.spaceGroups ? " " : ",");
  if (style.bareDecimal && intPart === "0" && fracPart !== undefined) intPart = "";
  const body = fracPart === undefined ? intPart : `${intPart}.${fracPart}`;
  return `${negative ? "-" : ""}${style.currency}${body}`;
}
