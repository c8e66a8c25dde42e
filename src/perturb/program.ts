import { type Expr, evaluate, type Literal } from "./expression.js";
import { impliedCounts } from "./implied-counts.js";
import { evaluateForm, type FormName, type Quantity, scanQuantities } from "./quantities.js";
import { Rational } from "./rational.js";
import { type ParsedSolution, parseSolution, type StepSyntax } from "./solution.js";

/** Where a number used by the solution comes from. */
export type Source =
  | { type: "quantity"; quantity: number; form: FormName }
  | { type: "step"; step: number }
  | {
      type: "constant";
      value: Rational;
      /** A count the question states in words ("her mom and her sister" = 2), not a conversion factor. */
      implied?: true;
    }
  /** A value the solution computed off the page from two known values (`7200` from 600 and 12). */
  | { type: "derived"; op: "+" | "-" | "*" | "/"; left: Source; right: Source };

/** Why a problem cannot be perturbed safely. Stable codes: they are counted in `perturb --stats`. */
export type NotPerturbableReason =
  | "no_final_answer"
  | "annotation_unparseable"
  | "algebra"
  | "annotation_mismatch"
  | "unbound_operand"
  | "unannotated_value"
  | "final_answer_unbound"
  | "division_by_zero";

export interface BoundStep {
  syntax: StepSyntax;
  /** Candidate sources of each literal: every source whose original value equals the literal's. */
  operands: Source[][];
  /** The step's value in the original problem (exact). */
  value: Rational;
  /** Fraction digits the written result was rounded to, when it was rounded (`33.33` for 100/3). */
  roundedTo: number | null;
}

/** A worked solution lifted into a program over the question's quantities. */
export interface Program {
  question: string;
  quantities: Quantity[];
  solution: ParsedSolution;
  steps: BoundStep[];
  finalSources: Source[];
  finalValue: Rational;
  /** Candidate sources of each prose token (empty when it matches nothing). */
  proseSources: Source[][];
  /**
   * The problem turns on a comparison ("an extra point if they have over 20"). The program does not
   * model it, and a solution's reasoning about it ("only two of them have over 20") can hide counts
   * that look like question numbers, so the problem reproduces but must not be changed.
   */
  conditional: boolean;
  /**
   * The joint readings of the operands that have several candidate sources, or null when there are
   * too many to enumerate. Each reading picks one source per such operand.
   */
  readings: Reading[] | null;
}

/** One joint choice of sources: for each ambiguous operand (step, operand), the chosen source. */
export type Reading = Map<string, Source>;

export type LiftResult =
  | { ok: true; program: Program }
  | { ok: false; reason: NotPerturbableReason; detail: string };

/**
 * Conversion factors and implied counts a solution may use without the question stating them,
 * each only where the question's words call for it (minutes per hour where hours are spoken of).
 * A question number equal to an active constant makes every use of that value ambiguous.
 */
const CONSTANTS: Array<[RegExp | null, Rational]> = [
  [null, Rational.of(0)],
  [null, Rational.of(1)],
  [/%|\bpercent/i, Rational.of(1, 100)],
  [/%|\bpercent|\bcents?\b|\bpenn(?:y|ies)\b|\bcentur/i, Rational.of(100)],
  [/\bminutes?\b|\bhours?\b|\bseconds\b|\bmph\b|\bhourly\b/i, Rational.of(60)],
  [/\bhours?\b|\bdays?\b|\bdaily\b/i, Rational.of(24)],
  [/\bweeks?\b|\bweekly\b/i, Rational.of(7)],
  [/\bdozens?\b|\bmonths?\b|\byears?\b|\bannual|\bfeet\b|\bfoot\b|\binch(?:es)?\b/i, Rational.of(12)],
  [/\bmonths?\b|\bmonthly\b/i, Rational.of(30)],
  // The days of a month named in the question (capitalised: "may" and "march" are also words).
  [/\b(?:April|June|September|November)\b/, Rational.of(30)],
  [/\b(?:January|March|July|August|October|December)\b|\b(?:[Ii]n|of|during|for) May\b/, Rational.of(31)],
  [/\byears?\b|\bannual/i, Rational.of(52)],
  [/\byears?\b|\bannual/i, Rational.of(365)],
  [
    /\bthousand|\bkilo|\bkm\b|\bkg\b|\blit(?:er|re)s?\b|\bml\b|\bgrams?\b|\bmeters?\b|\bmetres?\b/i,
    Rational.of(1000),
  ],
  [/\bdimes?\b|\bdecades?\b/i, Rational.of(10)],
  [
    /\b(?:both|round[- ]trip|back|each way|twins?|couple|every other|two-way|return|weekends?)\b/i,
    Rational.of(2),
  ],
  [/\bweek(?:day|end)s?\b/i, Rational.of(5)],
  [/\bmonths?\b|\bmonthly\b/i, Rational.of(4)],
  [/\bquarters?\b/i, Rational.of(25)],
  [/\bnickels?\b/i, Rational.of(5)],
  [/\bfeet\b|\bfoot\b|\byards?\b/i, Rational.of(3)],
];

/**
 * A bound in the question: "over 20 points", "at least $5", "3 or more"; not arithmetic such as
 * "2 less than 4 times" or "20 more than half", where a number comes just before the comparison.
 */
const THRESHOLD =
  /(?<!\d[\w$%,.]*\s+(?:[A-Za-z]+\s+){0,2})\b(?:over|above|under|below|more than|less than|fewer than|at least|at most|no more than|exceeds?|greater than)\s+\$?\d(?![\d,.]*\s*(?:times|as (?:many|much)))|\d\s+or\s+(?:more|less|fewer|greater|above|below)\b/i;
