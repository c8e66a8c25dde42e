import type { Expr } from "./expression.js";
import { asksForMeasure, measuredBy } from "./measures.js";
import type { Execution, Program, Source } from "./program.js";
import type { Quantity } from "./quantities.js";
import { Rational } from "./rational.js";

/**
 * Why a recomputed problem would not make sense as a grade-school problem. Stable codes: they are
 * counted in `litmus perturb --stats` (`guards`) and returned by `litmus recompute`.
 */
export type NotSensible =
  | "fractional_count"
  | "negative_value"
  | "zero_value"
  | "long_decimal"
  | "same_answer"
  | "part_exceeds_whole"
  | "age_out_of_range"
  | "exceeds_period"
  | "long_work_week"
  | "fixed_by_nature"
  | "no_such_bill"
  | "contradicts_pair_word"
  | "count_shapes_solution"
  | "price_order_flipped"
  | "speed_out_of_range"
  | "proportion_stated"
  | "percent_over_100"
  | "probability_over_1"
  | "part_exceeds_group"
  | "multiplied_chance_over_100";

/**
 * One number of the problem before and after the change: a question quantity, an operand, a step
 * result or the final answer, with the words around it that say what it measures.
 */
export interface Observation {
  before: Rational;
  after: Rational;
  /** An amount of money: a whole amount may gain cents. */
  amount: boolean;
  /**
   * A measure that may take a fractional value (hours, pounds, miles: src/perturb/measures.ts); set
   * only when the caller lets measures become fractional (the `decimal` probe), else false.
   */
  divisible: boolean;
  /** The text just after the number ("hours a day", " years old") and just before it. */
  following: string;
  preceding: string;
  /** The final answer: `following` is then the question's asking sentence. */
  isAnswer: boolean;
}

/** A check on one observation; `holds` must hold after the change wherever it held before. */
interface ValueRule {
  code: NotSensible;
  description: string;
  /** Where the rule applies: to probe variants only (a probe can pick another value), or to both. */
  scope?: "probe";
  /** Whether the rule speaks about this number at all. */
  applies: (o: Observation) => boolean;
  holds: (value: Rational, o: Observation) => boolean;
}

const ZERO = Rational.ZERO;

/** `limit` of a unit per period, as cues in the text after a number or in the asking sentence. */
function perPeriod(
  unit: string,
  period: string,
  limit: number,
  code: NotSensible = "exceeds_period",
): ValueRule {
  const after = new RegExp(String.raw`^[\s-]*${unit}\s+(?:a|per|each|every|in a|in one)\s+${period}\b`, "i");
  const asked = new RegExp(
    String.raw`\bhow many ${unit}\b[^?]*\b(?:a|per|each|every|in a|in one)\s+${period}\b`,
    "i",
  );
  return {
    code,
    description: `at most ${limit} ${unit.replace(/\W.*$/, "")} per ${period}`,
    applies: (o) => (o.isAnswer ? asked.test(o.following) : after.test(o.following)),
    holds: (v) => v.compare(Rational.of(limit)) <= 0,
  };
}

/** The fastest a person moves by each means, in miles an hour (a km/h figure may be 1.61 times it). */
const TOP_SPEEDS: Array<[string, RegExp, number]> = [
  ["walking", /\b(?:walk|walks|walked|walking|hike|hikes|hiked|hiking|stroll\w*)\b/i, 5],
  ["running", /\b(?:run|runs|ran|running|jog|jogs|jogged|jogging|sprint\w*)\b/i, 15],
  ["swimming", /\b(?:swim|swims|swam|swimming)\b/i, 6],
  ["cycling", /\b(?:bike|bikes|biked|biking|cycle|cycles|cycled|cycling|bicycle\w*)\b/i, 35],
];

