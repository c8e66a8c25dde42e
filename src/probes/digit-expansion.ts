/**
 * `digit-expansion` (GSM-Plus's "digit expansion"): one quantity the solution reads multiplied by 10,
 * 100 or 1000, the answer recomputed exactly by the engine. Whole results must stay whole, and every
 * plausibility guard of number-swap applies (30 hours a day is refused, 3000 legs of a dog too).
 */
import { type AnalyzedProblem, Rational } from "../perturb/index.js";
import { formatInStyle } from "../perturb/numbers.js";
import { quantitiesRead } from "../perturb/program.js";
import type { Quantity } from "../perturb/quantities.js";
import type { Rng } from "../util/rng.js";
import { type Candidate, interleaved } from "./candidates.js";
import { type Found, instancesParam, mostFrequent, takeDistinct, tryReplacement } from "./replacement.js";
import type { Probe, ProbeFactory, ProbeOutcome } from "./types.js";

export const EXPANSION_FACTORS = [10, 100, 1000] as const;
/** From this value on a number reads better grouped (`30,000`), unless the text never groups. */
const GROUP_FROM = Rational.of(10000);
const KIND = "one-quantity";

/** Quantities that scale: plain whole numbers, number words and amounts of money. */
function scalable(q: Quantity): boolean {
  return (
    q.perturbable && (q.kind === "integer" || q.kind === "number-word" || (q.kind === "decimal" && q.money))
  );
}

function candidates(q: Quantity): Candidate[] {
  return EXPANSION_FACTORS.map((factor) => {
    const value = q.value.mul(Rational.of(factor));
    const grouped = !q.style.word && !q.style.separators && value.compare(GROUP_FROM) >= 0;
    const text = grouped ? formatInStyle(value, { ...q.style, separators: true }) : null;
    return text === null ? { quantity: q.index, value } : { quantity: q.index, value, written: { text } };
  });
}

function expand(analyzed: AnalyzedProblem, rng: Rng, instances: number): ProbeOutcome {
  const { lift } = analyzed;
  if (!lift.ok) return { variants: [], reason: lift.reason };
  const program = lift.program;
  if (program.conditional) return { variants: [], reason: "conditional_logic" };
  // As in number-swap: only numbers the program reads may change.
  const read = quantitiesRead(program);
  const eligible = program.quantities.filter((q) => scalable(q) && read.has(q.index));
  if (eligible.length === 0) return { variants: [], reason: "no_perturbable_quantity" };
  const failures = new Map<string, number>();
  function* search(): Generator<Found> {
    for (const c of interleaved(eligible.map(candidates), rng)) {
      const written = c.written ? new Map([[c.quantity, c.written]]) : undefined;
      const found = tryReplacement(program, new Map([[c.quantity, c.value]]), failures, {
        ...(written ? { written } : {}),
      });
      if (found) yield found;
    }
  }
  const variants = takeDistinct(search(), instances, KIND);
  const refused = Object.fromEntries(failures);
  if (variants.length > 0) return { variants, refused };
  return { variants, reason: mostFrequent(failures) ?? "no_sensible_value", refused };
}

/** Multiplies one quantity by 10, 100 or 1000. */
export const digitExpansion: ProbeFactory = (params = {}): Probe => {
  const instances = instancesParam(params);
  return {
    name: "digit-expansion",
    changesAnswer: true,
    params: { factors: [...EXPANSION_FACTORS], ...(instances > 1 ? { instances } : {}) },
    apply: (analyzed, rng) => expand(analyzed, rng, instances),
  };
};
