import type { Edit } from "../types/index.js";
import { formatInStyle, type NumberStyle, styleOfNumeral } from "./numbers.js";
import { AmbiguityError, type Execution, execute, type Program, sourceValue } from "./program.js";
import type { Quantity } from "./quantities.js";
import { Rational } from "./rational.js";

/** A problem with some quantities replaced, its solution rewritten and its answer recomputed. */
export interface Rewritten {
  question: string;
  edits: Edit[];
  solution: string;
  expected: Rational;
  execution: Execution;
}

/** Why a replacement could not be carried through safely. */
export type RewriteFailure =
  /** Two readings of some number in the solution now give different values. */
  | "ambiguous_binding"
  /** A new value cannot be written in the style of the text (e.g. 10/3 where a decimal stood). */
  | "unwritable_value"
  /**
   * The solution's prose shows a number the program does not model that equals or is one operation
   * away from a changed value (`$500/month * 12 months = $7200` outside any annotation): it would
   * stay stale in the rewritten solution, and may be arithmetic the answer depends on.
   */
  | "stale_prose"
  | "division_by_zero";

export type RewriteResult =
  | { ok: true; value: Rewritten }
  | { ok: false; reason: RewriteFailure; detail: string };

interface Replacement {
  start: number;
  end: number;
  text: string;
}

/**
 * How a probe writes a changed quantity in the question when the original's style cannot show the
 * new value (`3 hours` -> `2.5 hours`, `2 pounds` -> `1/2 pound`): the text, and where the edit
 * ends when it also changes the words after the number (a singular noun).
 */
export interface WrittenQuantity {
  text: string;
  end?: number;
}

/**
 * Replaces quantities of the question, re-executes the program and rewrites question and solution.
 * `written` gives the question's text for some changed quantities; the others are written in their
 * original style.
 */
export function rewriteProblem(
  program: Program,
  replaced: ReadonlyMap<number, Rational>,
  written: ReadonlyMap<number, WrittenQuantity> = new Map(),
): RewriteResult {
  let execution: Execution;
  try {
    execution = execute(program, replaced);
  } catch (err) {
    if (err instanceof AmbiguityError) return { ok: false, reason: "ambiguous_binding", detail: err.message };
    if (err instanceof RangeError) return { ok: false, reason: "division_by_zero", detail: err.message };
    throw err;
  }
  const questionEdits: Replacement[] = [];
  for (const [index, value] of replaced) {
    const q = program.quantities[index] as Quantity;
    const own = written.get(index);
    const text = own ? own.text : writeQuantity(q, value, false);
    if (text === null) return unwritable(`${value.toString()} cannot be written like ${q.text}`);
    questionEdits.push({ start: q.start, end: own?.end ?? q.end, text });
  }

  const solutionEdits: Replacement[] = [];
  const write = (
    start: number,
    end: number,
    old: string,
    style: NumberStyle,
    value: Rational,
    allowExtraDecimals = true,
  ): boolean => {
    const text = formatInStyle(value, style, allowExtraDecimals);
    if (text === null) return false;
    if (text !== old) solutionEdits.push({ start, end, text });
    return true;
  };
  for (const [i, step] of program.steps.entries()) {
    const literalValues = execution.literalValues[i] as Rational[];
    for (const [j, lit] of step.syntax.literals.entries()) {
      const value = literalValues[j] as Rational;
      if (value.equals(lit.value)) continue;
      if (!write(lit.start, lit.end, lit.text, styleOfNumeral(lit.text, ""), value)) {
        return unwritable(`operand ${lit.text} of step ${i + 1} would be ${value.toString()}`);
      }
    }
    for (const mirror of step.syntax.mirrors) {
      const value = literalValues[mirror.literal] as Rational;
      if (value.equals((step.syntax.literals[mirror.literal] as { value: Rational }).value)) continue;
      const style = styleOfNumeral(mirror.text, "");
      // A price shown with its cents keeps them ($0.20 -> $0.30, not $0.3).
      const cents = mirror.money && (value.decimalPlaces() ?? Number.POSITIVE_INFINITY) <= style.decimals;
      if (!write(mirror.start, mirror.end, mirror.text, style, value, !cents)) {
        return unwritable(`the solution's "${mirror.text}" would be ${value.toString()}`);
      }
    }
    const stepValue = execution.stepValues[i] as Rational;
    // A result that keeps its value keeps its text ($15.00 stays $15.00).
    for (const result of stepValue.equals(step.value) ? [] : step.syntax.results) {
      // Money shown in prose with cents is written with both digits ($4.50, not $4.5; $0.50 -> $1.00).
      const cents =
        step.syntax.money && !result.inAnnotation && (!stepValue.isInteger() || result.style.decimals === 2);
      const style = cents ? { ...result.style, decimals: Math.max(2, result.style.decimals) } : result.style;
      if (!write(result.start, result.end, result.text, style, stepValue, !cents)) {
        return unwritable(`step ${i + 1} would be ${stepValue.toString()}`);
      }
    }
  }
  const stale = staleProse(program, execution);
  if (stale !== null) {
    return {
      ok: false,
      reason: "stale_prose",
      detail: `the solution's "${stale}" depends on a changed value`,
    };
  }
  for (const [k, token] of program.solution.prose.entries()) {
    const sources = program.proseSources[k] ?? [];
    if (sources.length === 0) continue;
    const values = sources.map((s) =>
      sourceValue(program, s, execution.quantityValues, execution.stepValues),
    );
    let first = values[0] as Rational;
    if (values.some((v) => !v.equals(first))) {
      // A number beside the arithmetic it describes shows that arithmetic's operand or result.
      const shown = shownOnLine(program, execution, lineOf(program.solution.text, token.start), token.value);
      const match = shown && values.find((v) => v.equals(shown));
      if (!match) {
        return {
          ok: false,
          reason: "ambiguous_binding",
          detail: `the solution's "${token.text}" could now be several values`,
        };
      }
      first = match;
    }
    if (first.equals(token.value)) continue;
    const text = writeQuantity(token, first, true);
    if (text === null) return unwritable(`the solution's "${token.text}" would be ${first.toString()}`);
    solutionEdits.push({ start: token.start, end: token.end, text });
  }
  const final = program.solution.final;
  const expectedText = execution.finalValue.toDecimal();
  if (expectedText === null) return unwritable(`the answer would be ${execution.finalValue.toString()}`);
  if (final) solutionEdits.push({ start: final.start, end: final.end, text: expectedText });

  // Two rewrites of one span that disagree (a number the solution shows as two things at once):
  // no consistent text exists, so the change is refused rather than thrown.
  let solution: string;
  try {
    solution = applyReplacements(program.solution.text, solutionEdits);
  } catch (err) {
    if (err instanceof OverlapError) return unwritable(err.message);
    throw err;
  }
  return {
    ok: true,
    value: {
      question: applyReplacements(program.question, questionEdits),
      edits: questionEdits
        .sort((a, b) => a.start - b.start)
        .map((r) => ({
          start: r.start,
          end: r.end,
          before: program.question.slice(r.start, r.end),
          after: r.text,
        })),
      solution,
      expected: execution.finalValue,
      execution,
    },
  };
}