/** A person's speed by the means the text names ("ran ... 10 miles for an hour"). */
function speedLimit(name: string, verbs: RegExp, mph: number): ValueRule {
  // "5 miles per hour less than half their speed" is a difference of speeds, not a speed.
  const miles =
    /^[\s-]*(?:miles?\s+(?:per|an|for an|in an|in one|each|every|a)\s+hour|mph|miles? an hour)\b(?!\s+(?:less|more|faster|slower)\b)/i;
  const km =
    /^[\s-]*(?:(?:km|kilometers?|kilometres?)\s+(?:per|an|for an|in an|in one|each|every|a)\s+hour|km\/h|kph)\b(?!\s+(?:less|more|faster|slower)\b)/i;
  return {
    code: "speed_out_of_range",
    description: `a person ${name} goes at most ${mph} miles an hour`,
    applies: (o) =>
      !o.isAnswer && (miles.test(o.following) || km.test(o.following)) && verbs.test(o.preceding),
    holds: (v, o) => v.compare(Rational.of(km.test(o.following) ? Math.ceil(mph * 1.61) : mph)) <= 0,
  };
}

/** Work of more than 60 hours a week (12 a day) is no ordinary job; the work must be named. */
function workLimit(period: string, limit: number): ValueRule {
  const base = perPeriod("hours?", period, limit, "long_work_week");
  const work = /\bwork|\bjob\b|\bshifts?\b|\bemploy|\bovertime\b/i;
  return { ...base, applies: (o) => base.applies(o) && work.test(o.preceding + o.following) };
}

/**
 * The plausibility rules, as data. Each is checked on every number of a changed problem; a rule
 * that the original already broke says nothing about the change and is skipped.
 */
export const VALUE_RULES: readonly ValueRule[] = [
  {
    code: "fractional_count",
    description:
      "a whole value stays whole; a whole amount of money may gain cents, no finer part (and, for the decimal probe, a measure of time, weight, distance or volume two decimal places)",
    scope: "probe",
    applies: (o) => o.before.isInteger(),
    holds: (v, o) => v.isInteger() || ((o.amount || o.divisible) && (v.decimalPlaces() ?? 3) <= 2),
  },
  {
    // A hand edit may make an average or a length fractional; never a number of people or things.
    code: "fractional_count",
    description: "a count of people or things stays whole (no 5.5 guests)",
    applies: (o) => o.before.isInteger() && !o.amount && countsThings(o),
    holds: (v) => v.isInteger(),
  },
  {
    code: "negative_value",
    description: "a value that was not negative stays so (no -25 cows)",
    applies: () => true,
    holds: (v) => !v.isNegative(),
  },
  {
    code: "zero_value",
    description: "a value that was not zero stays so",
    applies: (o) => !o.isAnswer || o.before.num !== 0n,
    holds: (v) => v.num !== 0n,
  },
  {
    code: "long_decimal",
    description: "at most two decimal places, or as many as the original had",
    applies: () => true,
    holds: (v, o) => {
      const places = v.decimalPlaces();
      return places !== null && places <= Math.max(2, o.before.decimalPlaces() ?? 2);
    },
  },
  {
    code: "age_out_of_range",
    description: "a human age is within 0 to 120 years",
    applies: (o) =>
      o.isAnswer
        ? /\bhow old\b|\bwhat (?:is|was|will be) (?:the |his |her |their )?(?:\w+ )?age\b/i.test(o.following)
        : /^[\s-]*years?[\s-]+old\b/i.test(o.following) ||
          /\b(?:aged?|age of|age is|turns?|turned)\s*$/i.test(o.preceding),
    holds: (v) => v.compare(ZERO) >= 0 && v.compare(Rational.of(120)) <= 0,
  },
  perPeriod("hours?", "day", 24),
  perPeriod("hours?", "week", 168),
  perPeriod("days?", "week", 7),
  perPeriod("days?", "month", 31),
  perPeriod("days?", "year", 366),
  perPeriod("weeks?", "year", 53),
  perPeriod("months?", "year", 12),
  perPeriod("minutes?", "hour", 60),
  workLimit("day", 12),
  workLimit("week", 60),
  {
    code: "probability_over_1",
    description: "a probability asked as a fraction (at most 1 before) stays at most 1",
    applies: (o) => o.isAnswer && ASKS_CHANCE.test(o.following) && !PERCENT_WORD.test(o.following),
    holds: (v) => v.compare(Rational.ONE) <= 0,
  },
  {
    // A part "of which" scaled past its group, asked as a percentage: thousands of percent.
    code: "percent_over_100",
    description: "an answer asked as a percentage of a whole, a chance or a probability stays at most 100",
    applies: (o) => o.isAnswer && asksShare(o.following),
    holds: (v) => v.compare(Rational.of(100)) <= 0,
  },
  ...TOP_SPEEDS.map(([name, verbs, mph]) => speedLimit(name, verbs, mph)),
];

