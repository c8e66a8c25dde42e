import type { Expr, Literal } from "./expression.js";
import { evaluate } from "./expression.js";
import { parseNumeral, SPACED_END, SPACED_NUMERAL } from "./numbers.js";
import { Rational } from "./rational.js";

/** Arithmetic written out in prose, without a calculator annotation: `54 − 37 = 17`. */
export interface PlainEquation {
  /** Where the left-hand side starts in the text. */
  start: number;
  expr: Expr;
  literals: Literal[];
  resultStart: number;
  resultText: string;
  written: Rational;
}

const NUMERAL = String.raw`(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)`;
/** `$400 000`: an amount with space-grouped thousands, read as one number only right after `$`. */
const SPACED = String.raw`(?<=\$)${SPACED_NUMERAL}${SPACED_END}`;
const EQUALS = new RegExp(
  String.raw`(?:=|\bequals\b|\bis equal to\b)[ \t]{0,2}\$?(${SPACED}|${NUMERAL})(?![\d/]|\.\d)`,
  "g",
);
const TOKEN = new RegExp(
  String.raw`(?<num>${SPACED}|${NUMERAL})%?|(?<op>[-+*/×÷−–]|\bx\b|\btimes\b|\bplus\b|\bminus\b|\bdivided by\b)|(?<word>[A-Za-z'’]+)|(?<space>[\s$]+)|(?<other>.)`,
  "g",
);
const OPERATOR: Record<string, "+" | "-" | "*" | "/"> = {
  "+": "+",
  plus: "+",
  "-": "-",
  "−": "-",
  "–": "-",
  minus: "-",
  "*": "*",
  x: "*",
  "×": "*",
  times: "*",
  "/": "/",
  "÷": "/",
  "divided by": "/",
};
/** Unit words between a number and the next operator (`5 seconds * 60 potatoes`). */
const MAX_UNIT_WORDS = 8;

type Token = { kind: "num" | "op" | "word" | "other"; text: string; start: number };

/**
 * Finds `a op b ... = c` in prose, tolerating unit words after each number. A candidate counts
 * only if it evaluates exactly to the written result, so stray numbers never become steps.
 */
export function findPlainEquations(text: string): PlainEquation[] {
  const found: PlainEquation[] = [];
  for (const m of text.matchAll(EQUALS)) {
    const eqAt = m.index ?? 0;
    const resultText = m[1] as string;
    const resultStart = eqAt + m[0].length - resultText.length;
    const written = parseNumeral(resultText);
    if (!written) continue;
    const lineStart = text.lastIndexOf("\n", eqAt - 1) + 1;
    const equation = matchLeftSide(text.slice(lineStart, eqAt), lineStart, written);
    if (equation) found.push({ ...equation, resultStart, resultText, written });
  }
  return found;
}

const ROUNDING_STEPS = [
  // "round his marigolds up from $2.74 to $3", "rounded 6.75 up to 7"
  new RegExp(
    String.raw`\bround(?:s|ed|ing)?\b[^.\n]{0,40}?(?:\b(?<mode1>up|down)\s+)?(?:from\s+)?\$?(?<from>${NUMERAL})%?\s*(?:(?<mode2>up|down)\s+)?to\s+(?:the nearest \w+,?\s+)?\$?(?<to>${NUMERAL})`,
    "gi",
  ),
  // "33.33%, which rounds down to 33%"
  new RegExp(
    String.raw`\$?(?<from>${NUMERAL})%?,?\s*(?:which\s+|and\s+)?rounds?\s+(?<mode1>up|down)\s+to\s+\$?(?<to>${NUMERAL})`,
    "gi",
  ),
];

