/**
 * The chat completions API (`POST /v1/chat/completions`, `--api chat`): the request for one
 * sample of a chat prompt, and the reply read into the shape the completions API's reply is read
 * into, so the backend handles both alike (seeds, stops, retries, resume).
 */
import type { GenerationConfig } from "../runner/types.js";
import type { ChatMessage } from "../types/audit.js";
import { EndpointError } from "./http.js";
import type { ChatCompletionsRequestBody, CompletionsResponse } from "./protocol.js";

/** Which API a served model's generations go through (`--api`). */
export type OpenAIApi = "completions" | "chat";

/** One generated choice, whichever API it came from. */
export interface ServerReply {
  text: string;
  /** The generated tokens' strings and log-probs; null when the server gave none. */
  tokens: string[] | null;
  logprobs: Array<number | null> | null;
  finish_reason: "stop" | "length" | null;
  stop_reason?: string | number | null;
  promptTokens: number;
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

/** Reads a chat reply; a body without `choices[0].message` is a transport fault (retried). */
export function chatReply(raw: unknown, where: string): ServerReply {
  const response = raw as {
    choices?: Array<{
      message?: { content?: unknown };
      logprobs?: { content?: unknown } | null;
      finish_reason?: unknown;
      stop_reason?: unknown;
    }>;
    usage?: { prompt_tokens?: unknown };
  };
  const choice = Array.isArray(response?.choices) ? response.choices[0] : undefined;
  const content = choice?.message?.content;
  if (!choice || (typeof content !== "string" && content !== null))
    throw new EndpointError(`${where}: answer has no choices[0].message.content`);
  const entries = Array.isArray(choice.logprobs?.content)
    ? (choice.logprobs.content as Array<{ token?: unknown; logprob?: unknown }>)
    : null;
  const usable = entries?.every((e) => typeof e?.token === "string") === true;
  return {
    text: content ?? "",
    tokens: usable ? entries!.map((e) => e.token as string) : null,
    logprobs: usable ? entries!.map((e) => (typeof e.logprob === "number" ? e.logprob : null)) : null,
    finish_reason:
      choice.finish_reason === "length" ? "length" : choice.finish_reason === "stop" ? "stop" : null,
    ...(choice.stop_reason === undefined
      ? {}
      : { stop_reason: choice.stop_reason as string | number | null }),
    promptTokens: typeof response.usage?.prompt_tokens === "number" ? response.usage.prompt_tokens : 0,
  };
}

/** A completions reply (already checked to have `choices[0].text`) in the same shape. */
export function completionReply(response: CompletionsResponse): ServerReply {
  const choice = response.choices[0]!;
  const lp = choice.logprobs;
  const tokens = Array.isArray(lp?.tokens) ? lp.tokens : null;
  return {
    text: choice.text,
    tokens,
    logprobs: tokens && Array.isArray(lp?.token_logprobs) ? lp.token_logprobs : null,
    finish_reason: choice.finish_reason,
    ...(choice.stop_reason === undefined ? {} : { stop_reason: choice.stop_reason }),
    promptTokens: response.usage?.prompt_tokens ?? 0,
  };
}