/** A condition on a bound that is not a number ("if it exceeds the limit"). */
const CONDITION = /\b(?:if|when|unless)\b[^.?!]*\b(?:at least|at most|exceeds?|greater than)\b/i;
/** An offer whose price depends on how many are bought ("buy one get one free", "3 for the price of 2"). */
const OFFER = /\bbuy (?:one|\d+),? get (?:one|\d+)|\bfor the price of\b|\bBOGO\b/i;
/** A comparison in the solution's prose. */
const COMPARISON = /[<>≥≤]|\bexceed/i;

function isConditional(question: string, answer: string): boolean {
  const prose = answer.replace(/<<[^<>]*>>/g, " ");
  const durations =
    /\bover (?:the (?:next |past )?)?\d+\s+(?:days?|weeks?|months?|years?|hours?|minutes?)\b/gi;
  const q = question.replace(durations, " ");
  return THRESHOLD.test(q) || CONDITION.test(q) || OFFER.test(question) || COMPARISON.test(prose);
}

const HUNDRED = Rational.of(100);
const PERCENT = Rational.of(1, 100);

/** Candidates beyond this many joint readings are not enumerated; each operand must then agree alone. */
const MAX_READINGS = 4096;

/** Lifts a problem's worked solution into a program, or says why it cannot be done safely. */
export function liftProgram(question: string, answer: string): LiftResult {
  const solution = parseSolution(answer);
  if (solution.problem) return fail(solution.problem, `solution: ${solution.problem.replace(/_/g, " ")}`);
  const quantities = scanQuantities(question);
  const constants = CONSTANTS.filter(([cue]) => cue === null || cue.test(question)).map(([, value]) => value);
  // Counts the question states in words ("her mom and her sister"): fixed values a solution may
  // write as digits, so they are candidates beside any question number equal to them.
  const implied: Array<{ source: Source; value: Rational }> = [];
  const impliedValues: Rational[] = [];
  for (const count of impliedCounts(question)) {
    const group = count.plusOneOf;
    if (group === undefined) {
      if (!impliedValues.some((c) => c.equals(count.value))) impliedValues.push(count.value);
      continue;
    }
    const q = quantities.find((x) => x.start === group.start);
    if (q === undefined) continue;
    implied.push({
      source: {
        type: "derived",
        op: "+",
        left: { type: "quantity", quantity: q.index, form: "value" },
        right: { type: "constant", value: Rational.ONE },
      },
      value: count.value,
    });
  }
  const steps: BoundStep[] = [];
  const asksPercent = /\bpercent(?:age)?\b[^.?!]*\?|%[^.?!]*\?/i.test(question);

  // Every form of every quantity, evaluated once: binding compares many operands against them.
  const quantityForms = quantities.flatMap((q) =>
    q.forms.map((form) => ({
      source: { type: "quantity", quantity: q.index, form } as Source,
      value: evaluateForm(q, form, q.value),
      denominatorOfNonFraction: form === "denominator" && q.kind !== "fraction",
    })),
  );
  const candidates = (value: Rational, divisor: boolean, upToStep: number): Source[] => {
    const found: Source[] = [];
    for (const f of quantityForms) {
      if (f.denominatorOfNonFraction && !divisor) continue;
      if (f.value.equals(value)) found.push(f.source);
    }
    for (let s = 0; s < upToStep; s++) {
      if ((steps[s] as BoundStep).value.equals(value)) found.push({ type: "step", step: s });
    }
    for (const c of constants) if (c.equals(value)) found.push({ type: "constant", value: c });
    for (const c of impliedValues) {
      if (c.equals(value) && !constants.some((k) => k.equals(c)))
        found.push({ type: "constant", value: c, implied: true });
    }
    for (const i of implied) if (i.value.equals(value)) found.push(i.source);
    return found;
  };
  const knownValues = (upToStep: number): Array<{ source: Source; value: Rational }> => {
    const known: Array<{ source: Source; value: Rational }> = quantityForms.map((f) => ({
      source: f.source,
      value: f.value,
    }));
    for (let s = 0; s < upToStep; s++)
      known.push({ source: { type: "step", step: s }, value: (steps[s] as BoundStep).value });
    for (const c of constants) known.push({ source: { type: "constant", value: c }, value: c });
    return known;
  };
  const candidatesOrDerived = (value: Rational, divisor: boolean, upToStep: number): Source[] => {
    const direct = candidates(value, divisor, upToStep);
    return direct.length > 0 ? direct : derivations(value, knownValues(upToStep));
  };

  for (const [index, syntax] of solution.steps.entries()) {
    // A percentage: a question's "60%", its complement (40 of "60%"), or a result shown as "40%".
    const hasPercentValue = (k: number): boolean =>
      candidates((syntax.literals[k] as Literal).value, false, index).some(
        (s) =>
          (s.type === "quantity" &&
            quantities[s.quantity]?.kind === "percent" &&
            (s.form === "value" || s.form === "percent-complement")) ||
          (s.type === "step" && shownAsPercent(steps[s.step] as BoundStep, answer)),
      );
    const operands = syntax.literals.map((lit, j) => {
      // In a chain (`3/2 = 1.50 + 3.00 = 4.50`) an operand is the very text of an earlier result.
      const chained = steps.findIndex((s) => s.syntax.results.some((r) => r.start === lit.start));
      if (chained >= 0) return [{ type: "step", step: chained } as Source];
      let found = candidatesOrDerived(lit.value, lit.divisor, index);
      // The 100 of percentages divides, complements or scales a percentage; anywhere else it is
      // not that constant (it is "$100").
      const percentUse =
        lit.divisor || asksPercent || syntax.literals.some((_, k) => k !== j && hasPercentValue(k));
      // `p * x / 100` with p a percentage: that divisor is the constant, whatever else equals 100.
      if (lit.divisor && found.some((s) => s.type === "constant" && s.value.equals(HUNDRED))) {
        const numerator = dividendLiterals(syntax.expr, j);
        if (numerator.some((k) => k !== j && hasPercentValue(k))) {
          found = found.filter((s) => s.type === "constant" && s.value.equals(HUNDRED));
        }
      }
      if (!percentUse) {
        const kept = found.filter(
          (s) => s.type !== "constant" || !(s.value.equals(HUNDRED) || s.value.equals(PERCENT)),
        );
        if (kept.length > 0) found = kept;
      }
      // "half" as a factor of 2 is a reading of last resort; as a divisor it is the natural one.
      // An ordinal ("a second hot dog") is a count like any other: it stays a candidate.
      const natural = found.filter(
        (s) => s.type !== "quantity" || lit.divisor || (s.form !== "reciprocal" && s.form !== "denominator"),
      );
      return natural.length > 0 ? natural : found;
    });
    // A result shown as a percentage ("100-60 = 40%") is made of percentages, not of money.
    if (shownAsPercent({ syntax } as BoundStep, answer)) {
      operands.forEach((sources, j) => {
        const kept = sources.filter(
          (s) =>
            !(s.type === "step" && steps[s.step]?.syntax.money) &&
            !(s.type === "quantity" && quantities[s.quantity]?.money),
        );
        if (kept.length > 0) operands[j] = kept;
      });
    }
    const unbound = operands.findIndex((c) => c.length === 0);
    if (unbound >= 0) {
      const lit = syntax.literals[unbound];
      return fail(
        "unbound_operand",
        `operand ${lit?.text} of step ${index + 1} matches no quantity, step or constant`,
      );
    }
    // A restated value (`<<8=8>>`) must restate an earlier step; otherwise it was computed off the page.
    if (syntax.restatement && !operands[0]?.some((s) => s.type === "step" || s.type === "derived")) {
      return fail(
        "unannotated_value",
        `step ${index + 1} restates ${syntax.writtenText} without computing it`,
      );
    }
    let exact: Rational;
    try {
      exact = evaluate(
        syntax.expr,
        syntax.literals.map((l) => l.value),
      );
    } catch {
      return fail("division_by_zero", `step ${index + 1} divides by zero`);
    }
    let roundedTo: number | null = null;
    if (!exact.equals(syntax.written)) {
      const places = syntax.written.decimalPlaces() ?? 0;
      const writtenPlaces = (syntax.writtenText.split(".")[1] ?? "").length;
      if (
        writtenPlaces > 0 &&
        places <= writtenPlaces &&
        exact.roundTo(writtenPlaces).equals(syntax.written)
      ) {
        roundedTo = writtenPlaces;
      } else {
        return fail(
          "annotation_mismatch",
          `step ${index + 1} computes ${exact.toString()} but the solution writes ${syntax.writtenText}`,
        );
      }
    }
    steps.push({ syntax, operands, value: roundedTo === null ? exact : syntax.written, roundedTo });
  }
  claimMultiplierWords(quantities, steps);
  doubtMoneyCounts(quantities, steps, answer);

  const finalValue = (solution.final as NonNullable<ParsedSolution["final"]>).value;
  // By the data set's convention the last computed value is the answer; other equal values are coincidences.
  const last = steps[steps.length - 1];
  let finalSources: Source[] = last?.value.equals(finalValue)
    ? [{ type: "step", step: steps.length - 1 }]
    : candidatesOrDerived(finalValue, false, steps.length).filter((s) => s.type !== "constant");
  // An answer asked in other units (cents for a result in dollars) converts the last result.
  const isLast = (x: Source) => x.type === "step" && x.step === steps.length - 1;
  const converted = finalSources.filter(
    (s) =>
      s.type === "derived" &&
      ((isLast(s.left) && s.right.type === "constant" && (s.op === "*" || s.op === "/")) ||
        (isLast(s.right) && s.left.type === "constant" && s.op === "*")),
  );
  if (converted.length > 0) finalSources = converted;
  // Any other value made off the page from two known values is a guess at the solution's last
  // step (60 as 6000 / 100, beside a "3600/6000*100% = 60%" the engine cannot read): refused.
  else finalSources = finalSources.filter((s) => s.type !== "derived");
  // With no step read, the solution's arithmetic is in a form the engine cannot parse: matching
  // the answer to a question number, or to a value computed off the page from them, would be a
  // guess at its structure (coincidences match), so the problem is refused.
  if (steps.length === 0) finalSources = [];
  if (finalSources.length === 0) {
    return fail(
      "final_answer_unbound",
      steps.length === 0
        ? `no solution step could be read, so final answer ${finalValue.toString()} cannot be traced`
        : `final answer ${finalValue.toString()} is no step result or quantity`,
    );
  }
  const proseSources = solution.prose.map((token) => {
    if (
      token.kind !== "integer" &&
      token.kind !== "decimal" &&
      token.kind !== "percent" &&
      token.kind !== "number-word"
    ) {
      return [];
    }
    // Prose can show a result computed on its own line or earlier, never one computed further down.
    const lineEnd = answer.indexOf("\n", token.end);
    const visible = steps.filter((s) => s.syntax.at <= (lineEnd < 0 ? answer.length : lineEnd)).length;
    const found = candidates(token.value, false, visible);
    // "$5" in prose is an amount of money: a count of 5 people elsewhere is not what it shows.
    const sameKind = found.filter((s) => {
      if (s.type !== "quantity") return true;
      const q = quantities[s.quantity] as Quantity;
      return q.money === token.money && (q.kind === "percent") === (token.kind === "percent");
    });
    return sameKind.length > 0 ? sameKind : found;
  });
  narrowByContext(question, quantities, steps, solution, proseSources);
  // An operand written as money (`$5 - $1`) is an amount: where the only number it could be is a
  // constant (a count or a conversion factor), the amount was worked out off the page ("100 cents
  // = $1"), and a program that held it fixed would answer wrongly once its sources change.
  for (const [i, step] of steps.entries()) {
    for (const [j, sources] of step.operands.entries()) {
      if (sources.every((src) => src.type === "constant") && writtenAsMoney(step, j, answer)) {
        return fail(
          "unbound_operand",
          `operand $${step.syntax.literals[j]?.text} of step ${i + 1} is an amount no quantity or step gives`,
        );
      }
    }
  }
  // Only after the operands are bound, and only for rewriting the prose itself (what a prose number
  // shows says nothing about which operand a line's arithmetic uses, so this must not feed
  // narrowByContext):
  // - "$100" written with a dollar sign is an amount, not a constant: constants are counts and
  //   conversion factors. ("100 cents" may well be the constant, so only `$` counts here.)
  // - "20 candles" counts what the question's "20 candles" counts, and a result the solution wrote
  //   as money ("$20.00" of supplies) is another thing with the same value.
  solution.prose.forEach((token, k) => {
    let kept = proseSources[k] ?? [];
    if (kept.length < 2) return;
    if (token.style.currency === "$") {
      const amounts = kept.filter((s) => s.type !== "constant");
      if (amounts.length > 0) kept = proseSources[k] = amounts;
      // Nor is it a result the solution showed as a number of things ("= 4 containers"), when an
      // amount of money (a `$` quantity, a result written as money) has the value too.
      const things = kept.filter(
        (s) =>
          !(
            s.type === "step" &&
            !steps[s.step]?.syntax.money &&
            steps[s.step]?.syntax.results.some((r) => {
              const noun = nounAfter(answer, r.end);
              return noun !== null && !NOT_COUNT_NOUNS.has(noun);
            })
          ),
      );
      const moneyLeft = things.some(
        (s) =>
          (s.type === "quantity" && quantities[s.quantity]?.money) ||
          (s.type === "step" && steps[s.step]?.syntax.money),
      );
      if (moneyLeft && things.length < kept.length) kept = proseSources[k] = things;
    }
    const noun = nounAfter(answer, token.end);
    const counted =
      !token.money &&
      noun !== null &&
      kept.some(
        (s) =>
          s.type === "quantity" &&
          !quantities[s.quantity]?.money &&
          nounAfter(question, (quantities[s.quantity] as Quantity).end) === noun,
      );
    if (!counted) return;
    const counts = kept.filter((s) => !(s.type === "step" && steps[s.step]?.syntax.money));
    if (counts.length > 0) proseSources[k] = counts;
  });
  const joint =
    jointReadings(steps, finalSources, quantities)?.filter((r) =>
      percentConstantsFit(r, steps, quantities),
    ) ?? null;
  const readings = joint && dropMoneyProducts(joint, steps, quantities, question, answer);
  return {
    ok: true,
    program: {
      question,
      quantities,
      solution,
      steps,
      finalSources,
      finalValue,
      proseSources,
      readings,
      conditional: isConditional(question, answer),
    },
  };
}

