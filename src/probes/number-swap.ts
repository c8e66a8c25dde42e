import type { AnalyzedProblem, Program, Rational } from "../perturb/index.js";
import { quantitiesRead } from "../perturb/program.js";
import type { Quantity } from "../perturb/quantities.js";
import { valueOptions } from "../perturb/values.js";
import type { Rng } from "../util/rng.js";
import {
  bump,
  type Found,
  instancesParam,
  mostFrequent,
  takeDistinct,
  tryReplacement,
} from "./replacement.js";
import type { Probe, ProbeFactory, ProbeOutcome, ProbeVariant } from "./types.js";

interface SwapOptions {
  name: string;
  /** Only money amounts may change (the pizza-price probe). */
  moneyOnly: boolean;
  /** How many quantities change together, one variant per entry, with the kind name for each. */
  kinds: Array<{ kind: string; count: number }>;
  /** Seeded retries (other quantities, other values) before giving up on a kind. */
  attempts: number;
  /**
   * When no single quantity can change, amounts written identically (`$5` twice) may change
   * together: the solution cannot tell such copies apart, and moving them as one keeps it so.
   */
  tiedAmounts: boolean;
  /** Distinct number instantiations per kind (`--instances`). */
  instances: number;
}

function makeSwapProbe(options: SwapOptions): Probe {
  return {
    name: options.name,
    changesAnswer: true,
    params: {
      kinds: options.kinds,
      attempts: options.attempts,
      moneyOnly: options.moneyOnly,
      // Recorded only when asked for, so runs without --instances keep their configuration.
      ...(options.instances > 1 ? { instances: options.instances } : {}),
    },
    apply: (analyzed, rng) => swap(analyzed, rng, options),
  };
}

function swap(analyzed: AnalyzedProblem, rng: Rng, options: SwapOptions): ProbeOutcome {
  const { lift } = analyzed;
  if (!lift.ok) return { variants: [], reason: lift.reason };
  const program = lift.program;
  if (program.conditional) return { variants: [], reason: "conditional_logic" };
  // Only numbers the program reads may change: an unread number is either a distractor or read in a
  // way the engine did not see, and the second would make the recomputed answer wrong.
  const read = quantitiesRead(program);
  const eligible = program.quantities.filter(
    (q) => q.perturbable && (!options.moneyOnly || q.money) && read.has(q.index),
  );
  if (eligible.length === 0)
    return { variants: [], reason: options.moneyOnly ? "no_money_amount" : "no_perturbable_quantity" };

  const variants: ProbeVariant[] = [];
  const failures = new Map<string, number>();
  for (const { kind, count } of options.kinds) {
    if (eligible.length < count) continue;
    const search = searchSwap(program, eligible, count, rng, options.attempts, failures, options.tiedAmounts);
    variants.push(...takeDistinct(search, options.instances, kind));
  }
  const refused = Object.fromEntries(failures);
  if (variants.length > 0) return { variants, refused };
  return { variants, reason: mostFrequent(failures) ?? "no_sensible_value", refused };
}

/**
 * Tries seeded combinations of quantities and values, yielding each one that gives a verified,
 * sensible problem. Quantities are visited in random order and each one's admissible values in
 * random order, so a quantity with few workable values (a price that must stay divisible) is still
 * found. The caller takes as many as it needs; the search stops there.
 */
function* searchSwap(
  program: Program,
  eligible: Quantity[],
  count: number,
  rng: Rng,
  attempts: number,
  failures: Map<string, number>,
  tiedAmounts = false,
): Generator<Found> {
  const choices = eligible.map((q) => ({ q, values: rng.shuffle(valueOptions(q)) }));
  let yielded = false;
  const judged = new Map<string, string>();
  for (let attempt = 0; attempt < attempts; attempt++) {
    const chosen = count === 1 ? [choices[attempt % choices.length]] : rng.shuffle(choices).slice(0, count);
    const replaced = new Map<number, Rational>();
    for (const choice of chosen) {
      if (!choice || choice.values.length === 0) continue;
      const round = count === 1 ? Math.floor(attempt / choices.length) : rng.int(0, choice.values.length - 1);
      const value = choice.values[round % choice.values.length];
      if (value) replaced.set(choice.q.index, value);
    }
    if (replaced.size !== count) {
      bump(failures, "no_alternative_value");
      continue;
    }
    // Random pairs repeat. A repeat is judged as before without the work (it is counted again, as
    // it always was), and a repeat of a found variant is no new instance.
    const key = [...replaced].map(([i, v]) => `${i}=${v.toString()}`).join(",");
    const before = judged.get(key);
    if (before === FOUND) continue;
    if (before !== undefined) {
      bump(failures, before);
      continue;
    }
    const tried = new Map<string, number>();
    const found = tryReplacement(program, replaced, tried);
    for (const [code, n] of tried) bump(failures, code, n);
    judged.set(key, found ? FOUND : ([...tried.keys()][0] as string));
    if (found) {
      yielded = true;
      yield found;
    }
  }
  if (count !== 1) return;
  // One quantity at a time, the seeded rounds above give each quantity attempts / n of its values.
  // A quantity whose few workable values lie further down its shuffled list (a price that must keep
  // every step whole) is still found: the values no round reached are tried, in the same seeded
  // order, before giving up. Problems the rounds served are untouched, so their variants stay as
  // they were.
  for (const [i, choice] of choices.entries()) {
    const tried = Math.floor(attempts / choices.length) + (i < attempts % choices.length ? 1 : 0);
    for (let round = tried; round < choice.values.length; round++) {
      const value = choice.values[round] as Rational;
      const found = tryReplacement(program, new Map([[choice.q.index, value]]), failures);
      if (found) {
        yielded = true;
        yield found;
      }
    }
  }
  // Tied amounts only stand in where no single amount could change.
  if (!tiedAmounts || yielded) return;
  for (const choice of choices) {
    const tied = eligible.filter((q) => q.money && q.text === choice.q.text);
    // Each group once, from its first member.
    if (tied.length < 2 || tied[0] !== choice.q) continue;
    for (const value of choice.values) {
      const found = tryReplacement(program, new Map(tied.map((q) => [q.index, value])), failures);
      if (found) yield found;
    }
  }
}

/** What `judged` holds for a replacement that made a variant (else the refusal's code). */
const FOUND = "";

/** Changes one quantity (and, in a second variant, two) to new values of the same kind. */
export const numberSwap: ProbeFactory = (params = {}) =>
  makeSwapProbe({
    name: "number-swap",
    moneyOnly: false,
    kinds: [
      { kind: "one-quantity", count: 1 },
      { kind: "two-quantities", count: 2 },
    ],
    attempts: Number(params.attempts ?? 150),
    tiedAmounts: false,
    instances: instancesParam(params),
  });

/** Changes one money amount: the pizza-price probe. */
export const priceEdit: ProbeFactory = (params = {}) =>
  makeSwapProbe({
    name: "price-edit",
    moneyOnly: true,
    kinds: [{ kind: "one-price", count: 1 }],
    attempts: Number(params.attempts ?? 150),
    tiedAmounts: true,
    instances: instancesParam(params),
  });

export type { Quantity };
