/**
 * Seeded order of candidate changes for the one-quantity probes (digit-expansion, decimal):
 * quantities in random order, each one's candidates in random order, interleaved one quantity at a
 * time, so successive instances of a problem change different quantities where they can.
 */
import type { Rational } from "../perturb/index.js";
import type { WrittenQuantity } from "../perturb/rewrite.js";
import type { Rng } from "../util/rng.js";

/** One quantity changed to one value, with how the question writes it (absent: the original style). */
export interface Candidate {
  quantity: number;
  value: Rational;
  written?: WrittenQuantity;
}

export function interleaved(perQuantity: readonly Candidate[][], rng: Rng): Candidate[] {
  const lists = rng.shuffle(perQuantity.filter((c) => c.length > 0)).map((c) => rng.shuffle(c));
  const out: Candidate[] = [];
  for (let round = 0; lists.some((l) => round < l.length); round++) {
    for (const list of lists) {
      const c = list[round];
      if (c) out.push(c);
    }
  }
  return out;
}
