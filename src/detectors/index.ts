/** Contamination detectors: likelihood scores, CDD, the exchangeability test, and their audit report. */
export { type CddOptions, type CddResult, cdd, DEFAULT_CDD, textUnits, tokenEditDistance } from "./cdd.js";
export {
  type ExchangeabilityOptions,
  type ExchangeabilityResult,
  exchangeabilityTest,
  planExchangeability,
  type SequenceScorer,
  type ShardStatistic,
} from "./exchangeability.js";
export {
  DEFAULT_MIN_K,
  type LikelihoodScores,
  likelihoodScores,
  meanOfLowest,
  minKCount,
  minKPlusPlus,
  minKPlusPlusTokens,
  minKProb,
  neighbourhoodGap,
  perTokenLogLikelihood,
  scoredText,
  zlibLength,
  zlibRatio,
} from "./likelihood.js";
export {
  computeDetectorScores,
  DEFAULT_DETECTOR_OPTIONS,
  type DetectorCompletion,
  type DetectorOptions,
  type DetectorReport,
  detectorMetrics,
  type ProblemDetectors,
} from "./report.js";
export { type SignTest, signTest, studentTUpperTail } from "./stats.js";
