/** Choosing the next token from processed logits. */
import type { Rng } from "../util/rng.js";

/** The id of the largest logit (the lowest id among ties). */
export function argmax(logits: Float32Array): number {
  let best = 0;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) {
    if (logits[i]! > max) {
      max = logits[i]!;
      best = i;
    }
  }
  return best;
}

/** Draws one id from softmax(logits) with a single `rng.next()`, walking ids in order. */
export function sampleMultinomial(logits: Float32Array, rng: Rng): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  const target = rng.next() * sum;
  let cum = 0;
  let last = 0;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (v === Number.NEGATIVE_INFINITY) continue;
    cum += Math.exp(v - max);
    last = i;
    if (cum > target) return i;
  }
  return last;
}