/**
 * The word right after a number (`candles` in "20 candles", `hour` in "eight-hour"), singular and
 * lower case; null if none.
 */
function nounAfter(text: string, end: number): string | null {
  const m = /^(?:[ \t]+|-)([A-Za-z]{3,})\b/.exec(text.slice(end, end + 40));
  if (!m) return null;
  return (m[1] as string).toLowerCase().replace(/s$/, "");
}

/**
 * Uses what the solution's own words say about an operand with several candidate sources: a prose
 * copy written as money (`$15 * 33 = <<15*33=495>>`) is not a count or a conversion factor, and a
 * number on the same line that plainly shows one of the candidates (`pays $15.00 per class ...
 * 15*495`) names which one the line works with.
 */
function narrowByContext(
  question: string,
  quantities: Quantity[],
  steps: BoundStep[],
  solution: ParsedSolution,
  proseSources: Source[][],
): void {
  const lineOf = (pos: number): number => solution.text.slice(0, pos).split("\n").length;
  for (const step of steps) {
    const line = lineOf(step.syntax.at);
    step.operands.forEach((sources, j) => {
      if (sources.length < 2) return;
      let narrowed = sources;
      if (writtenAsMoney(step, j, solution.text)) {
        narrowed = narrowed.filter(
          (s) =>
            s.type === "step" ||
            s.type === "derived" ||
            (s.type === "quantity" && quantities[s.quantity]?.money),
        );
      }
      const literal = step.syntax.literals[j];
      // The parts of one fraction go together: beside its numerator, a candidate denominator is it.
      const partner = narrowed.filter(
        (s) =>
          s.type === "quantity" &&
          s.form === "denominator" &&
          step.operands.some(
            (o, k) =>
              k !== j &&
              o.length === 1 &&
              o[0]?.type === "quantity" &&
              o[0].quantity === s.quantity &&
              o[0].form === "numerator",
          ),
      );
      if (partner.length > 0) narrowed = partner;
      // Money times a count is money: in a product written as money, the operand that could be
      // either is the money one when its partner is plainly a count of things ("8 packs", not
      // "at 8 each"), and not the money one when its partner is an amount written as money. Only a
      // question number the text marks as money or as a count is dropped: a computed value may be
      // either (a profit per jar of 6 beside a "$6" price), so it stays a candidate.
      if (step.syntax.money && step.syntax.expr.op === "*" && step.syntax.literals.length === 2) {
        const other = step.operands[1 - j] ?? [];
        const isMoney = (s: Source): boolean =>
          s.type === "quantity" && quantities[s.quantity]?.money === true;
        const otherIsCount = other.every(
          (s) => s.type === "quantity" && countedThing(question, quantities, s.quantity),
        );
        const otherIsMoney = other.every(isMoney);
        const money = narrowed.filter((s) => isMoney(s) || s.type === "step" || s.type === "derived");
        const notMoney = narrowed.filter((s) => !isMoney(s));
        if (otherIsCount && money.length > 0) narrowed = money;
        else if (otherIsMoney && notMoney.length > 0) narrowed = notMoney;
      }
      // Every source the line's prose plainly shows with this value: a line that shows the value as
      // two things (`20%` and `$20.00` of an order) names neither.
      const shown = new Set<string>();
      let shownQuantity: number | null = null;
      solution.prose.forEach((token, k) => {
        const bound = proseSources[k] ?? [];
        const only = bound[0];
        if (bound.length !== 1 || !only || !literal || !token.value.equals(literal.value)) return;
        if (lineOf(token.start) !== line) return;
        const key = entityKey(only);
        if (key === null) return;
        // "three" does not show "$3": a number shows an amount only when written as one.
        if (only.type === "quantity" && quantities[only.quantity]?.money !== token.money) return;
        shown.add(key);
        if (only.type === "quantity") shownQuantity = only.quantity;
      });
      // A step with two operands of this value (`2 / 2`) may use two different things: the line
      // showing the value once does not say which operand is the thing it shows.
      const twin = step.syntax.literals.some((l, k) => k !== j && literal && l.value.equals(literal.value));
      if (shown.size === 1 && shownQuantity !== null && !twin) {
        const quantity = shownQuantity;
        const named = narrowed.filter((s) => s.type === "quantity" && s.quantity === quantity);
        if (named.length > 0) narrowed = named;
      }
      if (narrowed.length > 0) step.operands[j] = narrowed;
    });
  }
}

