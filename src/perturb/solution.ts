import { type Expr, type Literal, operatorCount, parseExpression } from "./expression.js";
import { type NumberStyle, styleOfNumeral } from "./numbers.js";
import { findPlainEquations, findRoundingSteps, matchLeftSide } from "./plain-equations.js";
import { type Quantity, scanQuantities } from "./quantities.js";
import { Rational } from "./rational.js";

/** A place in the solution text that shows a step's value (and must change with it). */
export interface ResultSpan {
  start: number;
  end: number;
  text: string;
  style: NumberStyle;
  /** Inside `<<...>>`: written as a bare number, no separators or currency. */
  inAnnotation: boolean;
}

/** One arithmetic step of a worked solution, before its operands are bound to sources. */
export interface StepSyntax {
  kind: "annotation" | "plain";
  /** Where the step's text begins in the solution. */
  at: number;
  /** The result is written as money (`$<<2*6=12>>12`). */
  money: boolean;
  expr: Expr;
  literals: Literal[];
  /** The result as written (annotation result or the right-hand side of a plain equation). */
  written: Rational;
  writtenText: string;
  results: ResultSpan[];
  /** True for `<<32=32>>`: a value restated, not computed. */
  restatement: boolean;
  /** Prose copies of the operands (`16 - 3 - 4 = <<16-3-4=9>>`), which change with them. */
  mirrors: Mirror[];
}

/** A prose number that shows operand `literal` of its step. */
export interface Mirror {
  literal: number;
  start: number;
  end: number;
  text: string;
  /** Written with a dollar sign: the operand is an amount of money. */
  money: boolean;
}

export interface ParsedSolution {
  text: string;
  steps: StepSyntax[];
  /** Number tokens of the prose (outside steps and results), which must follow the values they show. */
  prose: Quantity[];
  final: { start: number; end: number; text: string; value: Rational } | null;
  /** Why the solution cannot be lifted into a program, when it cannot. */
  problem: SolutionProblem | null;
}

export type SolutionProblem = "no_final_answer" | "annotation_unparseable" | "algebra";

const NUMERAL = String.raw`(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)`;
const DISPLAYED_RESULT = new RegExp(String.raw`^(\$?\s?)(-?${NUMERAL})`);
/** A letter standing for an unknown: `4m = 32`, `x + 8 = 40`, `m=8`. */
const ALGEBRA =
  /(?:\d[a-zA-Z]\s*[-+=*/)]|(?:^|[^A-Za-z])[a-zA-Z]\s*=(?!=)|=\s*[a-wyz]\b|\b[a-wyz]\s*[+*/-]\s*\d|\([a-z]\b)/m;