const OPS: Array<(a: Rational, b: Rational) => Rational | null> = [
  (a, b) => a.add(b),
  (a, b) => a.sub(b),
  (a, b) => b.sub(a),
  (a, b) => a.mul(b),
  (a, b) => (b.num === 0n ? null : a.div(b)),
  (a, b) => (a.num === 0n ? null : b.div(a)),
];
const SMALLEST_DERIVED = Rational.of(10);

/**
 * The text of the first prose number that no source explains but that equals a changed value's
 * original, or is one operation on it and another number of the problem away; null if none.
 */
function staleProse(program: Program, execution: Execution): string | null {
  const changed: Rational[] = [];
  const known: Rational[] = [];
  program.quantities.forEach((q, i) => {
    known.push(q.value);
    if (!q.value.equals(execution.quantityValues[i] as Rational)) changed.push(q.value);
  });
  program.steps.forEach((step, i) => {
    known.push(step.value);
    if (!step.value.equals(execution.stepValues[i] as Rational)) changed.push(step.value);
  });
  if (changed.length === 0) return null;
  for (const [k, token] of program.solution.prose.entries()) {
    if ((program.proseSources[k] ?? []).length > 0) continue;
    if (
      token.kind !== "integer" &&
      token.kind !== "decimal" &&
      token.kind !== "percent" &&
      token.kind !== "number-word"
    ) {
      continue;
    }
    const v = token.value;
    if (changed.some((c) => c.equals(v))) return token.text;
    // Small numbers and number words ("those two amounts") are one operation away from too much.
    if (token.kind === "number-word" || v.compare(SMALLEST_DERIVED) < 0) continue;
    for (const a of changed) {
      for (const b of known) {
        if (OPS.some((op) => op(a, b)?.equals(v) === true)) return token.text;
      }
    }
  }
  return null;
}

/** Writes a quantity's new value as the original was written (`$1,250.00`, `40%`, `Seven`). */
export function writeQuantity(q: Quantity, value: Rational, allowExtraDecimals: boolean): string | null {
  let formatted = formatInStyle(value, q.style, allowExtraDecimals);
  // In a worked solution a number word may become digits ("three" -> "3.5"); questions keep words.
  if (formatted === null && q.style.word && allowExtraDecimals) {
    formatted = formatInStyle(value, { ...q.style, word: undefined }, true);
  }
  if (formatted === null) return null;
  if (q.kind === "percent") return formatted + q.text.replace(/^[\d.,]+/, "");
  return formatted;
}

function lineOf(text: string, pos: number): number {
  let line = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < pos; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

/**
 * The new value of the operands and results on a line that had `original` as their value, when
 * they all agree on one; null otherwise.
 */
function shownOnLine(
  program: Program,
  execution: Execution,
  line: number,
  original: Rational,
): Rational | null {
  const text = program.solution.text;
  let shown: Rational | null = null;
  for (const [i, step] of program.steps.entries()) {
    if (lineOf(text, step.syntax.at) !== line) continue;
    const pairs: Array<[Rational, Rational]> = step.syntax.literals.map((lit, j) => [
      lit.value,
      (execution.literalValues[i] as Rational[])[j] as Rational,
    ]);
    pairs.push([step.value, execution.stepValues[i] as Rational]);
    for (const [before, after] of pairs) {
      if (!before.equals(original)) continue;
      if (shown && !shown.equals(after)) return null;
      shown = after;
    }
  }
  return shown;
}

function applyReplacements(text: string, replacements: Replacement[]): string {
  const sorted = [...replacements].sort((a, b) => b.start - a.start);
  let out = text;
  let lastStart = Number.POSITIVE_INFINITY;
  let last: Replacement | null = null;
  for (const r of sorted) {
    // A chained equation shows one number as a result and an operand: it is written once.
    if (last && r.start === last.start && r.end === last.end && r.text === last.text) continue;
    if (r.end > lastStart) throw new OverlapError(`overlapping rewrites at ${r.start}-${r.end}`);
    last = r;
    out = out.slice(0, r.start) + r.text + out.slice(r.end);
    lastStart = r.start;
  }
  return out;
}

class OverlapError extends Error {}

function unwritable(detail: string): RewriteResult {
  return { ok: false, reason: "unwritable_value", detail };
}