/** Whether the solution shows a step's result as a percentage (`<<100-60=40>>40%`). */
function shownAsPercent(step: BoundStep, answer: string): boolean {
  return step.syntax.results.some((r) => /^\s?(?:%|percent\b)/.test(answer.slice(r.end, r.end + 9)));
}

/**
 * Whether the question writes a quantity as a number of things: no amount of money, followed by a
 * noun that counts ("8 packs"), not by a rate or a price word ("8 each", "8 per hour", "8 dollars").
 */
function countedThing(question: string, quantities: Quantity[], index: number): boolean {
  const q = quantities[index];
  if (q === undefined || q.money || q.kind === "percent") return false;
  const noun = nounAfter(question, q.end);
  return noun !== null && !NOT_COUNT_NOUNS.has(noun);
}

/**
 * Whether operand `j` of a step is written as an amount of money: its prose copy has a dollar sign
 * (`$15 * 33 = <<15*33=495>>`), or, in plain-text arithmetic, the operand itself has one (`$4 - $2 = $2`).
 */
function writtenAsMoney(step: BoundStep, j: number, text: string): boolean {
  if (step.syntax.mirrors.some((m) => m.literal === j && m.money)) return true;
  const literal = step.syntax.literals[j];
  return (
    step.syntax.kind === "plain" &&
    literal !== undefined &&
    /\$\s?$/.test(text.slice(Math.max(0, literal.start - 2), literal.start))
  );
}

