import type { Extraction, ExtractionRuleName } from "../types/audit.js";
import { InputError } from "../util/errors.js";
import { normalizeNumber } from "./numbers.js";
import { RULES } from "./rules.js";
import { type AnswerUnit, convertToUnit } from "./units.js";

/** A named extraction pipeline: rules tried in order; the first that finds a number wins. */
export interface PipelineSpec {
  name: string;
  rules: ExtractionRuleName[];
}

/** lm-evaluation-harness's "strict-match": only an explicit final-answer marker counts. */
export const STRICT_MATCH: PipelineSpec = { name: "strict-match", rules: ["hash-line", "answer-is"] };
/** "flexible-extract": the strict markers first, else the last number. The default for scoring. */
export const FLEXIBLE_EXTRACT: PipelineSpec = {
  name: "flexible-extract",
  rules: ["hash-line", "answer-is", "last-number"],
};

export const PIPELINES: ReadonlyMap<string, PipelineSpec> = new Map(
  [STRICT_MATCH, FLEXIBLE_EXTRACT].map((p) => [p.name, p]),
);
export const DEFAULT_PIPELINE = FLEXIBLE_EXTRACT.name;

/** The text before the earliest occurrence of any stop string (the whole text when none occurs). */
export function cutAtStop(text: string, stop: readonly string[]): string {
  let end = text.length;
  for (const s of stop) {
    if (s === "") continue;
    const at = text.indexOf(s);
    if (at !== -1 && at < end) end = at;
  }
  return text.slice(0, end);
}

/**
 * Extracts the answer of one completion: cut at the stop strings (the runner may not have cut a
 * completion that ended by length), then try the pipeline's rules in order. A rule whose match does
 * not normalise to a number is skipped. Nothing found -> answer and rule null ("no answer"). When
 * the question asks for cents or dollars, an amount written in the other unit is converted.
 */
export function extractAnswer(
  completion: string,
  stop: readonly string[] = [],
  pipeline: PipelineSpec | string = DEFAULT_PIPELINE,
  unit: AnswerUnit | null = null,
): Extraction {
  const spec = typeof pipeline === "string" ? pipelineByName(pipeline) : pipeline;
  const text = cutAtStop(completion, stop);
  for (const name of spec.rules) {
    const match = RULES[name].find(text);
    const answer = match === null ? null : normalizeNumber(match.raw);
    if (match !== null && answer !== null) {
      const converted = convertToUnit(answer, match.raw, text.slice(match.end, match.end + 12), unit);
      return { pipeline: spec.name, answer: converted, rule: name, raw: match.raw.trim() };
    }
  }
  return { pipeline: spec.name, answer: null, rule: null, raw: null };
}

/**
 * Where `rule` (the rule recorded for a completion) finds its number: `[start, end)` of the number
 * as written, as offsets into `completion`, or null (no such text rule, or no match). Rules are
 * deterministic and the stop cut keeps a prefix, so this is the very text the answer came from.
 */
export function answerSpan(
  completion: string,
  stop: readonly string[],
  rule: string | null,
): { start: number; end: number } | null {
  if (rule === null || !Object.hasOwn(RULES, rule)) return null;
  const match = RULES[rule as ExtractionRuleName].find(cutAtStop(completion, stop));
  return match === null ? null : { start: match.end - match.raw.length, end: match.end };
}

/** Every built-in pipeline on the same completion, reported side by side. */
export function extractAll(completion: string, stop: readonly string[] = []): Extraction[] {
  return [...PIPELINES.values()].map((p) => extractAnswer(completion, stop, p));
}

export function pipelineByName(name: string): PipelineSpec {
  const spec = PIPELINES.get(name);
  if (!spec) {
    throw new InputError(
      `unknown extraction pipeline "${name}" (expected ${[...PIPELINES.keys()].join(", ")})`,
    );
  }
  return spec;
}