/** An asking sentence that asks for a chance ("What is the probability ...", "percentage chance"). */
const ASKS_CHANCE = /\b(?:probability|chance|likelihood)\b/i;
const PERCENT_WORD = /\bpercent(?:age)?\b|%/i;
/** "What percentage of the marbles", "what percent of the tank's water". */
const ASKS_PERCENT_OF = /\bwhat(?: is the| was the)? (?:percent(?:age)?|%) of\b/i;
/**
 * A comparison or a change may pass 100% ("What percentage more are they making", "How much more
 * likely"): such a question says nothing about a whole.
 */
const COMPARES =
  /\b(?:more|less|fewer|increase[sd]?|decrease[sd]?|greater|higher|lower|growth|grew|markup|profit|return)\b/i;

/** Whether the asking sentence asks for a share of a whole or a chance, which cannot pass 100%. */
function asksShare(asking: string): boolean {
  return (ASKS_PERCENT_OF.test(asking) || ASKS_CHANCE.test(asking)) && !COMPARES.test(asking);
}

/** Units of measure: a value followed by one of these may be fractional. */
const MEASURES = new Set(
  `hour minute second day week month year mile foot feet inch yard meter metre kilometer km cm mm
  pound lb ounce oz gram kg kilogram liter litre ml gallon quart pint cup tablespoon teaspoon dozen
  percent degree acre square cubic mph bolt time part portion half third quarter serving batch load
  dollar cent buck point unit hundred thousand million billion`.split(/\s+/),
);

/** Whether a number counts people or things: "5 guests", "How many apples", not "5 hours". */
function countsThings(o: Observation): boolean {
  const noun = o.isAnswer
    ? /\bhow many ([a-z]+)/i.exec(o.following)?.[1]
    : /^[ \t]+([a-z]+)/i.exec(o.following)?.[1];
  if (noun === undefined) return false;
  const word = singular(noun.toLowerCase());
  return (
    !MEASURES.has(word) &&
    !MEASURES.has(word.replace(/s$/, "")) &&
    /^[a-z]{3,}$/.test(word) &&
    !/ly$/.test(word)
  );
}

/** A question number that is a fact of the world, not of the problem: "all 4 legs", "24 hours in a day". */
const PARTS_OF_ONE =
  /^[\s-]*(?:legs?|wheels?|wings?|eyes?|ears?|arms?|hands?|fingers?|toes?|paws?|hooves|horns?|sides?|corners?|vertices|edges|faces)\b/i;
/** Things people make with as many legs or sides as they like. */
const MADE_THINGS = /\b(?:tables?|chairs?|stools?|benches|bench|desks?|beds?|shapes?|polygons?|dice|die)\b/i;
const FIXED_BY_NATURE =
  /^[\s-]*(?:hours? in (?:a|one|each) day|days? in (?:a|one|each) (?:week|year)|minutes? in (?:an|one|each) hour|seconds? in (?:a|one|each) minute|months? in (?:a|one|each) year|weeks? in (?:a|one|each) year|inches in (?:a|one) foot|feet in (?:a|one) yard|ounces in (?:a|one) pound|cents in (?:a|one) dollar|eggs in (?:a|one) dozen)\b/i;
/** Banknotes that exist ("$60 bills" do not). */
const BILLS = new Set([1, 2, 5, 10, 20, 50, 100]);
/** Words that say a count is two ("the other", "both"): a 2 beside them is that pair. */
const PAIR_WORD = /\b(?:both|either|neither)\b|\bthe other\b(?!\s+half)/i;
/** Words that compare prices ("only $6 of the cost of a normal movie", "cheaper", "on sale"). */
const PRICE_COMPARISON =
  /\bonly\b|\bcheap|\bdiscount|\bon sale\b|\boff\b|\binstead of\b|\bof the (?:cost|price)\b|\bsav(?:e|es|ed|ing)\b|\bless than\b|\bmore than\b|\bexpensive\b/i;

