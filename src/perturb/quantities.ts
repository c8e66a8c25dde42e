import {
  CARDINAL_WORD_PATTERN,
  type NumberStyle,
  parseNumeral,
  SPACED_END,
  SPACED_NUMERAL,
  styleOfNumeral,
  wordsToNumber,
} from "./numbers.js";
import { Rational } from "./rational.js";

/** What kind of quantity a span of text is; decides how it may be perturbed and bound. */
export type QuantityKind =
  | "integer"
  | "decimal"
  | "percent"
  | "fraction"
  | "mixed-number"
  | "number-word"
  | "multiplier-word"
  | "ordinal-word"
  | "time"
  | "year";

/**
 * A value the solution may use for a quantity, as a function of the quantity's value: `150%` is
 * used as 150 or as 1.5; `half` as 1/2, 0.5 or a divisor of 2; `5 pm` as 5 or 17.
 */
export type FormName =
  | "value"
  | "percent-fraction"
  | "percent-complement"
  | "percent-complement-fraction"
  | "percent-increase-fraction"
  | "numerator"
  | "denominator"
  | "reciprocal"
  | "hour"
  | "hour-24"
  | "minutes";

export interface Quantity {
  /** Position among the text's quantities. */
  index: number;
  start: number;
  end: number;
  text: string;
  kind: QuantityKind;
  value: Rational;
  forms: FormName[];
  /** Money: written with `$`, or followed by dollars/cents. */
  money: boolean;
  /** Numerals and cardinal words of ordinary size may be changed by number-swap probes. */
  perturbable: boolean;
  style: NumberStyle;
  /** For fractions and mixed numbers, the written parts. */
  parts?: { whole: Rational; numerator: Rational; denominator: Rational };
}

/** Evaluates a form of a quantity for a (possibly new) quantity value. */
export function evaluateForm(q: Quantity, form: FormName, value: Rational): Rational {
  const hundred = Rational.of(100);
  switch (form) {
    case "value":
      return value;
    case "percent-fraction":
      return value.div(hundred);
    case "percent-complement":
      return hundred.sub(value);
    case "percent-complement-fraction":
      return Rational.ONE.sub(value.div(hundred));
    case "percent-increase-fraction":
      return Rational.ONE.add(value.div(hundred));
    case "numerator":
      return q.parts ? q.parts.numerator : value;
    case "denominator":
      return q.parts ? q.parts.denominator : Rational.ONE.div(value);
    case "reciprocal":
      return Rational.ONE.div(value);
    case "hour":
      return value.floor();
    case "hour-24":
      return value.floor().add(Rational.of(12));
    case "minutes":
      return value.sub(value.floor()).mul(Rational.of(60));
  }
}

const MULTIPLIER_WORDS: Record<string, [number, number]> = {
  half: [1, 2],
  halves: [1, 2],
  twice: [2, 1],
  double: [2, 1],
  doubles: [2, 1],
  doubled: [2, 1],
  triple: [3, 1],
  tripled: [3, 1],
  triples: [3, 1],
  thrice: [3, 1],
  quadruple: [4, 1],
  dozen: [12, 1],
  dozens: [12, 1],
  pair: [2, 1],
  pairs: [2, 1],
  quarter: [1, 4],
  quarters: [1, 4],
  third: [1, 3],
  thirds: [1, 3],
  fourth: [1, 4],
  fourths: [1, 4],
  fifth: [1, 5],
  fifths: [1, 5],
  sixth: [1, 6],
  tenth: [1, 10],
};

const ORDINALS: Record<string, number> = {
  first: 1,
  second: 2,
  third: 3,
  fourth: 4,
  fifth: 5,
  sixth: 6,
  seventh: 7,
  eighth: 8,
  ninth: 9,
  tenth: 10,
};

