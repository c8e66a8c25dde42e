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

let expScratch = new Float64Array(0);

/** Draws one id from softmax(logits) with a single `rng.next()`, walking ids in order. */
export function sampleMultinomial(logits: Float32Array, rng: Rng): number {
  const n = logits.length;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) if (logits[i]! > max) max = logits[i]!;
  if (expScratch.length < n) expScratch = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = logits[i]!;
    expScratch[i] = v === Number.NEGATIVE_INFINITY ? 0 : Math.exp(v - max);
  }
  return sampleFromExps(logits, expScratch, rng);
}

/**
 * {@link sampleMultinomial} given `exps[i] = exp(logits[i] - max)` for the ids still in `logits`
 * (entries of ids set to -Infinity are ignored): the same draw, without computing the exps again.
 */
export function sampleFromExps(logits: Float32Array, exps: Float64Array, rng: Rng): number {
  const n = logits.length;
  let sum = 0;
  for (let i = 0; i < n; i++) if (logits[i] !== Number.NEGATIVE_INFINITY) sum += exps[i]!;
  const target = rng.next() * sum;
  let cum = 0;
  let last = 0;
  for (let i = 0; i < n; i++) {
    if (logits[i] === Number.NEGATIVE_INFINITY) continue;
    cum += exps[i]!;
    last = i;
    if (cum > target) return i;
  }
  return last;
}
