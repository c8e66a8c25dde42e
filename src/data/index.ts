export {
  type CacheOptions,
  datasetCacheDir,
  litmusCacheDir,
  writeFileAtomic,
  writeLinesAtomic,
} from "./cache.js";
export { downloadPinned, type PinnedDownload } from "./download.js";
export {
  GSM8K_COMMIT,
  GSM8K_DEFAULT_BASE_URL,
  GSM8K_FILES,
  type Gsm8kSplit,
  gsm8k,
  gsm8kUrl,
} from "./gsm8k.js";
export { sha256Hex } from "./hash.js";
export { type JsonlRecord, parseJsonl, readInputFile, readJsonl } from "./jsonl.js";
export {
  finalAnswerOf,
  loadProblems,
  type ProblemOrigin,
  parseProblems,
  problemHash,
  sourceNameOf,
} from "./problems.js";
export {
  type DatasetFile,
  type DatasetOptions,
  datasetNameOf,
  type NamedDataset,
  namedDatasets,
} from "./registry.js";
export { type Dataset, resolveDataset } from "./resolve.js";