/** Fraction words that follow a cardinal: `two thirds`, `three quarters`. */
const FRACTION_NOUNS: Record<string, number> = {
  half: 2,
  halves: 2,
  third: 3,
  thirds: 3,
  quarter: 4,
  quarters: 4,
  fourth: 4,
  fourths: 4,
  fifth: 5,
  fifths: 5,
  sixth: 6,
  sixths: 6,
  eighth: 8,
  eighths: 8,
  tenth: 10,
  tenths: 10,
};

const NUMERAL = String.raw`(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)`;
const MERIDIEM = String.raw`(?:[ap]\.?m\.?)(?![a-z])`;

/**
 * One alternation, tried left to right at each position; the first alternative that matches wins,
 * so longer forms (`$1,200.50`, `2 1/2`, `3:30 pm`, `150%`) come before bare numerals.
 */
const SCANNER = new RegExp(
  [
    String.raw`(?<time>\b\d{1,2}:\d{2}(?:\s*${MERIDIEM})?|\b\d{1,2}\s*${MERIDIEM})`,
    // `$400 000`: thousands grouped by spaces, read as one amount only right after `$`.
    String.raw`(?<money>\$${SPACED_NUMERAL}${SPACED_END}|\$\s?${NUMERAL})`,
    String.raw`(?<mixed>\b\d+\s+\d+/\d+\b)`,
    String.raw`(?<fraction>\b\d+/\d+\b)`,
    String.raw`(?<percent>${NUMERAL}\s?(?:%|percent\b))`,
    String.raw`(?<numeral>(?<![A-Za-z\d.,])${NUMERAL}(?![\d]))`,
    String.raw`(?<wordfraction>\b(?:${CARDINAL_WORD_PATTERN}|a|an)[- ](?:${Object.keys(FRACTION_NOUNS).join("|")})\b)`,
    String.raw`(?<word>\b(?:${CARDINAL_WORD_PATTERN})\b)`,
    String.raw`(?<multiplier>\b(?:${Object.keys(MULTIPLIER_WORDS).join("|")})\b)`,
    String.raw`(?<ordinal>\b(?:${Object.keys(ORDINALS).join("|")})\b)`,
  ].join("|"),
  "gi",
);

const MONEY_WORDS = /^\s*(?:dollars?|cents?|bucks)\b/i;

/** Finds every quantity in a text, in order, with exact spans. */
export function scanQuantities(text: string): Quantity[] {
  const out: Quantity[] = [];
  for (const m of text.matchAll(SCANNER)) {
    const g = m.groups ?? {};
    const start = m.index ?? 0;
    const raw = m[0];
    const end = start + raw.length;
    const after = text.slice(end, end + 12);
    const q = buildQuantity(g, raw, after);
    if (q) out.push({ ...q, index: out.length, start, end, text: raw });
  }
  return out;
}

type Built = Omit<Quantity, "index" | "start" | "end" | "text">;

