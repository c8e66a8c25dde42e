/**
 * `decimal` (GSM-Plus's "integer-decimal-fraction conversion"): one whole quantity replaced by a
 * value with a half or a quarter, only where the quantity can take one: an amount of money
 * (`$4` -> `$4.75`) or a measure of time, weight, distance or volume (`3 hours` -> `2.5 hours`,
 * `2 pounds` -> `1/2 pound`; the units are data in src/perturb/measures.ts). People and whole
 * things never. The answer is recomputed exactly; a variant whose numbers stop making sense (5.5
 * guests, an answer with a third of a cent) is refused by the same guards as number-swap, except
 * that measures may now carry two decimal places.
 */
import { type AnalyzedProblem, Rational } from "../perturb/index.js";
import { type UnitAfter, unitAfter } from "../perturb/measures.js";
import { formatInStyle } from "../perturb/numbers.js";
import { quantitiesRead } from "../perturb/program.js";
import type { Quantity } from "../perturb/quantities.js";
import type { Rng } from "../util/rng.js";
import { type Candidate, interleaved } from "./candidates.js";
import { type Found, instancesParam, mostFrequent, takeDistinct, tryReplacement } from "./replacement.js";
import type { Probe, ProbeFactory, ProbeOutcome } from "./types.js";

/** Offsets from the whole value, in quarters: what a grade-school problem writes as .25, .5, .75. */
const QUARTER_OFFSETS = [-3, -2, -1, 1, 2, 3];
const KIND = "one-quantity";
/** Parts of one unit a measure may become, as written ("1/2 pound" reads better than "0.5 pounds"). */
const BELOW_ONE: ReadonlyMap<string, string> = new Map([
  ["0.25", "1/4"],
  ["0.5", "1/2"],
  ["0.75", "3/4"],
]);
/**
 * Amounts from here up are spoken of in whole units (a salary, a house, a river's 4000 gallons):
 * `$41,999.50` or `3999.5 gallons` reads as a puzzle.
 */
const WHOLE_FROM = Rational.of(1000);
/** Only a small measure becomes a part of one unit: 2 pounds -> 1/2 pound, not 40 hours -> 1/4 hour. */
const PARTS_UP_TO = Rational.of(4);
/** A height ("4 feet tall") is a person's or a thing's size: half a foot tall is no child. */
const HEIGHT_AFTER = /^\s+(?:tall|high)\b/i;
/** "25 cents" is money too, but a quarter of a cent is no amount. */
const CENTS_AFTER = /^\s*cents?\b/i;

/** The candidates of one whole quantity: each new value with the text the question shows. */
function candidates(question: string, q: Quantity): Candidate[] {
  if (!q.perturbable || q.kind !== "integer" || q.style.word) return [];
  if (q.money && CENTS_AFTER.test(question.slice(q.end, q.end + 8))) return [];
  if (q.value.compare(WHOLE_FROM) >= 0) return [];
  const unit = q.money ? null : unitAfter(question, q.end);
  if (!q.money && unit === null) return [];
  const near = QUARTER_OFFSETS.map((quarters) => q.value.add(Rational.of(quarters, 4)));
  if (q.money) {
    // Money shows both cent digits: $4.75, $4.50.
    return near.flatMap((value) => {
      const text =
        value.compare(Rational.ZERO) > 0 ? formatInStyle(value, { ...q.style, decimals: 2 }) : null;
      return text === null ? [] : [{ quantity: q.index, value, written: { text } }];
    });
  }
  const measure = unit as UnitAfter;
  // A measure may also become a part of one unit, written as a fraction with the singular noun
  // ("2 pounds" -> "1/2 pound", "3 miles" -> "3/4 mile").
  const small = q.value.compare(PARTS_UP_TO) <= 0 && !HEIGHT_AFTER.test(question.slice(measure.end));
  const parts = small ? [...BELOW_ONE.keys()].map((d) => Rational.parse(d) as Rational) : [];
  return [...near.filter((v) => v.compare(Rational.ONE) >= 0), ...parts].flatMap((value): Candidate[] => {
    if (value.compare(Rational.ONE) >= 0) {
      const text = formatInStyle(value, q.style, true);
      return text === null ? [] : [{ quantity: q.index, value, written: { text } }];
    }
    const fraction = BELOW_ONE.get(value.toString()) as string;
    const between = question.slice(q.end, measure.start);
    return [
      {
        quantity: q.index,
        value,
        written: { text: `${fraction}${between}${measure.unit.singular}`, end: measure.end },
      },
    ];
  });
}

function fractionalize(analyzed: AnalyzedProblem, rng: Rng, instances: number): ProbeOutcome {
  const { lift } = analyzed;
  if (!lift.ok) return { variants: [], reason: lift.reason };
  const program = lift.program;
  if (program.conditional) return { variants: [], reason: "conditional_logic" };
  // As in number-swap: only numbers the program reads may change.
  const read = quantitiesRead(program);
  const perQuantity = program.quantities
    .filter((q) => read.has(q.index))
    .map((q) => candidates(program.question, q));
  if (perQuantity.every((c) => c.length === 0)) return { variants: [], reason: "no_divisible_quantity" };
  const failures = new Map<string, number>();
  function* search(): Generator<Found> {
    for (const c of interleaved(perQuantity, rng)) {
      const found = tryReplacement(program, new Map([[c.quantity, c.value]]), failures, {
        written: new Map(c.written ? [[c.quantity, c.written]] : []),
        fractionalMeasures: true,
        reread: "same-value",
      });
      if (found) yield found;
    }
  }
  const variants = takeDistinct(search(), instances, KIND);
  const refused = Object.fromEntries(failures);
  if (variants.length > 0) return { variants, refused };
  return { variants, reason: mostFrequent(failures) ?? "no_sensible_value", refused };
}

/** Replaces one whole amount of money or measure by a value with a half or a quarter. */
export const decimal: ProbeFactory = (params = {}): Probe => {
  const instances = instancesParam(params);
  return {
    name: "decimal",
    changesAnswer: true,
    params: { quarterOffsets: QUARTER_OFFSETS, ...(instances > 1 ? { instances } : {}) },
    apply: (analyzed, rng) => fractionalize(analyzed, rng, instances),
  };
};
