/** The OpenAI-compatible completions backend: client, HTTP retry policy, protocol types. */
export { DEFAULT_CONCURRENCY, OpenAIBackend, type OpenAIBackendOptions, textTokens } from "./backend.js";
export { DEFAULT_RETRY, EndpointError, type RequestOptions, type RetryPolicy, requestJson } from "./http.js";
export { mapConcurrent } from "./pool.js";
export type * from "./protocol.js";
export { codePointLength } from "./protocol.js";