/** A rule on the question's changed numbers and on relations between numbers. */
interface RelationRule {
  code: NotSensible;
  description: string;
  broken: (program: Program, execution: Execution, changed: readonly Quantity[]) => boolean;
}

/** A question that says its amounts are proportional ("2 sandwiches for $3, 4 for $6 ... proportional"). */
const PROPORTION_STATED = /\bproportional(?:ly)?\b/i;

export const RELATION_RULES: readonly RelationRule[] = [
  {
    // One amount changed alone breaks the stated proportion, and the recomputed answer would follow
    // whichever pair the solution happened to read (a hand-checked digit-expansion variant did).
    code: "proportion_stated",
    description: "amounts the question calls proportional do not change one at a time",
    broken: (program, _, changed) => changed.length > 0 && PROPORTION_STATED.test(program.question),
  },
  {
    code: "part_exceeds_whole",
    description: "a part the question asks for, or a part a step computes, stays within its whole",
    broken: (program, execution) =>
      partExceedsWhole(program, execution) || stepExceedsWhole(program, execution),
  },
  {
    code: "part_exceeds_group",
    description:
      '"N of which / of them / of whom / of those" stays within the count it refers to (the nearest count before it)',
    broken: (program, execution) => partOfGroupExceedsGroup(program, execution),
  },
  {
    code: "multiplied_chance_over_100",
    description: 'a stated chance times a multiplier ("three times more likely") stays at most 100%',
    broken: (program, execution) => multipliedChanceOver100(program, execution),
  },
  {
    code: "age_out_of_range",
    description: "an age at a past event stays below the ages given for now",
    broken: (program, execution) => pastAgeExceedsPresent(program, execution),
  },
  {
    code: "fixed_by_nature",
    description: "legs of an animal, hours in a day and the like do not change",
    broken: (program, _, changed) =>
      changed.some((q) => {
        const after = program.question.slice(q.end, q.end + 30);
        const before = program.question.slice(Math.max(0, q.start - 30), q.start);
        // "all 4 legs" of one animal, not "1100 legs" to see at the zoo, nor a table's legs.
        return (
          FIXED_BY_NATURE.test(after) ||
          (PARTS_OF_ONE.test(after) && q.value.compare(Rational.of(10)) <= 0 && !MADE_THINGS.test(before))
        );
      }),
  },
  {
    code: "no_such_bill",
    description: "a banknote is $1, $2, $5, $10, $20, $50 or $100",
    broken: (program, execution, changed) =>
      changed.some((q) => {
        if (!q.money || !/^\s*bills?\b/i.test(program.question.slice(q.end, q.end + 8))) return false;
        const after = execution.quantityValues[q.index] as Rational;
        return !(after.isInteger() && BILLS.has(Number(after.num)));
      }),
  },
  {
    code: "contradicts_pair_word",
    description: 'a 2 the text also calls "both" or "the other" stays 2',
    broken: (program, _, changed) =>
      changed.some((q) => q.value.equals(Rational.of(2))) && PAIR_WORD.test(program.question),
  },
  {
    code: "count_shapes_solution",
    description:
      "a count that the solution writes out term by term (4 levels, 4 terms summed) does not change",
    broken: (program, _, changed) =>
      changed.some((q) => {
        if (
          !q.value.isInteger() ||
          q.value.compare(Rational.of(3)) < 0 ||
          q.value.compare(Rational.of(12)) > 0
        ) {
          return false;
        }
        // The solution adds n terms (one per level, per day) and then works that sum with the count
        // itself ("240 / 4" levels): with another count it would add another number of terms.
        const n = Number(q.value.num);
        const reads = (sources: readonly Source[], pick: (s: Source) => boolean) => sources.some(pick);
        return program.steps.some(
          (sum, i) =>
            sum.syntax.literals.length === n &&
            onlyAdds(sum.syntax.expr) &&
            program.steps.some(
              (later) =>
                later.operands.some((o) => reads(o, (s) => s.type === "step" && s.step === i)) &&
                later.operands.some((o) => reads(o, (s) => s.type === "quantity" && s.quantity === q.index)),
            ),
        );
      }),
  },
  {
    code: "price_order_flipped",
    description: "where the question compares prices, a changed price keeps its order with the others",
    broken: (program, execution, changed) => {
      if (!PRICE_COMPARISON.test(program.question)) return false;
      const prices = program.quantities.filter((q) => q.money);
      return changed.some(
        (q) =>
          q.money &&
          prices.some((other) => {
            if (other === q) return false;
            const before = q.value.compare(other.value);
            const after = (execution.quantityValues[q.index] as Rational).compare(
              execution.quantityValues[other.index] as Rational,
            );
            return before !== 0 && after !== before;
          }),
      );
    },
  },
];