/**
 * A step the solution shows as a number of things ("= 6 cups of coffee") cannot be money, yet if
 * an operand could only be a question's amount of money ("$3") and the step multiplies it by counts,
 * it would be: that operand is then more likely a count the question never writes as a digit ("she
 * and two of her friends" are 3). Such an operand also gets that unwritten count as a candidate,
 * so a change to the amount is refused rather than carried into the count.
 */
function doubtMoneyCounts(quantities: Quantity[], steps: BoundStep[], answer: string): void {
  const moneyOnly = (sources: Source[]): boolean =>
    sources.length > 0 &&
    sources.every((s) => s.type === "quantity" && quantities[s.quantity]?.money === true);
  for (const step of steps) {
    if (step.syntax.money) continue;
    const shownAsThings = step.syntax.results.some((r) => {
      if (r.inAnnotation) return false;
      const noun = nounAfter(answer, r.end);
      return noun !== null && !NOT_COUNT_NOUNS.has(noun) && !/^(?:dollar|cent|buck)/.test(noun);
    });
    if (!shownAsThings) continue;
    const isMoney = (expr: Expr): boolean | null => {
      if (expr.op === "lit") return moneyOnly(step.operands[expr.literal] ?? []);
      if (expr.op === "neg" || expr.op === "round") return isMoney(expr.arg);
      const left = isMoney(expr.left);
      const right = isMoney(expr.right);
      if (left === null || right === null) return null;
      return combine(expr.op, left, right);
    };
    if (isMoney(step.syntax.expr) !== true) continue;
    step.operands.forEach((sources, j) => {
      const lit = step.syntax.literals[j];
      if (lit && moneyOnly(sources)) sources.push({ type: "constant", value: lit.value, implied: true });
    });
  }
}

/**
 * Words like "half" or "a third" exist in a question to be used. When exactly one operand of the
 * solution can be such a word, that operand is the word, and other readings of it are dropped.
 */