/** Splits a worked solution into annotated and plain-text steps, prose numbers and the final answer. */
export function parseSolution(text: string): ParsedSolution {
  const finalMatch = /^####\s*(.*)$/m.exec(text);
  const bodyEnd = finalMatch ? (finalMatch.index ?? 0) : text.length;
  const body = text.slice(0, bodyEnd);
  const steps: StepSyntax[] = [];
  let problem: SolutionProblem | null = null;
  let final: ParsedSolution["final"] = null;
  if (finalMatch) {
    const raw = (finalMatch[1] ?? "").trim();
    const value = Rational.parse(raw.replace(/^\$/, ""));
    const start = (finalMatch.index ?? 0) + finalMatch[0].indexOf(raw);
    if (value) final = { start, end: start + raw.length, text: raw, value };
  }
  if (!final) problem = "no_final_answer";

  // Characters that belong to annotations or shown results are masked out of the prose.
  const masked = body.split("");
  const mask = (start: number, end: number) => {
    for (let i = start; i < end; i++) masked[i] = " ";
  };
  const annotationSteps: Array<{ at: number; step: StepSyntax }> = [];
  for (const m of body.matchAll(/<<([^<>]*)>>/g)) {
    const start = m.index ?? 0;
    const end = start + m[0].length;
    mask(start, end);
    const inner = m[1] ?? "";
    const eq = inner.lastIndexOf("=");
    const exprText = eq >= 0 ? inner.slice(0, eq) : inner;
    const resultText = eq >= 0 ? inner.slice(eq + 1).trim() : "";
    const parsed = parseExpression(exprText, start + 2);
    const written = Rational.parse(resultText);
    if (!parsed || !written) {
      problem ??= "annotation_unparseable";
      continue;
    }
    const resultStart =
      start + 2 + eq + 1 + (inner.slice(eq + 1).length - inner.slice(eq + 1).trimStart().length);
    const results: ResultSpan[] = [
      {
        start: resultStart,
        end: resultStart + resultText.length,
        text: resultText,
        style: styleOfNumeral(resultText, ""),
        inAnnotation: true,
      },
    ];
    const shown = DISPLAYED_RESULT.exec(body.slice(end));
    if (shown) {
      const numStart = end + (shown[1] as string).length;
      const numText = shown[2] as string;
      const shownValue = Rational.parse(numText);
      if (shownValue?.equals(written) || shownValue?.equals(written.roundTo(2))) {
        results.push({
          start: numStart,
          end: numStart + numText.length,
          text: numText,
          style: styleOfNumeral(numText, ""),
          inAnnotation: false,
        });
        mask(end, numStart + numText.length);
      }
    }
    let expr = parsed.expr;
    let literals = parsed.literals;
    let restatement = operatorCount(parsed.expr) === 0;
    const mirrors: Mirror[] = [];
    // Prose arithmetic right before an annotation (`3 x 20 = <<3*20=60>>`) shows the same operands.
    const lineStart = body.lastIndexOf("\n", start - 1) + 1;
    const before = /=[ \t]*\$?[ \t]*$/.exec(body.slice(lineStart, start));
    const lhs = before
      ? matchLeftSide(masked.join("").slice(lineStart, lineStart + before.index), lineStart, written)
      : null;
    if (lhs && restatement) {
      // `3 + 2 = <<5=5>>5`: the arithmetic is in the prose; the annotation only repeats its value.
      expr = lhs.expr;
      literals = lhs.literals;
      restatement = false;
      for (const lit of parsed.literals) {
        results.push({
          start: lit.start,
          end: lit.end,
          text: lit.text,
          style: styleOfNumeral(lit.text, ""),
          inAnnotation: true,
        });
      }
      for (const lit of literals) mask(lit.start, lit.end);
    } else if (
      lhs &&
      lhs.literals.length === parsed.literals.length &&
      lhs.literals.every((lit, k) => lit.value.equals((parsed.literals[k] as Literal).value))
    ) {
      lhs.literals.forEach((lit, k) => {
        mirrors.push({
          literal: k,
          start: lit.start,
          end: lit.end,
          text: lit.text,
          money: body[lit.start - 1] === "$",
        });
        mask(lit.start, lit.end);
      });
    }
    annotationSteps.push({
      at: start,
      step: {
        kind: "annotation",
        at: start,
        money: /\$\s?$/.test(body.slice(Math.max(0, start - 2), start)),
        expr,
        literals,
        written,
        writtenText: resultText,
        results,
        restatement,
        mirrors,
      },
    });
  }

  const maskedBody = masked.join("");
  if (ALGEBRA.test(body.replace(/<<[^<>]*>>/g, (m) => " ".repeat(m.length)))) problem ??= "algebra";
  const plainSteps: Array<{ at: number; step: StepSyntax }> = [];
  for (const eq of [...findPlainEquations(maskedBody), ...findRoundingSteps(maskedBody)]) {
    plainSteps.push({
      at: eq.start,
      step: {
        kind: "plain",
        at: eq.start,
        money: maskedBody[eq.resultStart - 1] === "$",
        expr: eq.expr,
        literals: eq.literals,
        written: eq.written,
        writtenText: eq.resultText,
        results: [
          {
            start: eq.resultStart,
            end: eq.resultStart + eq.resultText.length,
            text: eq.resultText,
            style: styleOfNumeral(eq.resultText, ""),
            inAnnotation: false,
          },
        ],
        restatement: false,
        mirrors: [],
      },
    });
    for (const lit of eq.literals) mask(lit.start, lit.end);
    mask(eq.resultStart, eq.resultStart + eq.resultText.length);
  }
  for (const s of [...annotationSteps, ...plainSteps].sort((a, b) => a.at - b.at)) steps.push(s.step);

  const prose = scanQuantities(masked.join(""));
  return { text, steps, prose, final, problem };
}
