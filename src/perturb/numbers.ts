import type { Rational } from "./rational.js";

/** How a number was written, so a new value can be written the same way. */
export interface NumberStyle {
  /** `$` for money written with a dollar sign, else empty. */
  currency: string;
  /** Thousands separators were used (or the number was large enough to need them and had them). */
  separators: boolean;
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

/** The style of a numeral such as `$1,200.50`, `.5` or `40`. */
export function styleOfNumeral(text: string, currency: string): NumberStyle {
  const body = text.replace(/^\$\s?/, "");
  const dot = body.indexOf(".");
  return {
    currency,
    separators: body.includes(","),
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
  if (style.separators) intPart = intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  if (style.bareDecimal && intPart === "0" && fracPart !== undefined) intPart = "";
  const body = fracPart === undefined ? intPart : `${intPart}.${fracPart}`;
  return `${negative ? "-" : ""}${style.currency}${body}`;
}
