/**
 * Metrics in three tiers, all pure functions: per completion (score.ts) -> per prompt and problem
 * (summarizeUnits, problemVerdict) -> data set (summarizeDataset).
 */
export {
  type BootstrapOptions,
  bootstrapMeanInterval,
  bootstrapMeans,
  DEFAULT_RESAMPLES,
} from "./bootstrap.js";
export { type PairedDrop, type PairedUnit, pairedAccuracyDrop } from "./paired.js";
export { passAtK, passAtKCurve } from "./pass-at-k.js";
export { type CompletionScore, scoreCompletion } from "./score.js";
export { type StaleRate, staleAnswerRate } from "./stale.js";
export { mcnemarExact, normalQuantile, proportion, wilsonInterval } from "./stats.js";
export {
  type DatasetSummary,
  type MeanWithInterval,
  ORIGINAL,
  type ProbeSummary,
  type SummaryOptions,
  summarizeDataset,
  summarizeUnits,
  type UnitSummary,
} from "./summary.js";
export {
  checkThresholds,
  countVerdicts,
  DEFAULT_THRESHOLDS,
  emptyVerdictCounts,
  type ProblemVerdict,
  problemVerdict,
  problemVerdicts,
  SUSPECT_MIN_EVIDENCE,
  type VerdictThresholds,
  withDetectorEvidence,
} from "./verdicts.js";
