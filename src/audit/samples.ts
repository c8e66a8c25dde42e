/**
 * samples.jsonl: one line per completion, like lm-evaluation-harness's --log_samples, in the
 * canonical order of records.ts. No timestamps or run-specific values, so equal runs give equal
 * bytes.
 */
import { sameNumber } from "../extract/index.js";
import type { AuditRequest } from "../types/audit.js";
import type { StoredRow } from "./records.js";

/** One line of samples.jsonl (keys in this order). */
export interface SampleLine {
  problem_id: string;
  /** null for the original problem. */
  variant_id: string | null;
  /** `original` or the probe name. */
  probe: string;
  /** The probe's sub-kind (`sentence-breaks`...), null for the original. */
  kind: string | null;
  request_id: string;
  /** null for the greedy completion, else 0..n-1. */
  sample_index: number | null;
  /** The 32-bit seed of a sample; null for greedy. */
  seed: number | null;
  prompt: string;
  completion: string;
  /** Canonical extracted answer, null for "no answer". */
  answer: string | null;
  /** Extraction rule that matched (`hash-line`, `answer-is`, `last-number`) or null. */
  rule: string | null;
  expected: string;
  original_answer: string;
  answer_changed: boolean;
  correct: boolean;
  /** The answer equals the original answer on an answer-changing variant. */
  stale: boolean;
  finish_reason: string;
  token_count: number;
}

/** An answer to an answer-changing variant that is the original problem's answer. */
export function isStaleAnswer(request: AuditRequest, answer: string | null): boolean {
  return request.variantId !== null && request.answerChanged && sameNumber(answer, request.originalAnswer);
}

export function sampleLine(row: StoredRow): SampleLine {
  const { request: r, completion: c } = row;
  return {
    problem_id: r.problemId,
    variant_id: r.variantId,
    probe: r.probe,
    kind: row.variant?.kind ?? null,
    request_id: r.id,
    sample_index: c.sampleIndex,
    seed: c.seed,
    prompt: r.prompt,
    completion: c.text,
    answer: c.answer,
    rule: c.rule,
    expected: r.expected,
    original_answer: r.originalAnswer,
    answer_changed: r.answerChanged,
    correct: c.correct,
    stale: isStaleAnswer(r, c.answer),
    finish_reason: c.finishReason,
    token_count: c.tokenCount,
  };
}