function claimMultiplierWords(quantities: Quantity[], steps: BoundStep[]): void {
  for (const q of quantities) {
    if (q.kind !== "multiplier-word" && q.kind !== "fraction") continue;
    const users: Array<[BoundStep, number]> = [];
    for (const step of steps) {
      step.operands.forEach((c, i) => {
        if (c.some((s) => s.type === "quantity" && s.quantity === q.index)) users.push([step, i]);
      });
    }
    if (users.length !== 1) continue;
    const [step, i] = users[0] as [BoundStep, number];
    step.operands[i] = (step.operands[i] as Source[]).filter(
      (s) => s.type === "quantity" && s.quantity === q.index,
    );
  }
}

const operandKey = (step: number, operand: number): string => `${step}:${operand}`;

/** A count the question states in words: an ordinal ("a second hot dog"), listed people, "she and her 2 friends". */
function isImplied(source: Source, quantities: Quantity[]): boolean {
  if (source.type === "constant") return source.implied === true;
  if (source.type === "quantity") return quantities[source.quantity]?.kind === "ordinal-word";
  return (
    source.type === "derived" &&
    source.right.type === "constant" &&
    source.right.value.equals(Rational.ONE) &&
    source.op === "+" &&
    source.left.type === "quantity"
  );
}

function entityKey(source: Source): string | null {
  if (source.type === "quantity") return `q${source.quantity}`;
  if (source.type === "step") return `s${source.step}`;
  return null;
}

/**
 * Enumerates the joint readings of all ambiguous operands. A question number or a step result that
 * only ambiguous operands could use must be used by one of them: problems state numbers to use
 * them, and solutions compute values to use them. The readings that use the most of them are kept,
 * and all of those must agree. Nothing else ranks readings: a result used twice is as good a
 * reading as a literal that happens to equal it (a "10%" beside a subtotal of 10), so such
 * readings must agree too. An ordinal ("the second day") is no number stated to be used.
 */
function jointReadings(steps: BoundStep[], finalSources: Source[], quantities: Quantity[]): Reading[] | null {
  const points: Array<{ key: string; sources: Source[] }> = [];
  const usedElsewhere = new Set<string>();
  steps.forEach((step, i) => {
    step.operands.forEach((sources, j) => {
      if (sources.length > 1) points.push({ key: operandKey(i, j), sources });
      else if (sources[0]) markUsed(sources[0], usedElsewhere);
    });
  });
  if (finalSources.length === 1 && finalSources[0]) markUsed(finalSources[0], usedElsewhere);
  if (points.length === 0) return [];
  let total = 1;
  for (const p of points) {
    total *= p.sources.length;
    if (total > MAX_READINGS) return null;
  }
  // An operand that may be a count the text states in words (an ordinal, listed people) may be
  // that count whatever else goes unused: its readings are never ranked.
  const free = new Set(
    points.filter((p) => p.sources.some((s) => isImplied(s, quantities))).map((p) => p.key),
  );
  const mustUse = new Set<string>();
  for (const p of points) {
    if (free.has(p.key)) continue;
    for (const source of p.sources) {
      const key = entityKey(source);
      if (key && !usedElsewhere.has(key)) mustUse.add(key);
    }
  }
  let best: Reading[] = [];
  let bestCoverage = -1;
  const choose = (k: number, reading: Reading): void => {
    if (k === points.length) {
      const used = new Set<string>();
      for (const [key, source] of reading) if (!free.has(key)) markUsed(source, used);
      const coverage = [...mustUse].filter((key) => used.has(key)).length;
      if (coverage > bestCoverage) {
        best = [];
        bestCoverage = coverage;
      }
      if (coverage === bestCoverage) best.push(new Map(reading));
      return;
    }
    const point = points[k] as { key: string; sources: Source[] };
    for (const source of point.sources) {
      reading.set(point.key, source);
      choose(k + 1, reading);
    }
    reading.delete(point.key);
  };
  choose(0, new Map());
  return best;
}

/**
 * In a reading, the 100 of percentages may stand outside a division only next to a percentage
 * (100 - 30 with 30%); beside an amount (100 - 30 where 30 is a computed discount) it is not the constant.
 */
function percentConstantsFit(reading: Reading, steps: BoundStep[], quantities: Quantity[]): boolean {
  return steps.every((step, i) =>
    step.syntax.literals.every((lit, j) => {
      const chosen =
        reading.get(operandKey(i, j)) ?? (step.operands[j]?.length === 1 ? step.operands[j]?.[0] : undefined);
      if (chosen?.type !== "constant" || lit.divisor) return true;
      if (!chosen.value.equals(HUNDRED) && !chosen.value.equals(PERCENT)) return true;
      if (!reading.has(operandKey(i, j))) return true;
      return step.syntax.literals.some((_, k) => {
        if (k === j) return false;
        const other =
          reading.get(operandKey(i, k)) ??
          (step.operands[k]?.length === 1 ? step.operands[k]?.[0] : undefined);
        return other?.type === "quantity" && quantities[other.quantity]?.kind === "percent";
      });
    }),
  );
}

/** Where a question prices something per dollar ("5 cents per dollar"), money may multiply money. */
const PER_DOLLAR = /\b(?:per|every|each|a|an|for|on the|on each|on every) dollar\b/i;

/** Words after a number that make it a rate or an amount, not a count of things ("15 per hour"). */
const NOT_COUNT_NOUNS = new Set([
  "per",
  "each",
  "every",
  "apiece",
  "for",
  "dollar",
  "buck",
  "cent",
  "penny",
  "pennie",
  "euro",
  "pound",
  "quid",
]);