function buildQuantity(g: Record<string, string | undefined>, raw: string, after: string): Built | null {
  if (g.time) return buildTime(raw);
  if (g.money) {
    const value = parseNumeral(raw.replace(/^\$\s?/, "")) as Rational;
    return {
      kind: value.isInteger() ? "integer" : "decimal",
      value,
      forms: ["value"],
      money: true,
      perturbable: true,
      style: styleOfNumeral(raw, "$"),
    };
  }
  if (g.mixed) {
    const [whole, frac] = raw.trim().split(/\s+/) as [string, string];
    const [n, d] = frac.split("/").map((x) => Rational.parse(x) as Rational) as [Rational, Rational];
    if (d.num === 0n) return null;
    const w = Rational.parse(whole) as Rational;
    return {
      kind: "mixed-number",
      value: w.add(n.div(d)),
      forms: ["value", "numerator", "denominator"],
      money: false,
      perturbable: false,
      style: styleOfNumeral("0", ""),
      parts: { whole: w, numerator: w.mul(d).add(n), denominator: d },
    };
  }
  if (g.fraction) {
    const [n, d] = raw.split("/").map((x) => Rational.parse(x) as Rational) as [Rational, Rational];
    if (d.num === 0n) return null;
    return {
      kind: "fraction",
      value: n.div(d),
      forms: ["value", "numerator", "denominator"],
      money: false,
      perturbable: false,
      style: styleOfNumeral("0", ""),
      parts: { whole: Rational.ZERO, numerator: n, denominator: d },
    };
  }
  if (g.percent) {
    const numeral = raw.replace(/\s?(?:%|percent)$/i, "");
    const value = Rational.parse(numeral) as Rational;
    return {
      kind: "percent",
      value,
      forms: [
        "value",
        "percent-fraction",
        "percent-complement",
        "percent-complement-fraction",
        "percent-increase-fraction",
      ],
      money: false,
      perturbable: true,
      style: styleOfNumeral(numeral, ""),
    };
  }
  if (g.numeral) {
    const value = Rational.parse(raw) as Rational;
    const isYear = /^(1[5-9]|20)\d\d$/.test(raw);
    // Cents are used as cents or as a fraction of a dollar.
    const cents = /^\s*cents?\b/i.test(after);
    return {
      kind: isYear ? "year" : value.isInteger() ? "integer" : "decimal",
      value,
      forms: cents ? ["value", "percent-fraction"] : ["value"],
      money: MONEY_WORDS.test(after),
      // A count of 1 is grammar ("1 potted plant"), not a number to change.
      perturbable: !isYear && !value.equals(Rational.ONE),
      style: styleOfNumeral(raw, ""),
    };
  }
  if (g.wordfraction) {
    const [count, noun] = raw.toLowerCase().split(/[- ]/) as [string, string];
    const n = count === "a" || count === "an" ? 1 : (wordsToNumber(count) ?? 1);
    const d = FRACTION_NOUNS[noun] as number;
    const numerator = Rational.of(n);
    const denominator = Rational.of(d);
    return {
      kind: "fraction",
      value: numerator.div(denominator),
      forms: ["value", "numerator", "denominator"],
      money: false,
      perturbable: false,
      style: styleOfNumeral("0", ""),
      parts: { whole: Rational.ZERO, numerator, denominator },
    };
  }
  if (g.word) {
    const n = wordsToNumber(raw) as number;
    // "one" is mostly a determiner ("one of them"); changing it would break grammar.
    return {
      kind: "number-word",
      value: Rational.of(n),
      forms: ["value"],
      money: MONEY_WORDS.test(after),
      perturbable: n >= 2,
      style: { ...styleOfNumeral(String(n), ""), word: { capitalized: /^[A-Z]/.test(raw) } },
    };
  }
  if (g.multiplier) {
    const [n, d] = MULTIPLIER_WORDS[raw.toLowerCase()] as [number, number];
    const value = Rational.of(n, d);
    return {
      kind: "multiplier-word",
      value,
      forms: d === 1 ? ["value"] : ["value", "reciprocal"],
      money: false,
      perturbable: false,
      style: styleOfNumeral("0", ""),
    };
  }
  if (g.ordinal) {
    return {
      kind: "ordinal-word",
      value: Rational.of(ORDINALS[raw.toLowerCase()] as number),
      forms: ["value"],
      money: false,
      perturbable: false,
      style: styleOfNumeral("0", ""),
    };
  }
  return null;
}

function buildTime(raw: string): Built {
  const m = /^(\d{1,2})(?::(\d{2}))?\s*([ap])?/i.exec(raw) as RegExpExecArray;
  const hours = Rational.of(Number(m[1]));
  const minutes = Rational.of(Number(m[2] ?? "0"));
  const pm = (m[3] ?? "").toLowerCase() === "p";
  return {
    kind: "time",
    value: hours.add(minutes.div(Rational.of(60))),
    forms: pm ? ["value", "hour", "hour-24", "minutes"] : ["value", "hour", "minutes"],
    money: false,
    perturbable: false,
    style: styleOfNumeral("0", ""),
  };
}
