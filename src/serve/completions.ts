/**
 * `POST /v1/completions` over the ONNX runner: validates the body into runner requests, runs them
 * through the queue, and writes the answer in the API's shape (echo + logprobs included).
 */
import { randomBytes } from "node:crypto";
import { setMaxListeners } from "node:events";
import type { ChoiceLogprobs, CompletionChoice, CompletionsResponse } from "../openai/protocol.js";
import { codePointLength } from "../openai/protocol.js";
import type { CausalLM } from "../runner/model.js";
import type { Completion, GenerationConfig } from "../runner/types.js";
import { limitOption, type ServeLimits } from "./limits.js";
import type { Asker, ModelQueue } from "./queue.js";
import type { Tokenized } from "./tokenizer-worker.js";

/** A request the client got wrong: answered with this HTTP status and an OpenAI error body. */
export class ClientError extends Error {
  override readonly name = "ClientError";
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

/** The validated settings of one completions request. */
export interface CompletionSettings {
  prompts: string[];
  maxTokens: number;
  temperature: number;
  topP: number;
  topK: number;
  n: number;
  stop: string[];
  seed: number | null;
  logprobs: boolean;
  echo: boolean;
}

export const MAX_N = 128;

/** Most time (ms) shaping an answer may hold the event loop before other requests get a turn. */
const TICK_MS = 10;

/** Checks a body against the subset litmus serves; every problem is a 400 naming the field. */
export function parseCompletionsBody(raw: unknown, servedModel: string): CompletionSettings {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new ClientError(400, "the body must be a JSON object");
  const body = raw as Record<string, unknown>;
  if (body["model"] !== servedModel)
    throw new ClientError(
      404,
      `The model \`${String(body["model"])}\` does not exist (serving ${servedModel}).`,
      "model",
    );
  if (body["stream"] === true)
    throw new ClientError(400, "stream is not supported by litmus serve", "stream");
  const p = body["prompt"];
  const prompts =
    typeof p === "string"
      ? [p]
      : Array.isArray(p) && p.length > 0 && p.every((x) => typeof x === "string")
        ? (p as string[])
        : null;
  if (prompts === null)
    throw new ClientError(400, "prompt must be a string or a non-empty list of strings", "prompt");
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const v = body[name] ?? fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
      throw new ClientError(400, `${name} must be an integer from ${min} to ${max}`, name);
    return v;
  };
  const num = (name: string, fallback: number, ok: (v: number) => boolean, range: string): number => {
    const v = body[name] ?? fallback;
    if (typeof v !== "number" || !Number.isFinite(v) || !ok(v))
      throw new ClientError(400, `${name} must be ${range}`, name);
    return v;
  };
  const echo = body["echo"] ?? false;
  if (typeof echo !== "boolean") throw new ClientError(400, "echo must be a boolean", "echo");
  const maxTokens = int("max_tokens", 16, 0, 1_000_000);
  if (maxTokens === 0 && !echo)
    throw new ClientError(400, "max_tokens must be at least 1 without echo", "max_tokens");
  const topK = int("top_k", 0, -1, 1_000_000);
  const s = body["stop"];
  const stop =
    s === undefined || s === null
      ? []
      : typeof s === "string"
        ? [s]
        : Array.isArray(s) && s.every((x) => typeof x === "string")
          ? (s as string[])
          : null;
  if (stop === null || stop.some((x) => x === ""))
    throw new ClientError(400, "stop must be a non-empty string or a list of them", "stop");
  const seed = body["seed"];
  if (
    seed !== undefined &&
    seed !== null &&
    !(typeof seed === "number" && Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff)
  )
    throw new ClientError(400, "seed must be an integer in [0, 2^32)", "seed");
  const logprobs = body["logprobs"];
  if (
    logprobs !== undefined &&
    logprobs !== null &&
    !(typeof logprobs === "number" && Number.isInteger(logprobs) && logprobs >= 0 && logprobs <= 20)
  )
    throw new ClientError(400, "logprobs must be an integer from 0 to 20, or null", "logprobs");
  return {
    prompts,
    maxTokens,
    temperature: num("temperature", 1, (v) => v >= 0 && v <= 100, "a number from 0 to 100"),
    topP: num("top_p", 1, (v) => v > 0 && v <= 1, "in (0, 1]"),
    topK: topK < 0 ? 0 : topK,
    n: int("n", 1, 1, MAX_N),
    stop,
    seed: typeof seed === "number" ? seed : null,
    logprobs: typeof logprobs === "number",
    echo,
  };
}