/**
 * Money times money is no quantity a grade-school problem asks for. A reading that multiplies two
 * amounts of money (a price written with `$` or as dollars, a result the solution writes with `$`,
 * or a value the reading itself makes out of money: `$20 / 5` is money, and so is a result
 * computed from it) misreads a value that only coincides with a count. So does a reading that
 * makes a result written as money out of no money, by taking something that is plainly no amount
 * (a constant, a percentage, a count of things: "20 candles") where a price could stand. Such
 * readings are dropped, unless every reading does it or the question prices something per dollar.
 */
function dropMoneyProducts(
  readings: Reading[],
  steps: BoundStep[],
  quantities: Quantity[],
  question: string,
  answer: string,
): Reading[] {
  if (readings.length < 2 || PER_DOLLAR.test(question)) return readings;
  // The nouns the question counts: the word after a number that is no amount ("2 hot dogs": hot).
  const countedNouns = new Set<string>();
  for (const q of quantities) {
    const noun = q.money ? null : nounAfter(question, q.end);
    if (noun !== null && !NOT_COUNT_NOUNS.has(noun)) countedNouns.add(noun);
  }
  const moneyQuantity = (source: Source): boolean => {
    if (source.type !== "quantity") return false;
    const q = quantities[source.quantity];
    return (
      source.form === "value" && q?.money === true && !/cents?\b/i.test(question.slice(q.end, q.end + 8))
    );
  };
  const fits = (reading: Reading): boolean => {
    // Per step, under this reading: whether its value is an amount of money, and whether it is
    // plainly a count (made only of constants, percentages and counted things).
    const stepMoney: boolean[] = [];
    const stepCount: boolean[] = [];
    const chosenIn = (i: number, j: number): Source | undefined => {
      const step = steps[i] as BoundStep;
      return (
        reading.get(operandKey(i, j)) ?? (step.operands[j]?.length === 1 ? step.operands[j]?.[0] : undefined)
      );
    };
    // null: a product of two amounts of money.
    const isMoney = (source: Source | undefined): boolean | null => {
      if (!source) return false;
      if (source.type === "quantity") return moneyQuantity(source);
      if (source.type === "step") return stepMoney[source.step] ?? steps[source.step]?.syntax.money === true;
      if (source.type === "constant") return false;
      const left = isMoney(source.left);
      const right = isMoney(source.right);
      if (left === null || right === null) return null;
      return combine(source.op, left, right);
    };
    const isCount = (source: Source | undefined): boolean => {
      if (!source) return false;
      if (source.type === "constant") return true;
      if (source.type === "step") return stepCount[source.step] === true;
      if (source.type === "derived") return isCount(source.left) && isCount(source.right);
      const q = quantities[source.quantity] as Quantity;
      if (q.money) return false;
      if (q.kind === "percent") return true;
      const noun = nounAfter(question, q.end);
      return noun !== null && !NOT_COUNT_NOUNS.has(noun);
    };
    for (const [i, step] of steps.entries()) {
      const chosen = (j: number): Source | undefined => chosenIn(i, j);
      const money = (expr: Expr): boolean | null => {
        if (expr.op === "lit") return isMoney(chosen(expr.literal));
        if (expr.op === "neg" || expr.op === "round") return money(expr.arg);
        const left = money(expr.left);
        const right = money(expr.right);
        if (left === null || right === null) return null;
        return combine(expr.op, left, right);
      };
      const amount = money(step.syntax.expr);
      if (amount === null) return false;
      // A result written as money comes from money: where the reading takes something plainly no
      // amount (a count or a conversion factor) for an operand that could be a price, and nothing
      // else in the step is money, that choice is the misreading.
      if (step.syntax.money && !amount) {
        const misread = step.operands.some((sources, j) => {
          const pick = chosen(j);
          return (
            pick !== undefined &&
            sources.length > 1 &&
            isCount(pick) &&
            sources.some((src) => src !== pick && isMoney(src) === true)
          );
        });
        if (misread) return false;
      }
      // A result the solution shows as a number of the things the question counts ("40 hot dogs",
      // as in "2 hot dogs" each) is no amount of money: the reading that makes it one misreads.
      if (
        amount &&
        !step.syntax.money &&
        step.syntax.results.some((r) => countedNouns.has(nounAfter(answer, r.end) ?? ""))
      ) {
        return false;
      }
      // A ratio of two amounts (`$20 / $5`) is a count even where the solution writes it with `$`.
      const ratio =
        step.syntax.expr.op === "/" &&
        money(step.syntax.expr.left) === true &&
        money(step.syntax.expr.right) === true;
      stepMoney[i] = amount || (step.syntax.money && !ratio);
      stepCount[i] = !step.syntax.money && step.syntax.literals.every((_, j) => isCount(chosen(j)));
    }
    return true;
  };
  const kept = readings.filter(fits);
  return kept.length > 0 ? kept : readings;
}

/** Whether `left op right` is money, given whether each side is; null for money times money. */
function combine(op: "+" | "-" | "*" | "/", left: boolean, right: boolean): boolean | null {
  if (op === "*") return left && right ? null : left || right;
  if (op === "/") return left && !right;
  return left || right;
}

/** The question quantities some operand or the final answer may read, directly or through a derivation. */
export function quantitiesRead(program: Program): Set<number> {
  const read = new Set<number>();
  const visit = (source: Source): void => {
    if (source.type === "quantity") read.add(source.quantity);
    if (source.type === "derived") {
      visit(source.left);
      visit(source.right);
    }
  };
  for (const step of program.steps) for (const sources of step.operands) sources.forEach(visit);
  program.finalSources.forEach(visit);
  return read;
}

function markUsed(source: Source, used: Set<string>): void {
  const key = entityKey(source);
  if (key) used.add(key);
  if (source.type === "derived") {
    markUsed(source.left, used);
    markUsed(source.right, used);
  }
}

