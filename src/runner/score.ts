/**
 * Teacher-forced scoring: log p of each token of a text after a prefix, and the mean and variance
 * of log p under the model's own distribution at each position (what Min-K%++ normalizes with).
 * Probabilities are normalized over the tokenizer's vocabulary (logit columns past it are ids no
 * text can contain).
 */
import { InputError } from "../util/errors.js";
import { logProbMoments, logSumExp, readLogits } from "./logits.js";
import type { CausalLM } from "./model.js";
import type { Tensor } from "./ort.js";
import { equalLengthGroups, leftPad, prefill, yieldToEventLoop } from "./prefill.js";
import type { RunOptions, ScoreRequest, ScoreResult } from "./types.js";

export interface ScoreOptions extends RunOptions {
  maxLogitsBytes?: number;
}

/** A text to score as token ids: `text` after `context` (which must not be empty). */
export interface TokenScoreRequest {
  id: string;
  context: number[];
  text: number[];
}

export async function scoreBatch(
  lm: CausalLM,
  requests: readonly ScoreRequest[],
  options: ScoreOptions = {},
): Promise<ScoreResult[]> {
  return scoreTokenBatch(
    lm,
    requests.map((req) => {
      const prefix = req.prefix ? lm.tokenizer.encode(req.prefix) : [];
      return {
        id: req.id,
        context: prefix.length > 0 ? prefix : [lm.bosId],
        text: lm.tokenizer.encode(req.text),
      };
    }),
    options,
  );
}

/** scoreBatch over token ids already tokenized (a server scores a prompt exactly as it tokenized it). */
export async function scoreTokenBatch(
  lm: CausalLM,
  parts: readonly TokenScoreRequest[],
  options: ScoreOptions = {},
): Promise<ScoreResult[]> {
  if (parts.length === 0) return [];
  for (const p of parts) {
    if (p.context.length === 0) throw new Error(`text ${p.id}: scoring needs at least one context token`);
    if (p.context.length + p.text.length > lm.maxContext) {
      throw new InputError(
        `text ${p.id}: ${p.context.length + p.text.length} tokens do not fit the model's context window of ${lm.maxContext} tokens`,
      );
    }
  }
  if (!lm.info.hasPositionIds) {
    const groups = equalLengthGroups(parts.map((p) => p.context.length + p.text.length));
    if (groups.length > 1) {
      const byPart: ScoreResult[] = new Array(parts.length);
      for (const g of groups) {
        const out = await scoreTokenBatch(
          lm,
          g.map((i) => parts[i]!),
          options,
        );
        g.forEach((i, k) => {
          byPart[i] = out[k]!;
        });
      }
      return byPart;
    }
  }
  const results: Array<Required<ScoreResult>> = parts.map((p) => ({
    requestId: p.id,
    tokenIds: p.text,
    logprobs: [],
    meanLogprob: [],
    varLogprob: [],
  }));
  const seqs = parts.map((p) => [...p.context, ...p.text]);
  const batch = leftPad(seqs, lm.eosIds[0] ?? lm.bosId);
  const buf = new Float32Array(lm.vocabLimit);
  const missing = lm.tokenizer.missingIds;
  let done = 0;
  const onChunk = (logits: Tensor, start: number): void => {
    const len = logits.dims[1]!;
    parts.forEach((p, r) => {
      // Column c predicts the token at column c + 1; text token j sits at column pad + ctx + j.
      const first = batch.pads[r]! + p.context.length - 1;
      for (let j = 0; j < p.text.length; j++) {
        const c = first + j;
        if (c < start || c >= start + len) continue;
        readLogits(logits, r, c - start, buf, missing);
        const lse = logSumExp(buf);
        const res = results[r]!;
        res.logprobs.push(buf[p.text[j]!]! - lse);
        const { mean, variance } = logProbMoments(buf, lse);
        res.meanLogprob.push(mean);
        res.varLogprob.push(variance);
      }
    });
    done += len;
    options.onProgress?.({ phase: "score", done, total: batch.width });
  };
  await prefill(lm, batch, { maxLogitsBytes: options.maxLogitsBytes, onChunk, afterStep: yieldToEventLoop });
  return results;
}
