/**
 * The chat completions API (`POST /v1/chat/completions`, `--api chat`): the request for one
 * sample of a chat prompt, and the reply read into the shape the completions API's reply is read
 * into, so the backend handles both alike (seeds, stops, retries, resume).
 */
import type { GenerationConfig } from "../runner/types.js";
import type { ChatMessage } from "../types/audit.js";
import type {
  ChatCompletionsRequestBody,
  ChatTokenLogprob,
  ChoiceLogprobs,
  CompletionChoice,
  CompletionsResponse,
} from "./protocol.js";
import type { ChatReply } from "./reply-shape.js";

/** Which API a served model's generations go through (`--api`). */
export type OpenAIApi = "completions" | "chat";

/** One generated choice, whichever API it came from. */
export interface ServerReply {
  text: string;
  /** The generated tokens' strings and log-probs; null when the server gave none. */
  tokens: string[] | null;
  logprobs: Array<number | null> | null;
  /** As the server named it (`stop`, `length`; TGI's `eos_token`, `stop_sequence`). */
  finish_reason: string | null;
  stop_reason?: string | number | null;
  promptTokens: number;
  /** Cut at --max-completion-bytes: the text up to the cut, no tokens. */
  truncated: boolean;
}

/**
 * One sample's chat request. Sampling fields as the completions request has them (seed, top-p,
 * top-k only when on); `logprobs: true, top_logprobs: 1` asks for the chosen tokens' log-probs.
 */
export function chatRequestBody(
  model: string,
  messages: readonly ChatMessage[],
  c: Pick<GenerationConfig, "maxNewTokens" | "temperature" | "topP" | "topK">,
  seed: number | null,
  stop: readonly string[],
): ChatCompletionsRequestBody {
  const body: ChatCompletionsRequestBody = {
    model,
    messages: messages.map((m) => ({ role: m.role, content: m.content })),
    max_tokens: c.maxNewTokens,
    temperature: c.temperature,
    n: 1,
    logprobs: true,
    top_logprobs: 1,
  };
  if (seed !== null) {
    body.top_p = c.topP;
    if (c.topK > 0) body.top_k = c.topK;
    body.seed = seed;
  }
  if (stop.length > 0) body.stop = stop.slice();
  return body;
}

/** A chat reply (checked by `checkChatReply`) in the shape the backend reads. */
export function chatReply(response: ChatReply, truncated: boolean): ServerReply {
  const choice = response.choices[0]!;
  const entries = truncated ? null : (choice.logprobs?.content ?? null);
  return {
    text: choice.message.content ?? "",
    tokens: entries ? entries.map((e) => e.token) : null,
    logprobs: entries ? entries.map((e) => e.logprob) : null,
    finish_reason: choice.finish_reason ?? null,
    ...(choice.stop_reason === undefined ? {} : { stop_reason: choice.stop_reason }),
    promptTokens: truncated ? 0 : (response.usage?.prompt_tokens ?? 0),
    truncated,
  };
}

/** A completions reply (checked, or cut with `choices[0].text` kept) in the same shape. */
export function completionReply(response: CompletionsResponse, truncated: boolean): ServerReply {
  const choice = response.choices[0]!;
  // A cut reply's token lists are cut too, and the text they describe is not all there.
  const lp = truncated ? null : completionsDialect(choice.logprobs);
  const tokens = Array.isArray(lp?.tokens) ? lp.tokens : null;
  return {
    text: choice.text,
    tokens,
    logprobs: tokens && Array.isArray(lp?.token_logprobs) ? lp.token_logprobs : null,
    finish_reason: choice.finish_reason,
    ...(choice.stop_reason === undefined ? {} : { stop_reason: choice.stop_reason }),
    // A cut reply's other fields are unchecked (and may be cut): its usage is not read.
    promptTokens: truncated ? 0 : (response.usage?.prompt_tokens ?? 0),
    truncated,
  };
}

/**
 * A choice's log-probs in the completions dialect: the chat dialect (`content[]`, llama.cpp's
 * server) becomes `tokens` + `token_logprobs`.
 */
export function completionsDialect(lp: CompletionChoice["logprobs"] | undefined): ChoiceLogprobs | null {
  if (lp === null || lp === undefined) return null;
  const chat = (lp as unknown as { content?: ChatTokenLogprob[] | null }).content;
  if (chat === undefined) return lp;
  const content = chat ?? [];
  return {
    tokens: content.map((t) => t.token),
    token_logprobs: content.map((t) => t.logprob),
    top_logprobs: null,
    // No offsets: such a reply can give no prompt log-probs (scoring reports "not available").
    text_offset: [],
  };
}
