import { type AnalyzedProblem, type Program, type Rational, rewriteProblem } from "../perturb/index.js";
import { type Execution, quantitiesRead, tryExecute } from "../perturb/program.js";
import { type Quantity, scanQuantities } from "../perturb/quantities.js";
import { checkSensible } from "../perturb/sensible.js";
import { valueOptions } from "../perturb/values.js";
import type { Rng } from "../util/rng.js";
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
}

function makeSwapProbe(options: SwapOptions): Probe {
  return {
    name: options.name,
    changesAnswer: true,
    params: { kinds: options.kinds, attempts: options.attempts, moneyOnly: options.moneyOnly },
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
    const found = searchSwap(program, eligible, count, rng, options.attempts, failures, options.tiedAmounts);
    if (found) variants.push({ kind, ...found });
  }
  const refused = Object.fromEntries(failures);
  if (variants.length > 0) return { variants, refused };
  return { variants, reason: mostFrequent(failures) ?? "no_sensible_value", refused };
}

/**
 * Tries seeded combinations of quantities and values until one gives a verified, sensible problem.
 * Quantities are visited in random order and each one's admissible values in random order, so a
 * quantity with few workable values (a price that must stay divisible) is still found.
 */
function searchSwap(
  program: Program,
  eligible: Quantity[],
  count: number,
  rng: Rng,
  attempts: number,
  failures: Map<string, number>,
  tiedAmounts = false,
): Omit<ProbeVariant, "kind"> | null {
  const choices = eligible.map((q) => ({ q, values: rng.shuffle(valueOptions(q)) }));
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
    const found = tryReplacement(program, replaced, failures);
    if (found) return found;
  }
  if (count !== 1) return null;
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
      if (found) return found;
    }
  }
  if (!tiedAmounts) return null;
  for (const choice of choices) {
    const tied = eligible.filter((q) => q.money && q.text === choice.q.text);
    // Each group once, from its first member.
    if (tied.length < 2 || tied[0] !== choice.q) continue;
    for (const value of choice.values) {
      const found = tryReplacement(program, new Map(tied.map((q) => [q.index, value])), failures);
      if (found) return found;
    }
  }
  return null;
}

/** One candidate replacement, verified end to end; null (and the failure counted) when refused. */
function tryReplacement(
  program: Program,
  replaced: Map<number, Rational>,
  failures: Map<string, number>,
): Omit<ProbeVariant, "kind"> | null {
  // Check the arithmetic before writing any text: most candidates fail here, and cheaply.
  let execution: Execution | null;
  try {
    execution = tryExecute(program, replaced);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    execution = null; // the new values divide by zero somewhere
  }
  if (!execution) {
    bump(failures, "ambiguous_binding");
    return null;
  }
  const problem = checkSensible(program, execution);
  if (problem) {
    bump(failures, problem);
    return null;
  }
  const result = rewriteProblem(program, replaced);
  if (!result.ok) {
    bump(failures, result.reason);
    return null;
  }
  // A new value must read back as the same kind of quantity (1900 would read as a year, 8:16 as a time).
  const reread = scanQuantities(result.value.question);
  if (
    reread.length !== program.quantities.length ||
    reread.some((q, i) => !sameKind(q, program.quantities[i] as Quantity))
  ) {
    bump(failures, "reads_differently");
    return null;
  }
  return {
    question: result.value.question,
    edits: result.value.edits,
    expected: result.value.expected.toDecimal() as string,
    solution: result.value.solution,
  };
}

/**
 * Whether a re-read quantity is the same kind as the original. An amount of money is integer or
 * decimal by its value alone, and is written with its cents either way (`$8.50` -> `$17.00`), so a
 * price that became whole is still the same price.
 */
function sameKind(reread: Quantity, original: Quantity): boolean {
  if (reread.kind === original.kind) return reread.money === original.money;
  const amount = (q: Quantity) => q.money && (q.kind === "integer" || q.kind === "decimal");
  return amount(reread) && amount(original) && reread.style.decimals === original.style.decimals;
}

function bump(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function mostFrequent(counts: Map<string, number>): string | undefined {
  let best: string | undefined;
  let bestCount = 0;
  for (const [key, n] of counts) {
    if (n > bestCount) {
      best = key;
      bestCount = n;
    }
  }
  return best;
}

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
  });

/** Changes one money amount: the pizza-price probe. */
export const priceEdit: ProbeFactory = (params = {}) =>
  makeSwapProbe({
    name: "price-edit",
    moneyOnly: true,
    kinds: [{ kind: "one-price", count: 1 }],
    attempts: Number(params.attempts ?? 150),
    tiedAmounts: true,
  });

export type { Quantity };
