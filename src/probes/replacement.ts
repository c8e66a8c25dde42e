/**
 * One candidate change of a problem's quantities, verified end to end: the program re-executed under
 * every reading, the plausibility guards, the rewritten question and solution, and the question read
 * back, and an answer far enough from the original to count as stale evidence (stale-evidence.ts).
 * Shared by every answer-changing probe, so they refuse for the same reasons.
 */
import { type Program, type Rational, rewriteProblem } from "../perturb/index.js";
import { type Execution, tryExecute } from "../perturb/program.js";
import { type Quantity, scanQuantities } from "../perturb/quantities.js";
import type { WrittenQuantity } from "../perturb/rewrite.js";
import { checkSensible } from "../perturb/sensible.js";
import { ambiguousStaleEvidence } from "./stale-evidence.js";
import type { ProbeVariant } from "./types.js";

export type Found = Omit<ProbeVariant, "kind">;

export interface ReplacementOptions {
  /** The question's text of changed quantities the original style cannot show (`2.5 hours`). */
  written?: ReadonlyMap<number, WrittenQuantity>;
  /** Measures may become fractional (the `decimal` probe). */
  fractionalMeasures?: boolean;
  /**
   * How the changed quantities must read back: `same-kind` (a new value of the same kind, as
   * number-swap promises) or `same-value` (any kind, as long as the text reads as the new value:
   * `3` became `2.5` or `1/2`).
   */
  reread?: "same-kind" | "same-value";
}

/** One candidate replacement, verified end to end; null (and the failure counted) when refused. */
export function tryReplacement(
  program: Program,
  replaced: ReadonlyMap<number, Rational>,
  failures: Map<string, number>,
  options: ReplacementOptions = {},
): Found | null {
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
  const problem = checkSensible(program, execution, {
    ...(options.fractionalMeasures ? { fractionalMeasures: true } : {}),
  });
  if (problem) {
    bump(failures, problem);
    return null;
  }
  // A model that rounds the new answer must not look as if it remembered the old one.
  const ambiguous = ambiguousStaleEvidence(program.finalValue, execution.finalValue);
  if (ambiguous) {
    bump(failures, ambiguous);
    return null;
  }
  const result = rewriteProblem(program, replaced, options.written);
  if (!result.ok) {
    bump(failures, result.reason);
    return null;
  }
  // A new value must read back as the same kind of quantity (1900 would read as a year, 8:16 as a time).
  const reread = scanQuantities(result.value.question);
  const readsBack = (q: Quantity, i: number): boolean => {
    const original = program.quantities[i] as Quantity;
    const value = replaced.get(i);
    if (value !== undefined && options.reread === "same-value") return q.value.equals(value);
    return sameKind(q, original);
  };
  if (reread.length !== program.quantities.length || !reread.every(readsBack)) {
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

export function bump(counts: Map<string, number>, key: string, n = 1): void {
  counts.set(key, (counts.get(key) ?? 0) + n);
}

export function mostFrequent(counts: Map<string, number>): string | undefined {
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

/**
 * The first `limit` distinct variants a seeded search yields (distinct questions), numbered as
 * instances 1, 2, ... in the order found. With a limit of 1 this is exactly the search's first
 * find, so a run without `--instances` keeps the variants it always had.
 */
export function takeDistinct(search: Iterable<Found>, limit: number, kind: string): ProbeVariant[] {
  const out: ProbeVariant[] = [];
  const seen = new Set<string>();
  for (const found of search) {
    if (seen.has(found.question)) continue;
    seen.add(found.question);
    out.push(limit > 1 ? { kind, ...found, instance: out.length + 1 } : { kind, ...found });
    if (out.length >= limit) break;
  }
  return out;
}

/** The `instances` parameter of an answer-changing probe (1 when not given). */
export function instancesParam(params: Record<string, unknown>): number {
  const k = Number(params.instances ?? 1);
  if (!Number.isInteger(k) || k < 1)
    throw new Error(`instances must be a positive integer, got ${String(params.instances)}`);
  return k;
}