/** Rounding written out in prose ("round 6.75 up to 7"), as steps whose result is checked like any other. */
export function findRoundingSteps(text: string): PlainEquation[] {
  const found: PlainEquation[] = [];
  for (const pattern of ROUNDING_STEPS) {
    for (const m of text.matchAll(pattern)) {
      const g = m.groups ?? {};
      const fromText = g.from as string;
      const toText = g.to as string;
      const start = (m.index ?? 0) + m[0].indexOf(fromText, m[0].search(/\d|\.\d/));
      const resultStart = (m.index ?? 0) + m[0].lastIndexOf(toText);
      const value = Rational.parse(fromText);
      const written = Rational.parse(toText);
      if (!value || !written || found.some((f) => f.start === start)) continue;
      const mode =
        (g.mode1 ?? g.mode2)?.toLowerCase() === "down" ? "down" : (g.mode1 ?? g.mode2) ? "up" : "nearest";
      const expr: Expr = { op: "round", mode, arg: { op: "lit", literal: 0 } };
      if (!evaluate(expr, [value]).equals(written)) continue;
      found.push({
        start,
        expr,
        literals: [{ start, end: start + fromText.length, text: fromText, value, divisor: false }],
        resultStart,
        resultText: toText,
        written,
      });
    }
  }
  return found;
}

export function matchLeftSide(
  lhs: string,
  offset: number,
  written: Rational,
): Omit<PlainEquation, "resultStart" | "resultText" | "written"> | null {
  const tokens: Token[] = [];
  for (const t of lhs.matchAll(TOKEN)) {
    const g = t.groups ?? {};
    if (g.space !== undefined) continue;
    const kind =
      g.num !== undefined ? "num" : g.op !== undefined ? "op" : g.word !== undefined ? "word" : "other";
    tokens.push({ kind, text: kind === "num" ? (g.num as string) : t[0], start: offset + (t.index ?? 0) });
  }
  // Walk left from '=': trailing unit words, then number (op number)*, trying each longer prefix.
  let i = tokens.length - 1;
  let words = 0;
  while (i >= 0 && tokens[i]?.kind === "word" && words < MAX_UNIT_WORDS) {
    i--;
    words++;
  }
  if (tokens[i]?.kind !== "num") return null;
  const nums: Token[] = [tokens[i] as Token];
  const ops: string[] = [];
  let best: ReturnType<typeof build> = null;
  for (;;) {
    let j = i - 1;
    if (tokens[j]?.kind !== "op") break;
    const op = OPERATOR[(tokens[j] as Token).text.toLowerCase()];
    if (!op) break;
    j--;
    let unitWords = 0;
    while (j >= 0 && tokens[j]?.kind === "word" && unitWords < MAX_UNIT_WORDS) {
      j--;
      unitWords++;
    }
    if (tokens[j]?.kind !== "num") break;
    nums.unshift(tokens[j] as Token);
    ops.unshift(op);
    i = j;
    const candidate = build(nums, ops);
    if (candidate?.value.equals(written)) best = candidate;
  }
  return best
    ? {
        start: (nums[nums.length - 1 - (best.literals.length - 1)] as Token).start,
        expr: best.expr,
        literals: best.literals,
      }
    : null;
}

function build(nums: Token[], ops: string[]): { expr: Expr; literals: Literal[]; value: Rational } | null {
  const literals: Literal[] = nums.map((n, k) => ({
    start: n.start,
    end: n.start + n.text.length,
    text: n.text,
    value: parseNumeral(n.text) as Rational,
    divisor: ops[k - 1] === "/",
  }));
  // Standard precedence: fold products first, then sums, left to right.
  const terms: Expr[] = [{ op: "lit", literal: 0 }];
  const termOps: Array<"+" | "-"> = [];
  ops.forEach((op, k) => {
    const leaf: Expr = { op: "lit", literal: k + 1 };
    if (op === "*" || op === "/") {
      terms[terms.length - 1] = { op, left: terms[terms.length - 1] as Expr, right: leaf };
    } else {
      terms.push(leaf);
      termOps.push(op as "+" | "-");
    }
  });
  let expr = terms[0] as Expr;
  termOps.forEach((op, k) => {
    expr = { op, left: expr, right: terms[k + 1] as Expr };
  });
  try {
    return {
      expr,
      literals,
      value: evaluate(
        expr,
        literals.map((l) => l.value),
      ),
    };
  } catch {
    return null;
  }
}
