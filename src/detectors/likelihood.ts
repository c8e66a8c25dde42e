/**
 * Likelihood scores of one scored text (teacher-forced per-token log-probs from the runner):
 * Min-K% Prob (Shi et al. 2024), Min-K%++ (Zhang et al. 2024), the zlib ratio (Carlini et al.
 * 2021) and the per-token log-likelihood the neighbourhood gap compares. Higher = more likely to
 * have been seen in training for every score.
 */
import { deflateSync } from "node:zlib";
import type { ScoreResult } from "../runner/types.js";
import type { TextScoreRecord } from "../types/audit.js";

/** Default share of tokens Min-K% and Min-K%++ average over. */
export const DEFAULT_MIN_K = 0.2;

/**
 * How many of n tokens "the lowest k%" means: floor(k * n), at least 1 (the reference code's
 * int(len * ratio), which is 0 and gives NaN for short texts, is raised to 1). Needs n >= 1.
 */
export function minKCount(n: number, k: number): number {
  if (!(k > 0 && k <= 1)) throw new RangeError(`k must be in (0, 1], got ${k}`);
  return Math.max(1, Math.floor(k * n + 1e-9));
}

/** Mean of the lowest k share of `values` (NaN for none). */
export function meanOfLowest(values: readonly number[], k = DEFAULT_MIN_K): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const m = minKCount(values.length, k);
  let s = 0;
  for (let i = 0; i < m; i++) s += sorted[i]!;
  return s / m;
}

/** Min-K% Prob: mean of the lowest k share of the token log-probs. */
export function minKProb(logprobs: readonly number[], k = DEFAULT_MIN_K): number {
  return meanOfLowest(logprobs, k);
}

/**
 * Min-K%++ token scores: (log p(x_t) - mu_t) / sigma_t, with mu_t and sigma_t^2 the mean and
 * variance of log p under the model's own next-token distribution at position t. A position
 * whose distribution has sigma_t = 0 (all mass on one token, or uniform) scores 0.
 */
export function minKPlusPlusTokens(
  logprobs: readonly number[],
  meanLogprob: readonly number[],
  varLogprob: readonly number[],
): number[] {
  if (logprobs.length !== meanLogprob.length || logprobs.length !== varLogprob.length) {
    throw new RangeError("logprobs, meanLogprob and varLogprob must have equal lengths");
  }
  return logprobs.map((lp, i) => {
    const sigma = Math.sqrt(Math.max(0, varLogprob[i]!));
    return sigma > 0 ? (lp - meanLogprob[i]!) / sigma : 0;
  });
}

/** Min-K%++: mean of the lowest k share of the standardised token scores. */
export function minKPlusPlus(
  logprobs: readonly number[],
  meanLogprob: readonly number[],
  varLogprob: readonly number[],
  k = DEFAULT_MIN_K,
): number {
  return meanOfLowest(minKPlusPlusTokens(logprobs, meanLogprob, varLogprob), k);
}

/** Bytes of zlib.compress(utf8(text)) at the default level (Python's zlib.compress gives the same). */
export function zlibLength(text: string): number {
  return deflateSync(Buffer.from(text, "utf8")).length;
}

/** zlib ratio: total log-likelihood of the text over its zlib-compressed length in bytes. */
export function zlibRatio(logprobs: readonly number[], text: string): number {
  return sum(logprobs) / zlibLength(text);
}

/** Per-token log-likelihood (mean token log-prob; NaN for an empty text). */
export function perTokenLogLikelihood(logprobs: readonly number[]): number {
  return logprobs.length === 0 ? Number.NaN : sum(logprobs) / logprobs.length;
}

/** Every likelihood score of one text (the stored record without its labels). */
export type LikelihoodScores = Omit<TextScoreRecord, "unit" | "probe" | "answerChanged" | "k">;

export function likelihoodScores(result: ScoreResult, text: string, k = DEFAULT_MIN_K): LikelihoodScores {
  return {
    tokens: result.logprobs.length,
    logLikelihood: sum(result.logprobs),
    perToken: perTokenLogLikelihood(result.logprobs),
    minK: minKProb(result.logprobs, k),
    minKPlusPlus:
      result.meanLogprob && result.varLogprob
        ? minKPlusPlus(result.logprobs, result.meanLogprob, result.varLogprob, k)
        : null,
    zlibRatio: zlibRatio(result.logprobs, text),
  };
}

/**
 * Neighbourhood gap of one problem: per-token log-likelihood of the original text minus the mean
 * per-token log-likelihood of its neighbours (null when it has none). Positive = the original is
 * more likely than texts that differ from it by a line break or a number.
 */
export function neighbourhoodGap(original: number, neighbours: readonly number[]): number | null {
  if (neighbours.length === 0) return null;
  return original - sum(neighbours) / neighbours.length;
}

/** The text a problem or a variant is scored as: question, a line break, worked solution. */
export function scoredText(question: string, solution: string): string {
  return `${question}\n${solution}`;
}

function sum(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}
