import { sameNumber } from "../extract/numbers.js";
import { extractAnswer, type PipelineSpec } from "../extract/pipelines.js";
import type { AuditRequest, Extraction } from "../types/audit.js";

/** Tier 1: one completion's extraction and verdict. */
export interface CompletionScore {
  extraction: Extraction;
  /** The extracted answer equals the expected one (no answer is wrong). */
  correct: boolean;
  /** The extracted answer equals the original problem's answer on a variant whose answer changed. */
  stale: boolean;
}

/** Scores one completion of `request`. The extraction cuts at the request's own stop strings. */
export function scoreCompletion(
  text: string,
  request: Pick<
    AuditRequest,
    "stop" | "expected" | "originalAnswer" | "answerChanged" | "variantId" | "answerUnit"
  >,
  pipeline?: PipelineSpec | string,
): CompletionScore {
  const extraction = extractAnswer(text, request.stop, pipeline, request.answerUnit ?? null);
  return {
    extraction,
    correct: sameNumber(extraction.answer, request.expected),
    stale:
      request.variantId !== null &&
      request.answerChanged &&
      sameNumber(extraction.answer, request.originalAnswer),
  };
}