/**
 * Seeds of a request's n samples: seed, seed + 1, ... (mod 2^32), so a client that asks for one
 * sample with a seed gets exactly the draw the in-process runner makes with that seed. Without a
 * seed, a random one (as other servers do).
 */
export function sampleSeeds(seed: number | null, n: number): number[] {
  const base = seed ?? randomBytes(4).readUInt32LE(0);
  return Array.from({ length: n }, (_, j) => (base + j) >>> 0);
}

let counter = 0;

/** What one completions request runs with: the model's queue, its client. */
export interface RequestContext {
  queue: ModelQueue;
  servedModel: string;
  /** Fired when the client leaves: work not yet done for it is dropped. */
  signal: AbortSignal;
}

/** Token ids of a text, unless it has more than `limit` (the tokenizer worker, or its own thread's). */
export interface PromptTokenizer {
  tokenize(text: string, limit: number, signal?: AbortSignal): Promise<Tokenized>;
}

/** What a request's prompts are tokenized and checked with. */
export interface TokenizeContext {
  tokenizer: PromptTokenizer;
  limits: ServeLimits;
  maxContext: number;
  /** Fired when the client leaves: tokenizing still to do is dropped. */
  signal: AbortSignal;
}

/** Runs one validated request, its prompts tokenized as `ids` (tokenizePrompts), and shapes the answer. */
export async function complete(
  ctx: RequestContext,
  settings: CompletionSettings,
  ids: number[][],
): Promise<CompletionsResponse> {
  const id = `cmpl-litmus-${process.pid}-${++counter}`;
  // Fired when the client leaves, or when one prompt fails: the others' work is then wasted.
  const cancel = new AbortController();
  // Every queued part and tokenizing job of the request listens to it.
  setMaxListeners(0, cancel.signal);
  const onClientGone = () => cancel.abort();
  ctx.signal.addEventListener("abort", onClientGone, { once: true });
  const asker = { owner: id, signal: cancel.signal };
  try {
    return await run(ctx, settings, ids, id, asker);
  } catch (err) {
    cancel.abort();
    throw err;
  } finally {
    ctx.signal.removeEventListener("abort", onClientGone);
  }
}

