/**
 * `POST /v1/chat/completions` over the ONNX runner: the messages are rendered to a prompt by the
 * model's chat template (or, for a model without one, by litmus's plain transcript: `System:`,
 * `User:`, `Assistant:` turns), then run exactly as a completions request of that prompt, so a
 * chat and a completion of the same text are the same (seeds, stops, batching included).
 */
import type {
  ChatChoice,
  ChatCompletionsResponse,
  ChatTokenLogprob,
  CompletionsResponse,
} from "../openai/protocol.js";
import { chatTranscript } from "../prompts/chat.js";
import type { ChatTemplate } from "../prompts/chat-template.js";
import type { ChatMessage } from "../types/audit.js";
import {
  ClientError,
  type CompletionSettings,
  complete,
  parseCompletionsBody,
  type RequestContext,
} from "./completions.js";
import { chatCharsBound, limitOption, MAX_CHARS_PER_TOKEN } from "./limits.js";

/** New tokens of a chat request that names no `max_tokens` (the API's default is "until done"). */
export const CHAT_DEFAULT_MAX_TOKENS = 256;

const ROLES = new Set<ChatMessage["role"]>(["system", "user", "assistant"]);

/** The prompt text a chat renders to on this server. */
export function chatPrompt(messages: readonly ChatMessage[], template: ChatTemplate | null): string {
  return template ? template.render(messages) : chatTranscript(messages);
}

/** What bounds a chat before its template renders (see limits.ts). */
export interface ChatBounds {
  maxMessages: number;
  /** The model's context window, in tokens. */
  maxContext: number;
}

/**
 * `messages` checked: a non-empty list of at most `maxMessages` system/user/assistant turns with
 * text content. The count is checked before any message is read: a template renders on the event
 * loop, so a chat of 200,000 short messages (16 MB) would hold every other request for a second.
 */
export function parseMessages(raw: unknown, maxMessages: number): ChatMessage[] {
  if (!Array.isArray(raw) || raw.length === 0)
    throw new ClientError(400, "messages must be a non-empty list", "messages");
  if (raw.length > maxMessages)
    throw new ClientError(
      400,
      `messages: ${raw.length} messages is over the limit of ${maxMessages} per request (${limitOption("maxMessages")})`,
      "messages",
    );
  return raw.map((m, i) => {
    const role = (m as { role?: unknown })?.role;
    if (typeof role !== "string" || !ROLES.has(role as ChatMessage["role"]))
      throw new ClientError(400, `messages[${i}].role must be system, user or assistant`, "messages");
    const content = textContent((m as { content?: unknown }).content);
    if (content === null)
      throw new ClientError(
        400,
        `messages[${i}].content must be a string or a list of text parts`,
        "messages",
      );
    return { role: role as ChatMessage["role"], content };
  });
}

/**
 * The characters of the messages' text when they are past what could fit a context of
 * `maxContext` tokens (chatCharsBound), else null: such a chat is answered without rendering it.
 */
export function charsPastContext(messages: readonly ChatMessage[], maxContext: number): number | null {
  const chars = messages.reduce((sum, m) => sum + m.content.length, 0);
  return chars > chatCharsBound(maxContext) ? chars : null;
}

/** A string, or the OpenAI list of content parts when all are text (joined). */
function textContent(content: unknown): string | null {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return null;
  const parts = content.map((p) =>
    (p as { type?: unknown })?.type === "text" && typeof (p as { text?: unknown }).text === "string"
      ? (p as { text: string }).text
      : null,
  );
  return parts.every((p) => p !== null) ? parts.join("") : null;
}

/**
 * Checks a chat body and maps it onto the completions settings of its rendered prompt: the
 * sampling fields are the same (validated by the same code); `logprobs: true` returns the chosen
 * tokens' log-probs (`top_logprobs` lists are empty, as `litmus serve` keeps no alternatives).
 */
export function parseChatBody(
  raw: unknown,
  servedModel: string,
  template: ChatTemplate | null,
  bounds: ChatBounds,
): CompletionSettings {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new ClientError(400, "the body must be a JSON object");
  const body = raw as Record<string, unknown>;
  const messages = parseMessages(body["messages"], bounds.maxMessages);
  const chars = charsPastContext(messages, bounds.maxContext);
  if (chars !== null)
    throw new ClientError(
      400,
      `messages: ${chars} characters cannot fit the model's context of ${bounds.maxContext} tokens (at most ${MAX_CHARS_PER_TOKEN} characters a token: ${chatCharsBound(bounds.maxContext)} characters)`,
      "messages",
    );
  const logprobs = body["logprobs"] ?? false;
  if (typeof logprobs !== "boolean") throw new ClientError(400, "logprobs must be a boolean", "logprobs");
  const top = body["top_logprobs"];
  if (
    top !== undefined &&
    top !== null &&
    !(Number.isInteger(top) && (top as number) >= 0 && (top as number) <= 20)
  )
    throw new ClientError(400, "top_logprobs must be an integer from 0 to 20", "top_logprobs");
  const { messages: _m, logprobs: _l, top_logprobs: _t, max_completion_tokens, ...rest } = body;
  return parseCompletionsBody(
    {
      ...rest,
      max_tokens: rest["max_tokens"] ?? max_completion_tokens ?? CHAT_DEFAULT_MAX_TOKENS,
      prompt: chatPrompt(messages, template),
      logprobs: logprobs ? 0 : null,
      echo: false,
    },
    servedModel,
  );
}

/** Runs a checked chat request and shapes the completions answer as a chat answer. */
export async function completeChat(
  ctx: RequestContext,
  settings: CompletionSettings,
  ids: number[][],
): Promise<ChatCompletionsResponse> {
  return chatResponseOf(await complete(ctx, settings, ids));
}

function chatResponseOf(response: CompletionsResponse): ChatCompletionsResponse {
  const choices: ChatChoice[] = response.choices.map((c) => ({
    index: c.index,
    message: { role: "assistant", content: c.text },
    logprobs: c.logprobs
      ? {
          content: c.logprobs.tokens.map(
            (token, i): ChatTokenLogprob => ({
              token,
              logprob: c.logprobs!.token_logprobs[i] ?? 0,
              bytes: [...Buffer.from(token, "utf8")],
              top_logprobs: [],
            }),
          ),
        }
      : null,
    finish_reason: c.finish_reason,
    ...(c.stop_reason === undefined ? {} : { stop_reason: c.stop_reason }),
  }));
  return {
    id: response.id.replace(/^cmpl-/, "chatcmpl-"),
    object: "chat.completion",
    created: response.created,
    model: response.model,
    choices,
    usage: response.usage,
  };
}
