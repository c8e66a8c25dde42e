import type { Rng } from "../util/rng.js";
import type { Quantity } from "./quantities.js";
import { Rational } from "./rational.js";

const MAX_OPTIONS = 200;

/**
 * Proposes a new value for a quantity: same kind, same number of decimals, similar magnitude and
 * equally round (80,000 -> 60,000, $2.50 -> $3.50, 15 -> 12, 40% -> 35%). Null when the quantity
 * has no sensible alternative.
 */
export function proposeValue(q: Quantity, rng: Rng): Rational | null {
  const options = valueOptions(q);
  return options.length === 0 ? null : rng.pick(options);
}

/** Every admissible new value for a quantity, in increasing order (see proposeValue). */
export function valueOptions(q: Quantity): Rational[] {
  const decimals = q.style.word ? 0 : q.style.decimals;
  const scale = 10n ** BigInt(decimals);
  // Work in integer units of the last written digit.
  const units = q.value.mul(Rational.of(scale));
  if (!units.isInteger() || units.num <= 0n) return [];
  const n = Number(units.num);
  if (!Number.isSafeInteger(n * 4)) return [];

  let step = 1;
  while (n % (step * 10) === 0 && n / (step * 10) >= 1) step *= 10;
  if (step === 1 && n % 5 === 0 && n >= 10) step = 5;
  // A lone non-zero digit (`5`, `0.5`) can move by one digit; larger round numbers keep their roundness.
  const lo = Math.max(step, Math.floor((n * 0.5) / step) * step);
  let hi = Math.max(Math.ceil((n * 2) / step) * step, n + 5 * step);
  if (q.style.word) hi = Math.min(hi, 20);
  if (q.kind === "percent" && q.value.compare(Rational.of(100)) <= 0)
    hi = Math.min(hi, 100 * Number(scale) - step);

  const options: number[] = [];
  for (let v = lo; v <= hi; v += step) {
    if (v === n) continue;
    // 1 reads badly in most sentences ("1 apples"), and a decimal that became whole would lose its
    // digits; only money written with cents stays readable when whole ($8.50 -> $17.00, not $1.0).
    if (decimals === 0 && v === 1) continue;
    if (decimals > 0 && !(q.money && decimals === 2) && v % Number(scale) === 0) continue;
    options.push(v);
  }
  // A long range is thinned evenly: a few hundred alternatives are plenty to search.
  const stride = Math.ceil(options.length / MAX_OPTIONS);
  return options.filter((_, i) => i % stride === 0).map((v) => Rational.of(BigInt(v), scale));
}