/** The words that make a count a part of the group counted just before it: "3 of which have spots". */
const OF_GROUP = /^[ \t]+of\s+(?:which|them|whom|those|these)\b/i;
/** Counts of people or things, as written: not money, not a percentage, not a year. */
const GROUP_COUNT_KINDS: ReadonlySet<Quantity["kind"]> = new Set(["integer", "number-word"]);

/**
 * "8 marbles, 3 of which are red", "asks 10 friends ... 8 of them agree": the part may
 * not exceed the nearest count before it that is not itself such a part (the group it refers to),
 * where it did not before. Both the part and the group may have changed.
 */
function partOfGroupExceedsGroup(program: Program, execution: Execution): boolean {
  const { question, quantities } = program;
  const isPart = (q: Quantity) => OF_GROUP.test(question.slice(q.end, q.end + 20));
  const counts = quantities.filter((q) => !q.money && GROUP_COUNT_KINDS.has(q.kind));
  return counts.some((part) => {
    if (!isPart(part)) return false;
    const group = counts.filter((q) => q.end <= part.start && !isPart(q)).at(-1);
    if (group === undefined) return false;
    const after = (q: Quantity) => execution.quantityValues[q.index] as Rational;
    return part.value.compare(group.value) <= 0 && after(part).compare(after(group)) > 0;
  });
}

/** A percentage the question states as a chance: "a 20% chance of rain". */
const CHANCE_AFTER = /^\s+(?:chance|probability|likelihood)\b/i;
/** A multiplier of a chance: "three times more likely", "5 times as likely" (not "less likely"). */
const LIKELIER_AFTER = /^[\s-]+times\s+(?:more\s+|as\s+)?likely\b/i;

/**
 * "a 20% chance of winning and a second ticket that's three times more likely to win": the
 * multiplied chance (read as the product, as GSM8K's solutions do) may not pass 100% where it did
 * not before. The chance is the nearest one stated before the multiplier.
 */
function multipliedChanceOver100(program: Program, execution: Execution): boolean {
  const { question, quantities } = program;
  const chances = quantities.filter(
    (q) => q.kind === "percent" && CHANCE_AFTER.test(question.slice(q.end, q.end + 20)),
  );
  const hundred = Rational.of(100);
  return quantities.some((m) => {
    if (!LIKELIER_AFTER.test(question.slice(m.end, m.end + 30))) return false;
    const chance = chances.filter((c) => c.end <= m.start).at(-1);
    if (chance === undefined) return false;
    const after = (q: Quantity) => execution.quantityValues[q.index] as Rational;
    return (
      chance.value.mul(m.value).compare(hundred) <= 0 && after(chance).mul(after(m)).compare(hundred) > 0
    );
  });
}

function onlyAdds(expr: Expr): boolean {
  if (expr.op === "lit") return true;
  if (expr.op === "+") return onlyAdds(expr.left) && onlyAdds(expr.right);
  return false;
}

/**
 * "How many of the 40 guests did not get ...": a part of a group counted in the question. The
 * answer may not exceed the largest count the question gives of what it asks about, where the
 * asking sentence picks out a part ("of the", "did not", "left").
 */