async function run(
  ctx: RequestContext,
  settings: CompletionSettings,
  ids: number[][],
  id: string,
  asker: Asker,
): Promise<CompletionsResponse> {
  const { queue } = ctx;
  const lm = queue.backend.lm;
  const greedy = settings.temperature === 0;
  const config: Partial<GenerationConfig> = {
    maxNewTokens: Math.max(1, settings.maxTokens),
    temperature: settings.temperature,
    topP: greedy ? 1 : settings.topP,
    topK: greedy ? 0 : settings.topK,
    stop: settings.stop,
    n: settings.n,
  };
  let promptTokens = 0;
  let completionTokens = 0;
  const perPrompt = await Promise.all(
    settings.prompts.map(async (prompt, p) => {
      const promptIds = ids[p]!;
      promptTokens += promptIds.length;
      const echoed = settings.echo ? await echoPrompt(queue, promptIds, `${id}-${p}`, asker) : null;
      if (settings.maxTokens === 0)
        return Array.from({ length: settings.n }, () => ({ echoed, completion: null }));
      // The n samples go to the queue in parts of at most a model call's rows, so that another
      // request waits for one call of this one, not for all n samples.
      const seeds = greedy ? null : sampleSeeds(settings.seed, settings.n);
      const parts = chunks(settings.n, queue.maxRows);
      const done = await Promise.all(
        parts.map((samples, k) =>
          queue.generate(
            {
              id: `${id}-${p}-${k}`,
              prompt,
              config,
              samples,
              ...(seeds ? { seeds: samples.map((j) => seeds[j]!) } : {}),
              promptTokenIds: promptIds,
            },
            samples.length,
            asker,
          ),
        ),
      );
      return done.flat().map((completion) => ({ echoed, completion }));
    }),
  );
  const choices: CompletionChoice[] = [];
  // Thousands of choices with log-probs take a while to shape (a decode per token): other
  // clients are answered in between.
  let since = performance.now();
  for (const [p, list] of perPrompt.entries()) {
    for (const [j, { echoed, completion }] of list.entries()) {
      completionTokens += completion?.tokenIds.length ?? 0;
      choices.push(choiceOf(lm, settings, settings.prompts[p]!, echoed, completion, p * settings.n + j));
      if (performance.now() - since > TICK_MS) {
        await new Promise((r) => setImmediate(r));
        since = performance.now();
      }
    }
  }
  return {
    id,
    object: "text_completion",
    created: Math.floor(Date.now() / 1000),
    model: ctx.servedModel,
    choices,
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  };
}

/**
 * Each prompt's token ids (tokenized once, in the worker), checked against the limits as they come:
 * a request past `--max-prompts` or `--max-request-tokens` is refused as soon as that is known,
 * and its prompts still being tokenized are dropped.
 */
export async function tokenizePrompts(
  ctx: TokenizeContext,
  settings: CompletionSettings,
): Promise<number[][]> {
  const { limits } = ctx;
  const context = ctx.maxContext;
  const count = settings.prompts.length;
  if (count > limits.maxPrompts)
    throw new ClientError(
      400,
      `prompt: ${count} prompts is over the limit of ${limits.maxPrompts} per request (${limitOption("maxPrompts")})`,
      "prompt",
    );
  // Every prompt costs at least min(n x max_tokens, context) tokens whatever its length (a
  // longer prompt leaves fewer to generate): a request past the limit on that alone is refused
  // before any tokenizing.
  const floor = count * (settings.maxTokens === 0 ? 0 : Math.min(settings.n * settings.maxTokens, context));
  if (floor > limits.maxRequestTokens) throw overTokens(limits, `at least ${floor}`);
  // Our own signal too: the first prompt past a limit stops the others' tokenizing.
  const stop = new AbortController();
  setMaxListeners(0, stop.signal);
  const onClientGone = () => stop.abort();
  ctx.signal.addEventListener("abort", onClientGone, { once: true });
  let total = 0;
  try {
    return await Promise.all(
      settings.prompts.map(async (prompt, p) => {
        // Past the context a prompt is refused anyway: no need to count further.
        const result = await ctx.tokenizer.tokenize(prompt, context, stop.signal);
        if ("over" in result) {
          stop.abort();
          throw new ClientError(
            400,
            `prompt${count > 1 ? `[${p}]` : ""}: ${result.counted}${result.exact ? "" : " or more"} tokens do not fit the model's context window of ${context} tokens`,
            "prompt",
          );
        }
        const t = result.ids.length;
        // Generation needs room for one new token; an echo with max_tokens 0 needs none.
        if (t > context || (t === context && settings.maxTokens > 0)) {
          stop.abort();
          throw new ClientError(
            400,
            `prompt${count > 1 ? `[${p}]` : ""}: ${t} tokens do not fit the model's context window of ${context} tokens`,
            "prompt",
          );
        }
        const generated =
          settings.maxTokens === 0 ? 0 : settings.n * Math.min(settings.maxTokens, Math.max(0, context - t));
        total += t + generated;
        if (total > limits.maxRequestTokens) {
          stop.abort();
          throw overTokens(limits, `at least ${total}`);
        }
        return result.ids;
      }),
    );
  } finally {
    ctx.signal.removeEventListener("abort", onClientGone);
  }
}

