/** The runner's public API. */
export { DEFAULT_GENERATION, resolveConfig } from "./config.js";
export { describeDecodePath } from "./decode-path.js";
export { generateBatch } from "./generate.js";
export { CausalLM, type GraphInfo, type OpenOptions } from "./model.js";
export { OnnxBackend, type OnnxBackendOptions } from "./onnx-backend.js";
export type { Device } from "./ort.js";
export { describePrefixReuse, type PrefixStats } from "./prefix-cache.js";
export { scoreBatch, scoreTokenBatch, type TokenScoreRequest } from "./score.js";
export type * from "./types.js";