/** The literals of the dividend of the division whose divisor is literal `j` (empty if none). */
function dividendLiterals(expr: Expr, j: number): number[] {
  if (expr.op === "lit") return [];
  if (expr.op === "neg" || expr.op === "round") return dividendLiterals(expr.arg, j);
  if (expr.op === "/" && expr.right.op === "lit" && expr.right.literal === j) return literalsOf(expr.left);
  return [...dividendLiterals(expr.left, j), ...dividendLiterals(expr.right, j)];
}

function literalsOf(expr: Expr): number[] {
  if (expr.op === "lit") return [expr.literal];
  if (expr.op === "neg" || expr.op === "round") return literalsOf(expr.arg);
  return [...literalsOf(expr.left), ...literalsOf(expr.right)];
}

function applyOp(op: "+" | "-" | "*" | "/", a: Rational, b: Rational): Rational {
  return op === "+" ? a.add(b) : op === "-" ? a.sub(b) : op === "*" ? a.mul(b) : a.div(b);
}

/** Values below this are too easy to hit by coincidence to trust a derivation of them. */
const MIN_DERIVED = Rational.of(2);

/**
 * Every way to get `value` with one operation on two sources. A solution sometimes computes a
 * value in its head; when the value is distinctive (not small), the ways of reaching it are its
 * candidate sources, and they must all agree under a perturbation like any other candidates.
 */
function derivations(value: Rational, sources: Array<{ source: Source; value: Rational }>): Source[] {
  if (value.compare(MIN_DERIVED) < 0) return [];
  const found: Source[] = [];
  for (const a of sources) {
    for (const b of sources) {
      if (a === b) continue;
      for (const op of ["+", "-", "*", "/"] as const) {
        if (op === "/" && b.value.num === 0n) continue;
        if ((op === "+" || op === "*") && a.value.compare(b.value) > 0) continue;
        if (applyOp(op, a.value, b.value).equals(value))
          found.push({ type: "derived", op, left: a.source, right: b.source });
      }
    }
  }
  return found;
}

function fail(reason: NotPerturbableReason, detail: string): LiftResult {
  return { ok: false, reason, detail };
}

/** A source's value under new quantity values, or `ambiguous` when its candidates disagree. */
export class AmbiguityError extends Error {
  override readonly name = "AmbiguityError";
}

export interface Execution {
  stepValues: Rational[];
  /** Each step's literal values, in order. */
  literalValues: Rational[][];
  finalValue: Rational;
  quantityValues: Rational[];
}

/**
 * Runs the program with some quantities replaced. Where an operand has several candidate sources,
 * every admissible joint reading must give the same step values and answer; if they do not, which
 * one the solution meant decides the answer, so this throws AmbiguityError instead of guessing.
 */
export function execute(program: Program, replaced: ReadonlyMap<number, Rational>): Execution {
  const result = tryExecute(program, replaced);
  if (result === null)
    throw new AmbiguityError("numbers with several possible sources now give different results");
  return result;
}

/**
 * As execute, but returns null on ambiguity: searches try many replacements, and most are refused,
 * so refusals must not cost an exception each.
 */
export function tryExecute(program: Program, replaced: ReadonlyMap<number, Rational>): Execution | null {
  const quantityValues = program.quantities.map((q) => replaced.get(q.index) ?? q.value);
  if (program.readings === null || program.readings.length === 0) {
    return run(program, quantityValues, null);
  }
  let first: Execution | null = null;
  for (const reading of program.readings) {
    const result = run(program, quantityValues, reading);
    if (result === null) return null;
    if (!first) {
      first = result;
      continue;
    }
    const differs =
      !result.finalValue.equals(first.finalValue) ||
      result.stepValues.some((v, i) => !v.equals(first?.stepValues[i] as Rational));
    if (differs) return null;
  }
  return first;
}

/** One execution under one reading; null when some operand's remaining candidates disagree. */
function run(program: Program, quantityValues: Rational[], reading: Reading | null): Execution | null {
  const stepValues: Rational[] = [];
  const literalValues: Rational[][] = [];
  const resolve = (sources: Source[]): Rational | null => {
    let agreed: Rational | null = null;
    for (const s of sources) {
      const v = sourceValue(program, s, quantityValues, stepValues);
      if (agreed && !agreed.equals(v)) return null;
      agreed ??= v;
    }
    return agreed;
  };
  for (const [i, step] of program.steps.entries()) {
    const values: Rational[] = [];
    for (const [j, sources] of step.operands.entries()) {
      const chosen = reading?.get(operandKey(i, j));
      const value = resolve(chosen ? [chosen] : sources);
      if (value === null) return null;
      values.push(value);
    }
    literalValues.push(values);
    const exact = evaluate(step.syntax.expr, values);
    stepValues.push(step.roundedTo === null ? exact : exact.roundTo(step.roundedTo));
  }
  const finalValue = resolve(program.finalSources);
  if (finalValue === null) return null;
  return { stepValues, literalValues, finalValue, quantityValues };
}

export function sourceValue(
  program: Program,
  source: Source,
  quantityValues: readonly Rational[],
  stepValues: readonly Rational[],
): Rational {
  switch (source.type) {
    case "constant":
      return source.value;
    case "step":
      return stepValues[source.step] as Rational;
    case "quantity": {
      const q = program.quantities[source.quantity] as Quantity;
      return evaluateForm(q, source.form, quantityValues[source.quantity] as Rational);
    }
    case "derived":
      return applyOp(
        source.op,
        sourceValue(program, source.left, quantityValues, stepValues),
        sourceValue(program, source.right, quantityValues, stepValues),
      );
  }
}