function overTokens(limits: ServeLimits, cost: string): ClientError {
  return new ClientError(
    400,
    `the request would cost ${cost} tokens (prompts plus n x max_tokens), over the limit of ${limits.maxRequestTokens} (${limitOption("maxRequestTokens")})`,
    "prompt",
  );
}

/** Sample indices 0..n-1 in consecutive parts of at most `size`. */
function chunks(n: number, size: number): number[][] {
  const out: number[][] = [];
  for (let start = 0; start < n; start += size)
    out.push(Array.from({ length: Math.min(size, n - start) }, (_, k) => start + k));
  return out;
}

interface Echoed {
  ids: number[];
  logprobs: Array<number | null>;
}

/** The prompt's tokens and their log-probs (the first has none: nothing comes before it). */
async function echoPrompt(queue: ModelQueue, ids: number[], id: string, asker: Asker): Promise<Echoed> {
  // (Its length was checked against the context when it was tokenized.)
  if (ids.length === 0) return { ids, logprobs: [] };
  if (ids.length === 1) return { ids, logprobs: [null] };
  const scored = await queue.score({ id, context: ids.slice(0, 1), text: ids.slice(1) }, asker);
  return { ids, logprobs: [null, ...scored.logprobs] };
}

function choiceOf(
  lm: CausalLM,
  settings: CompletionSettings,
  prompt: string,
  echoed: Echoed | null,
  completion: Completion | null,
  index: number,
): CompletionChoice {
  const text = (settings.echo ? prompt : "") + (completion?.text ?? "");
  let logprobs: ChoiceLogprobs | null = null;
  if (settings.logprobs) {
    const tokens: string[] = [];
    const values: Array<number | null> = [];
    const offsets: number[] = [];
    if (echoed) {
      const at = tokenOffsets(lm, echoed.ids, 0);
      echoed.ids.forEach((tid, i) => {
        tokens.push(lm.tokenizer.decode([tid], true));
        values.push(echoed.logprobs[i] ?? null);
        offsets.push(at[i]!);
      });
    }
    if (completion) {
      const at = tokenOffsets(lm, completion.tokenIds, settings.echo ? codePointLength(prompt) : 0);
      completion.tokenIds.forEach((tid, i) => {
        tokens.push(lm.tokenizer.decode([tid], true));
        values.push(completion.logprobs[i]!);
        offsets.push(at[i]!);
      });
    }
    logprobs = { tokens, token_logprobs: values, top_logprobs: null, text_offset: offsets };
  }
  return {
    index,
    text,
    logprobs,
    finish_reason: completion === null ? "length" : completion.finishReason === "length" ? "length" : "stop",
    stop_reason: completion?.finishReason === "stop" ? matchedStop(lm, completion, settings.stop) : null,
  };
}

/**
 * Code-point offset of each token in the decoded text of `ids`, from `base`. A token that is part
 * of a multi-byte character decodes alone to U+FFFD, so there the prefix is decoded whole.
 */
export function tokenOffsets(lm: CausalLM, ids: readonly number[], base: number): number[] {
  const out: number[] = [];
  let offset = base;
  for (let i = 0; i < ids.length; i++) {
    out.push(offset);
    const piece = lm.tokenizer.decode([ids[i]!], true);
    offset = piece.includes("\uFFFD")
      ? base + codePointLength(lm.tokenizer.decode(ids.slice(0, i + 1), true))
      : offset + codePointLength(piece);
  }
  return out;
}

/** The stop string that ended a completion (the one found right after its text). */
function matchedStop(lm: CausalLM, c: Completion, stop: readonly string[]): string | null {
  const full = lm.tokenizer.decode(c.tokenIds);
  return stop.find((s) => full.startsWith(s, c.text.length)) ?? null;
}
