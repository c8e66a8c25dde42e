/** `litmus serve`: the ONNX runner behind the OpenAI completions subset. */
export { CHAT_DEFAULT_MAX_TOKENS, chatPrompt, parseChatBody } from "./chat.js";
export { ClientError, type CompletionSettings, parseCompletionsBody, sampleSeeds } from "./completions.js";
export { DEFAULT_LIMITS, LIMITS, type ServeLimits } from "./limits.js";
export { Cancelled, ModelQueue, type QueueOptions } from "./queue.js";
export { type RunningServer, type ServeOptions, startServer } from "./server.js";
