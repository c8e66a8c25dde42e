/** Answer extraction: named pipelines of rules, number normalisation, exact comparison. */
export { FREE_NUMBER, NUMBER_SOURCE, normalizeNumber, sameNumber } from "./numbers.js";
export {
  answerSpan,
  cutAtStop,
  DEFAULT_PIPELINE,
  extractAll,
  extractAnswer,
  FLEXIBLE_EXTRACT,
  PIPELINES,
  type PipelineSpec,
  pipelineByName,
  STRICT_MATCH,
} from "./pipelines.js";
export { type ExtractionRule, RULES } from "./rules.js";
export { type AnswerUnit, answerUnitOf, convertToUnit } from "./units.js";
