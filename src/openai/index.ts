/** The OpenAI-compatible completions backend: client, HTTP retry policy, protocol types. */
export { DEFAULT_CONCURRENCY, OpenAIBackend, type OpenAIBackendOptions, textTokens } from "./backend.js";
export {
  DEFAULT_MAX_REPLY_BYTES,
  DEFAULT_RETRY,
  EndpointError,
  type Reply,
  type RequestOptions,
  type RetryPolicy,
  requestJson,
  requestReply,
} from "./http.js";
export { mapConcurrent } from "./pool.js";
export type * from "./protocol.js";
export { codePointLength } from "./protocol.js";
export {
  CHAT_REPLY,
  type ChatReply,
  COMPLETIONS_REPLY,
  checkChatReply,
  checkCompletionsReply,
  FINISH_REASONS,
  ServerReplyError,
  type Shape,
  shapeProblem,
} from "./reply-shape.js";