const PART_CUE =
  /\bhow many (?:[a-z]+ )?of (?:the|them|these|those|her|his|their|all)\b|\b(?:did(?:n't| not)|do(?:n't| not)|does(?:n't| not)|were(?:n't| not)|was(?:n't| not)|are(?:n't| not)|is(?:n't| not)|never|left|remain\w*|still|without|missing)\b/i;

/** The noun a "How many X" question asks about, singular and lower case; null if none. */
function askedNoun(asking: string): string | null {
  const m = /\bhow many ([a-z]+)/i.exec(asking);
  return m ? singular((m[1] as string).toLowerCase()) : null;
}

function singular(word: string): string {
  if (word === "people" || word === "persons") return "person";
  if (word === "children") return "child";
  return word.replace(/(?:ies)$/, "y").replace(/(?<!s)s$/, "");
}

/** The noun right after a quantity, singular and lower case ("40 guests" -> guest). */
function nounAfterQuantity(question: string, q: Quantity): string | null {
  const m = /^[ \t]+([A-Za-z]+)/.exec(question.slice(q.end, q.end + 30));
  return m ? singular((m[1] as string).toLowerCase()) : null;
}

/** The sentence of the question that asks for the answer (the last with a question mark, or the last). */
export function askingSentence(question: string): string {
  // The last run of text ending in `?` with no sentence end inside: what /[^.?!]*[?]/g's last match
  // is, found from the end (that regex retries from every position, which is quadratic in a long
  // sentence and was the guards' largest cost).
  const mark = question.lastIndexOf("?");
  if (mark >= 0) {
    const start =
      mark === 0
        ? 0
        : Math.max(
            question.lastIndexOf(".", mark - 1),
            question.lastIndexOf("!", mark - 1),
            question.lastIndexOf("?", mark - 1),
          ) + 1;
    return question.slice(start, mark + 1).trim();
  }
  const all = question.split(/(?<=[.!])\s+/);
  return (all[all.length - 1] ?? question).trim();
}

/**
 * A changed problem must stay a sensible problem: every rule of VALUE_RULES on every number, the
 * part-whole rule on the answer, and (for probes) an answer that actually changed. Returns the
 * first broken rule's code, or null.
 */
export function checkSensible(
  program: Program,
  execution: Execution,
  options: {
    requireChange?: boolean;
    rules?: ReadonlySet<NotSensible>;
    /**
     * Measures (hours, pounds, miles; src/perturb/measures.ts) may become fractional: the `decimal`
     * probe's premise. Counts of people and things still stay whole.
     */
    fractionalMeasures?: boolean;
  } = {},
): NotSensible | null {
  const probe = options.rules === undefined;
  const enabled = (code: NotSensible): boolean =>
    probe || (options.rules as ReadonlySet<NotSensible>).has(code);
  for (const o of observations(program, execution, options.fractionalMeasures === true)) {
    for (const rule of VALUE_RULES) {
      if (!enabled(rule.code) || (rule.scope === "probe" && !probe) || !rule.applies(o)) continue;
      if (rule.holds(o.before, o) && !rule.holds(o.after, o)) return rule.code;
    }
  }
  const changed = program.quantities.filter(
    (q) => !q.value.equals(execution.quantityValues[q.index] as Rational),
  );
  for (const rule of RELATION_RULES) {
    if (enabled(rule.code) && rule.broken(program, execution, changed)) return rule.code;
  }
  if ((options.requireChange ?? true) && execution.finalValue.equals(program.finalValue))
    return "same_answer";
  return null;
}

/** The rules `litmus recompute` applies to a hand edit: plausibility, not the probes' taste in numbers. */
export const RECOMPUTE_RULES: ReadonlySet<NotSensible> = new Set<NotSensible>([
  "fractional_count",
  "negative_value",
  "part_exceeds_whole",
  "age_out_of_range",
  "exceeds_period",
  "long_work_week",
  "fixed_by_nature",
  "no_such_bill",
  "contradicts_pair_word",
  "count_shapes_solution",
  "speed_out_of_range",
  "percent_over_100",
  "probability_over_1",
  "part_exceeds_group",
  "multiplied_chance_over_100",
]);

/** Kinds of quantity that count things. */
const COUNT_KINDS: ReadonlySet<Quantity["kind"]> = new Set(["integer", "decimal", "number-word"]);

/** Words that take a part out of what there is: "the guests ate 11 sandwiches", "she sold 30". */
const TAKES_PART =
  /\b(?:ate|eat|eats|eaten|used|uses|use|sold|sells|sell|gave|gives|give|given|took|takes|take|taken|lost|loses|lose|spent|spends|spend|broke|broken|drank|drinks|drink|picked|picks|tested|missed|misses|removed|removes)\b/i;

/**
 * A part the solution says was taken ("the guests ate 11 cucumber sandwiches") may not exceed the
 * most the question says there is of that thing ("10 cucumber sandwiches"), where it did not before.
 */
function stepExceedsWhole(program: Program, execution: Execution): boolean {
  const text = program.solution.text;
  return program.steps.some((step, i) => {
    const after = execution.stepValues[i] as Rational;
    const lineStart = text.lastIndexOf("\n", step.syntax.at) + 1;
    const lineEnd = text.indexOf("\n", step.syntax.at);
    if (!TAKES_PART.test(text.slice(lineStart, lineEnd < 0 ? text.length : lineEnd))) return false;
    return step.syntax.results.some((r) => {
      // A sum of money ("gave a $30 discount") is no part of a count of things.
      if (/\$\s*$/.test(text.slice(Math.max(0, r.start - 2), r.start))) return false;
      const noun = nounAfterText(text, r.end);
      return noun !== null && partOutgrowsWhole(program, execution, noun, step.value, after);
    });
  });
}

/**
 * An age at a past event ("born when Morio was 38") may not exceed every age the question gives
 * for now ("Morio is 71"), where it did not before.
 */
function pastAgeExceedsPresent(program: Program, execution: Execution): boolean {
  const ages = program.quantities.filter((q) => {
    const o = {
      following: program.question.slice(q.end, q.end + 20),
      preceding: program.question.slice(Math.max(0, q.start - 40), q.start),
    };
    return (
      /^[\s-]*years?[\s-]+old\b/i.test(o.following) ||
      /\b(?:is|was|were|are|turns?|turned|aged?|age of)\s*$/i.test(o.preceding)
    );
  });
  const past = ages.filter((q) =>
    /\b(?:when|was|were|at the age of|had been)\b[^.?!,]*$/i.test(
      program.question.slice(Math.max(0, q.start - 40), q.start),
    ),
  );
  const present = ages.filter((q) => !past.includes(q));
  if (past.length === 0 || present.length === 0) return false;
  const oldest = (values: readonly Rational[]): Rational =>
    present.map((q) => values[q.index] as Rational).reduce((a, b) => (a.compare(b) >= 0 ? a : b));
  const before = oldest(program.quantities.map((q) => q.value));
  const after = oldest(execution.quantityValues);
  return past.some(
    (q) => q.value.compare(before) <= 0 && (execution.quantityValues[q.index] as Rational).compare(after) > 0,
  );
}

function nounAfterText(text: string, end: number): string | null {
  const m = /^[ \t]+([A-Za-z]+)/.exec(text.slice(end, end + 30));
  return m ? singular((m[1] as string).toLowerCase()) : null;
}

function partExceedsWhole(program: Program, execution: Execution): boolean {
  const asking = askingSentence(program.question);
  const noun = askedNoun(asking);
  if (noun === null || !PART_CUE.test(asking.replace(/^.*?(?=\bhow many\b)/i, ""))) return false;
  return partOutgrowsWhole(program, execution, noun, program.finalValue, execution.finalValue);
}

/**
 * A part of some thing that was at most the most the question says there is of it ("10 cucumber
 * sandwiches", "4 cucumber sandwiches each") and is more than that after the change.
 */
function partOutgrowsWhole(
  program: Program,
  execution: Execution,
  noun: string,
  partBefore: Rational,
  partAfter: Rational,
): boolean {
  // A whole is a count of the thing ("10 sandwiches"), not a rate ("30% discount") or a
  // multiplier ("3 dozen eggs" is 36 eggs, not 12).
  const wholes = program.quantities.filter(
    (q) => !q.money && COUNT_KINDS.has(q.kind) && nounAfterQuantity(program.question, q) === noun,
  );
  if (wholes.length === 0) return false;
  const most = (values: readonly Rational[]): Rational =>
    wholes.map((q) => values[q.index] as Rational).reduce((x, y) => (x.compare(y) >= 0 ? x : y));
  return (
    partBefore.compare(most(program.quantities.map((q) => q.value))) <= 0 &&
    partAfter.compare(most(execution.quantityValues)) > 0
  );
}

/**
 * Every number of the problem before and after the change, with the words around it. With
 * `fractionalMeasures`, a number followed by a divisible unit (and an answer asked as one) is marked
 * `divisible`; so is an operand, which only repeats a quantity or a step checked on its own.
 */
function observations(program: Program, execution: Execution, fractionalMeasures = false): Observation[] {
  const money = moneySteps(program);
  const text = program.solution.text;
  const around = (source: string, start: number, end: number) => {
    const following = source.slice(end, end + 40);
    return {
      following,
      preceding: source.slice(Math.max(0, start - 40), start),
      divisible: fractionalMeasures && measuredBy(following),
    };
  };
  const out: Observation[] = [];
  for (const q of program.quantities) {
    out.push({
      before: q.value,
      after: execution.quantityValues[q.index] as Rational,
      amount: q.money,
      isAnswer: false,
      ...around(program.question, q.start, q.end),
    });
  }
  program.steps.forEach((s, i) => {
    const after = execution.stepValues[i] as Rational;
    const shown = s.syntax.results.filter((r) => !r.inAnnotation);
    const place = shown[shown.length - 1] ?? s.syntax.results[s.syntax.results.length - 1];
    out.push({
      before: s.value,
      after,
      amount: money.has(i),
      isAnswer: false,
      ...(place ? around(text, place.start, place.end) : { following: "", preceding: "", divisible: false }),
    });
    // A sum or difference measures what its terms measure: "3 times a week" plus "2 days a week"
    // is a number of days a week.
    if (s.syntax.expr.op === "+" || s.syntax.expr.op === "-") {
      for (const sources of s.operands) {
        const q =
          sources.length === 1 && sources[0]?.type === "quantity"
            ? program.quantities[sources[0].quantity]
            : undefined;
        if (q === undefined || q.kind === "percent") continue;
        out.push({
          before: s.value,
          after,
          amount: money.has(i),
          isAnswer: false,
          ...around(program.question, q.start, q.end),
        });
      }
    }
    s.syntax.literals.forEach((lit, j) => {
      const sources = s.operands[j] ?? [];
      out.push({
        before: lit.value,
        after: (execution.literalValues[i] as Rational[])[j] as Rational,
        amount: sources.length > 0 && sources.every((src) => isAmount(program, src, money)),
        isAnswer: false,
        following: "",
        preceding: "",
        divisible: fractionalMeasures,
      });
    });
  });
  // Prose that shows a step's value says what it measures ("The baby sleeps 20 hours a day because").
  program.solution.prose.forEach((token, k) => {
    const sources = program.proseSources[k] ?? [];
    const only = sources.length === 1 ? sources[0] : undefined;
    if (only?.type !== "step") return;
    out.push({
      before: program.steps[only.step]?.value as Rational,
      after: execution.stepValues[only.step] as Rational,
      amount: money.has(only.step),
      isAnswer: false,
      ...around(text, token.start, token.end),
    });
  });
  out.push({
    before: program.finalValue,
    after: execution.finalValue,
    amount:
      program.finalSources.length > 0 && program.finalSources.every((src) => isAmount(program, src, money)),
    isAnswer: true,
    following: askingSentence(program.question),
    preceding: "",
    divisible: fractionalMeasures && asksForMeasure(askingSentence(program.question)),
  });
  return out;
}

/**
 * Steps whose result the solution writes as money (`$<<15-3=12>>12`): amounts of money, which may
 * come to dollars and cents where they were whole dollars.
 */
function moneySteps(program: Program): Set<number> {
  const money = new Set<number>();
  program.steps.forEach((s, i) => {
    if (s.syntax.money) money.add(i);
  });
  return money;
}

function isAmount(program: Program, source: Source, money: Set<number>): boolean {
  if (source.type === "step") return money.has(source.step);
  if (source.type === "quantity") return program.quantities[source.quantity]?.money === true;
  return false;
}
