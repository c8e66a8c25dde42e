/**
 * What a server's reply must look like before litmus reads it, for both reply shapes litmus
 * speaks (OpenAI's API reference: `/v1/completions` and `/v1/chat/completions`). The shapes are
 * data ({@link COMPLETIONS_REPLY}, {@link CHAT_REPLY}); one checker walks them and names the first
 * field that is wrong by its path, so a server that breaks the protocol gets one line
 * (`server reply: choices[0].logprobs.token_logprobs[1] must be a number or null`) instead of a
 * crash deep in the audit.
 */
import { InputError } from "../util/errors.js";
import { terminalSafe } from "../util/terminal-text.js";
import type { ChatTokenLogprob, CompletionsResponse } from "./protocol.js";

/**
 * A server that does not speak the protocol. An InputError (exit 2): no retry can help, and the
 * user's fix is to point litmus at a server that does (or to report the server's bug).
 */
export class ServerReplyError extends InputError {}

/** The shape a JSON value must have. */
export type Shape =
  | { type: "string" | "number" | "boolean" | "integer" }
  | { type: "nullable"; of: Shape }
  | { type: "anyOf"; of: readonly Shape[] }
  | { type: "oneOf"; values: readonly string[] }
  | {
      type: "list";
      of: Shape;
      nonEmpty?: boolean;
      /** Each element's field of this name must equal the element's position (`choices[i].index`). */
      positionField?: string;
    }
  /** An object of one shape when it has field `key`, of another when not (two dialects of one field). */
  | { type: "byKey"; key: string; present: Shape; absent: Shape }
  /** An object whose values all have one shape (`top_logprobs` entries: token -> log-prob). */
  | { type: "map"; of: Shape }
  | {
      type: "object";
      fields: Record<string, Field>;
      /** Lists among the fields that must have equally many entries (per-token parallel lists). */
      equalLengths?: readonly string[];
    };

/** A field of an object: absent is fine only when optional. */
export interface Field {
  shape: Shape;
  optional?: boolean;
}

const string: Shape = { type: "string" };
const number: Shape = { type: "number" };
const integer: Shape = { type: "integer" };
const nullable = (of: Shape): Shape => ({ type: "nullable", of });
const list = (of: Shape, extra: { nonEmpty?: boolean; positionField?: string } = {}): Shape => ({
  type: "list",
  of,
  ...extra,
});
const required = (shape: Shape): Field => ({ shape });
const optional = (shape: Shape): Field => ({ shape, optional: true });

/**
 * `finish_reason` values: OpenAI's (`stop`, `length`, `content_filter`; chat adds `tool_calls`,
 * `function_call`) and those of the servers litmus is used with (TGI: `eos_token`,
 * `stop_sequence`). null is accepted: several servers send it when they do not know.
 */
export const FINISH_REASONS = [
  "stop",
  "length",
  "content_filter",
  "tool_calls",
  "function_call",
  "eos_token",
  "stop_sequence",
] as const;

const finishReason = optional(nullable({ type: "oneOf", values: FINISH_REASONS }));

/** vLLM's extension (completions and chat): the stop string, the stop token id, or null for end of text. */
const stopReason = optional(nullable({ type: "anyOf", of: [string, number] }));

const usage = optional(
  nullable({
    type: "object",
    fields: {
      prompt_tokens: optional(integer),
      completion_tokens: optional(integer),
      total_tokens: optional(integer),
    },
  }),
);

const chatTopLogprob: Shape = {
  type: "object",
  fields: {
    token: required(string),
    logprob: required(number),
    bytes: optional(nullable(list(integer))),
  },
};

/** A chat choice's `logprobs`: `content[].{token, logprob, bytes, top_logprobs}`. */
const CHAT_LOGPROBS: Shape = {
  type: "object",
  fields: {
    content: required(
      nullable(
        list({
          type: "object",
          fields: {
            token: required(string),
            logprob: required(number),
            bytes: optional(nullable(list(integer))),
            top_logprobs: optional(list(chatTopLogprob)),
          },
        }),
      ),
    ),
  },
};

/** `POST /v1/completions`: `choices[].text`, `logprobs.{tokens, token_logprobs, top_logprobs, text_offset}`. */
export const COMPLETIONS_REPLY: Shape = {
  type: "object",
  fields: {
    choices: required(
      list(
        {
          type: "object",
          fields: {
            index: required(integer),
            text: required(string),
            // llama.cpp's server answers completions with the chat dialect (`content[]`).
            logprobs: optional(
              nullable({
                type: "byKey",
                key: "content",
                present: CHAT_LOGPROBS,
                absent: {
                  type: "object",
                  fields: {
                    tokens: required(list(string)),
                    token_logprobs: required(list(nullable(number))),
                    top_logprobs: optional(nullable(list(nullable({ type: "map", of: number })))),
                    text_offset: optional(list(integer)),
                  },
                  equalLengths: ["tokens", "token_logprobs", "top_logprobs", "text_offset"],
                },
              }),
            ),
            finish_reason: finishReason,
            stop_reason: stopReason,
          },
        },
        { nonEmpty: true, positionField: "index" },
      ),
    ),
    usage,
  },
};

/** `POST /v1/chat/completions`: `choices[].message.content`, `logprobs.content[].{token, logprob, top_logprobs}`. */
export const CHAT_REPLY: Shape = {
  type: "object",
  fields: {
    choices: required(
      list(
        {
          type: "object",
          fields: {
            index: required(integer),
            message: required({
              type: "object",
              fields: { role: optional(string), content: required(nullable(string)) },
            }),
            logprobs: optional(nullable(CHAT_LOGPROBS)),
            finish_reason: finishReason,
            stop_reason: stopReason,
          },
        },
        { nonEmpty: true, positionField: "index" },
      ),
    ),
    usage,
  },
};

