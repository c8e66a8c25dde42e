/**
 * What each POST route makes of its body: checked settings and each prompt's token ids
 * (completions, chat), or the /tokenize answer. The same code runs on the event loop for small
 * bodies and in the body worker (tokenize-worker.ts) for large ones, so both answer alike.
 */
import type { ChatTemplate } from "../prompts/chat-template.js";
import { InputError } from "../util/errors.js";
import { charsPastContext, chatPrompt, parseChatBody, parseMessages } from "./chat.js";
import {
  ClientError,
  type CompletionSettings,
  parseCompletionsBody,
  type TokenizeContext,
  tokenizePrompts,
} from "./completions.js";
import { MAX_CHARS_PER_TOKEN } from "./limits.js";
import type { TokenizeAnswer } from "./tokenize-protocol.js";

/**
 * Bodies up to this size are parsed on the event loop (well under 10 ms); larger ones go to the
 * body worker, where parsing megabytes of JSON, rendering a long chat and counting huge prompts
 * hold up no other request.
 */
export const INLINE_BODY_BYTES = 256 * 1024;

/** A completions or chat body, ready to run. */
export interface PreparedCompletion {
  settings: CompletionSettings;
  ids: number[][];
}

export interface BodyContext extends TokenizeContext {
  servedModel: string;
  chatTemplate: ChatTemplate | null;
}

export function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new ClientError(400, "the body is not valid JSON");
  }
}

/** A completions (or chat) body checked, and its prompts tokenized and checked against the limits. */
export async function prepareCompletion(
  route: "completions" | "chat",
  body: unknown,
  ctx: BodyContext,
): Promise<PreparedCompletion> {
  const settings =
    route === "chat"
      ? parseChatBody(body, ctx.servedModel, ctx.chatTemplate, {
          maxMessages: ctx.limits.maxMessages,
          maxContext: ctx.maxContext,
        })
      : parseCompletionsBody(body, ctx.servedModel);
  return { settings, ids: await tokenizePrompts(ctx, settings) };
}

/**
 * vLLM's /tokenize: how long a prompt (or a chat, as /v1/chat/completions renders it) is for this
 * model, so a client can check its prompts against the context before sending any.
 */
export async function tokenizeAnswer(raw: unknown, ctx: BodyContext): Promise<TokenizeAnswer> {
  const body = raw as { model?: unknown; prompt?: unknown; messages?: unknown } | null;
  if (body?.model !== undefined && body.model !== ctx.servedModel)
    throw new ClientError(404, `model ${String(body.model)} is not served here (serving ${ctx.servedModel})`);
  let prompt = body?.prompt;
  // A chat (`messages`, as vLLM takes it) is counted as /v1/chat/completions renders it, after
  // the bounds that keep its rendering short (--max-messages; text that cannot fit the context is
  // answered, unrendered, as any prompt past the context: a count past max_model_len).
  if (body?.messages !== undefined && prompt === undefined) {
    const messages = parseMessages(body.messages, ctx.limits.maxMessages);
    const chars = charsPastContext(messages, ctx.maxContext);
    if (chars !== null)
      return { count: Math.ceil(chars / MAX_CHARS_PER_TOKEN), max_model_len: ctx.maxContext, tokens: null };
    prompt = chatPrompt(messages, ctx.chatTemplate);
  }
  if (typeof prompt !== "string") throw new ClientError(400, '"prompt" must be a string');
  // Counted up to the context and a bit (tokenize-worker.ts): a longer prompt gets a count past
  // max_model_len, all a client needs to know, and costs no more to measure than one that fits.
  const result = await ctx.tokenizer.tokenize(prompt, ctx.maxContext, ctx.signal);
  if ("over" in result) return { count: result.counted, max_model_len: ctx.maxContext, tokens: null };
  return { count: Math.max(result.ids.length, 1), max_model_len: ctx.maxContext, tokens: result.ids };
}

/** The status, message and parameter an error is answered with when it is the client's to fix. */
export function clientFault(err: unknown): { status: number; message: string; param: string | null } | null {
  if (err instanceof ClientError) return { status: err.status, message: err.message, param: err.param };
  // The runner's and the chat template's InputErrors (a bad setting) are the client's to fix too.
  if (err instanceof InputError) return { status: 400, message: err.message, param: null };
  return null;
}