/** The fields of a chat reply litmus reads (checked by {@link checkChatReply}). */
export interface ChatReply {
  choices: Array<{
    index: number;
    message: { role?: string; content: string | null };
    logprobs?: { content: ChatTokenLogprob[] | null } | null;
    finish_reason?: (typeof FINISH_REASONS)[number] | null;
    stop_reason?: string | number | null;
  }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | null;
}

/** `raw` as a completions reply, or a {@link ServerReplyError} naming the first wrong field. */
export function checkCompletionsReply(raw: unknown, context = ""): CompletionsResponse {
  failIfWrong(raw, COMPLETIONS_REPLY, context);
  return raw as CompletionsResponse;
}

/** `raw` as a chat completions reply, or a {@link ServerReplyError} naming the first wrong field. */
export function checkChatReply(raw: unknown, context = ""): ChatReply {
  failIfWrong(raw, CHAT_REPLY, context);
  return raw as ChatReply;
}

function failIfWrong(raw: unknown, shape: Shape, context: string): void {
  const problem = shapeProblem(raw, shape, "");
  if (problem !== null)
    throw new ServerReplyError(`server reply: ${problem}${context ? ` (${terminalSafe(context)})` : ""}`);
}

/** The first way `value` differs from `shape`, as "PATH must be ..." (null: it fits). */
export function shapeProblem(value: unknown, shape: Shape, path: string): string | null {
  const where = path === "" ? "the body" : path;
  const wrong = () => `${where} must be ${describe(shape)} (got ${kindOf(value)})`;
  switch (shape.type) {
    case "string":
      return typeof value === "string" ? null : wrong();
    case "number":
      return typeof value === "number" ? null : wrong();
    case "boolean":
      return typeof value === "boolean" ? null : wrong();
    case "integer":
      return typeof value === "number" && Number.isInteger(value) ? null : wrong();
    case "nullable": {
      if (value === null) return null;
      // A problem inside the value (a field of the object) is named there; one with the value
      // itself reads "must be X or null".
      const inner = shapeProblem(value, shape.of, path);
      return inner === null ? null : inner.startsWith(`${where} must be `) ? wrong() : inner;
    }
    case "anyOf":
      return shape.of.some((s) => shapeProblem(value, s, path) === null) ? null : wrong();
    case "oneOf":
      return typeof value === "string" && shape.values.includes(value) ? null : wrong();
    case "list": {
      if (!Array.isArray(value)) return wrong();
      if (shape.nonEmpty && value.length === 0) return `${where} must be a non-empty list (got an empty one)`;
      for (let i = 0; i < value.length; i++) {
        const problem = shapeProblem(value[i], shape.of, `${path}[${i}]`);
        if (problem !== null) return problem;
        if (shape.positionField !== undefined) {
          const at = (value[i] as Record<string, unknown>)[shape.positionField];
          if (at !== i) return `${path}[${i}].${shape.positionField} must be ${i} (got ${kindOf(at)})`;
        }
      }
      return null;
    }
    case "byKey":
      if (!isObject(value)) return wrong();
      return shapeProblem(value, shape.key in value ? shape.present : shape.absent, path);
    case "map": {
      if (!isObject(value)) return wrong();
      for (const [key, v] of Object.entries(value)) {
        const problem = shapeProblem(
          v,
          shape.of,
          `${path}[${JSON.stringify(terminalSafe(key).slice(0, 40))}]`,
        );
        if (problem !== null) return problem;
      }
      return null;
    }
    case "object": {
      if (!isObject(value)) return wrong();
      for (const [name, field] of Object.entries(shape.fields)) {
        const child = path === "" ? name : `${path}.${name}`;
        const v = value[name];
        if (v === undefined) {
          if (field.optional) continue;
          return `${child} is missing`;
        }
        const problem = shapeProblem(v, field.shape, child);
        if (problem !== null) return problem;
      }
      return unequalLengths(value, shape.equalLengths ?? [], path);
    }
  }
}

function unequalLengths(
  value: Record<string, unknown>,
  names: readonly string[],
  path: string,
): string | null {
  const present = names.filter((n) => Array.isArray(value[n]));
  const first = present[0];
  if (first === undefined) return null;
  const length = (value[first] as unknown[]).length;
  for (const name of present.slice(1)) {
    const other = (value[name] as unknown[]).length;
    if (other !== length) {
      const at = path === "" ? "" : `${path}.`;
      return `${at}${name} has ${other} entries but ${at}${first} has ${length}`;
    }
  }
  return null;
}

/** The noun phrase of a shape: "a number or null", "one of stop, length". */
function describe(shape: Shape): string {
  switch (shape.type) {
    case "string":
      return "a string";
    case "number":
      return "a number";
    case "boolean":
      return "true or false";
    case "integer":
      return "an integer";
    case "nullable":
      return `${describe(shape.of)} or null`;
    case "anyOf":
      return shape.of.map(describe).join(" or ");
    case "oneOf":
      return `one of ${shape.values.join(", ")}`;
    case "list":
      return shape.nonEmpty ? "a non-empty list" : "a list";
    case "byKey":
    case "map":
    case "object":
      return "an object";
  }
}

/** What a value is, for "(got ...)": its type, never its text (which may be huge or hostile). */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return value.length <= 20 ? JSON.stringify(terminalSafe(value)) : "a string";
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return String(value);
  return "an object";
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
