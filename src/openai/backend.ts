/**
 * The {@link Backend} over a server that speaks the OpenAI completions API (vLLM, TGI, SGLang,
 * llama.cpp's server, `litmus serve`). Every sample is its own request (n = 1) carrying the seed
 * litmus derived for it, so a sample is pinned by its seed on servers that honour `seed`, and a
 * resumed run asks only for the samples it lacks. Scoring uses `echo` + `logprobs`; where the
 * server cannot do that, {@link OpenAIBackend.scoringSupport} says so and the likelihood detectors
 * are reported as not available.
 */
import { resolveConfig } from "../runner/config.js";
import { sampleIndices } from "../runner/generate.js";
import { findStop } from "../runner/stopping.js";
import type {
  Backend,
  Completion,
  FinishReason,
  GenerateRequest,
  GenerationConfig,
  PromptFit,
  RunOptions,
  ScoreRequest,
  ScoreResult,
  ScoringSupport,
} from "../runner/types.js";
import type { ChatMessage } from "../types/audit.js";
import { InputError } from "../util/errors.js";
import { deriveSeed } from "../util/rng.js";
import { terminalSafe } from "../util/terminal-text.js";
import {
  chatReply,
  chatRequestBody,
  completionReply,
  completionsDialect,
  type OpenAIApi,
  type ServerReply,
} from "./chat.js";
import {
  DEFAULT_MAX_REPLY_BYTES,
  EndpointError,
  type RequestOptions,
  type RetryPolicy,
  requestJson,
  requestReply,
} from "./http.js";
import { mapConcurrent } from "./pool.js";
import { checkChatReply, checkCompletionsReply, ServerReplyError } from "./reply-shape.js";

/** Most stop strings a request carries (the limit of OpenAI's API and TGI's default). */
export const SERVER_STOPS = 4;

import {
  type ChoiceLogprobs,
  type CompletionChoice,
  type CompletionsRequestBody,
  type CompletionsResponse,
  codePointLength,
  type ModelEntry,
} from "./protocol.js";

export interface OpenAIBackendOptions {
  /** Base URL up to and including `/v1`, as OpenAI clients take it. */
  endpoint: string;
  /** The served model's name (`model` of every request). */
  model: string;
  apiKey?: string;
  /** Requests in flight (default 16). */
  concurrency?: number;
  retry?: Partial<RetryPolicy>;
  /**
   * Text put before a text scored without a prefix, standing for the bos token the in-process
   * runner scores after (e.g. `<|endoftext|>` for phi-1.5's codegen tokenizer). Empty (default):
   * the server's tokenizer decides; the text's first token then has no log-prob unless it adds one.
   */
  bosText?: string;
  /** `completions` (default): `/v1/completions`; `chat`: `/v1/chat/completions` with each request's messages. */
  api?: OpenAIApi;
  /** Called once per feature the server's replies lack (a line for the log). */
  onNote?: (message: string) => void;
  /**
   * Most bytes of one reply read (default 1 MiB): a completion past it keeps the text received
   * before the cut and finishes `truncated`.
   */
  maxCompletionBytes?: number;
  /** Called before each retry. */
  onRetry?: RequestOptions["onRetry"];
  /** Test hooks for the retry loop. */
  sleep?: RequestOptions["sleep"];
  random?: RequestOptions["random"];
}

export const DEFAULT_CONCURRENCY = 16;

export class OpenAIBackend implements Backend {
  /** Token strings the server returned, numbered in order of first appearance (local labels). */
  private readonly tokenLabels = new Map<string, number>();
  private support: Promise<ScoringSupport> | undefined;
  private readonly noted = new Set<string>();

  private constructor(
    private readonly options: OpenAIBackendOptions,
    /** The `/v1/models` entry of the served model. */
    readonly served: ModelEntry,
  ) {}

  /** Checks the endpoint answers and serves the model, then returns the backend. */
  static async open(options: OpenAIBackendOptions): Promise<OpenAIBackend> {
    const endpoint = options.endpoint.replace(/\/+$/, "");
    if (!/^https?:\/\/[^/]/.test(endpoint))
      throw new InputError(`--endpoint must be an http(s) URL up to /v1, got ${options.endpoint}`);
    const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new InputError(`--concurrency must be a positive integer, got ${concurrency}`);
    let listing: unknown;
    try {
      // Quietly: a wrong URL fails in a second or two with one line, not a screen of retries.
      const { onRetry: _quiet, ...quiet } = requestOptions(options);
      listing = await requestJson("GET", `${endpoint}/models`, undefined, {
        ...quiet,
        policy: { ...options.retry, retries: Math.min(2, options.retry?.retries ?? 2) },
      });
    } catch (err) {
      if (err instanceof EndpointError)
        throw new InputError(`cannot list the models of ${endpoint} (check --endpoint): ${err.message}`);
      throw err;
    }
    const data = (listing as { data?: unknown })?.data;
    if (!Array.isArray(data)) throw new InputError(`${endpoint}/models: answer has no "data" list`);
    const entry = data.find((m): m is ModelEntry => (m as ModelEntry)?.id === options.model);
    if (!entry) {
      const names = data.map((m) => String((m as ModelEntry)?.id)).join(", ");
      throw new InputError(
        `--model-name ${options.model} is not served by ${endpoint} (it serves: ${names || "nothing"})`,
      );
    }
    return new OpenAIBackend({ ...options, endpoint, concurrency }, entry);
  }

  get id(): string {
    return `openai:${this.options.model}@${this.options.endpoint}`;
  }

  private get concurrency(): number {
    return this.options.concurrency ?? DEFAULT_CONCURRENCY;
  }

  async generate(
    requests: GenerateRequest[],
    config: Partial<GenerationConfig> = {},
    options: RunOptions = {},
  ): Promise<Completion[]> {
    const jobs: Array<{ req: GenerateRequest; c: GenerationConfig; sample: number; seed: number | null }> =
      [];
    for (const req of requests) {
      const c = resolveConfig(config, req.config);
      const greedy = c.temperature === 0;
      sampleIndices(req, c.n).forEach((sample, k) => {
        const seed = greedy ? null : (req.seeds?.[k] ?? deriveSeed(c.seed, req.id, sample));
        jobs.push({ req, c, sample, seed });
      });
    }
    let done = 0;
    return mapConcurrent(jobs, this.concurrency, async (job) => {
      // OpenAI's API and TGI (its default --max-stop-sequences) take at most 4 stop strings:
      // the first 4 go to the server (formats list their main stop first), the rest are cut here.
      const serverStops = job.c.stop.slice(0, SERVER_STOPS);
      const reply =
        this.api === "chat"
          ? await this.chat(job.req, job.c, job.seed, serverStops)
          : await this.completion(job, serverStops);
      // A cut reply's token lists are cut too: it has none, and says nothing of the server.
      if (reply.tokens === null && !reply.truncated) this.noteOnce("logprobs", NO_LOGPROBS);
      // All the format's stops are looked for, not only those past the fourth: a server that
      // keeps the stop string in its text (transformers serve) is cut where the others cut.
      const cut = findStop(reply.text, job.c.stop);
      const tokens = reply.tokens ?? [];
      const completion: Completion = {
        requestId: job.req.id,
        sampleIndex: job.sample,
        text: cut >= 0 ? reply.text.slice(0, cut) : reply.text,
        tokenIds: this.labels(tokens),
        ...(reply.tokens ? { tokens } : {}),
        logprobs: (reply.logprobs ?? []).map((x) => x ?? 0),
        // A cut reply says so even when a stop string came before the cut: its tokens are unknown.
        finishReason: reply.truncated ? "truncated" : cut >= 0 ? "stop" : finishReason(reply),
        promptTokens: reply.promptTokens,
        seed: job.seed,
      };
      options.onCompletion?.(completion);
      options.onProgress?.({ phase: "decode", done: ++done, total: jobs.length });
      return completion;
    });
  }

  private get api(): OpenAIApi {
    return this.options.api ?? "completions";
  }

  /** One sample through `/v1/completions`. */
  private async completion(
    job: { req: GenerateRequest; c: GenerationConfig; seed: number | null },
    stop: readonly string[],
  ): Promise<ServerReply> {
    const { response, truncated } = await this.post(
      completionsBody(this.options.model, job, stop),
      `prompt ${job.req.id}`,
    );
    return completionReply(response, truncated);
  }

  /** One sample through `/v1/chat/completions`. */
  private async chat(
    req: GenerateRequest,
    c: GenerationConfig,
    seed: number | null,
    stop: readonly string[],
  ): Promise<ServerReply> {
    if (!req.messages)
      throw new Error(`prompt ${req.id} has no chat messages (--api chat needs a chat prompt)`);
    const url = `${this.options.endpoint}/chat/completions`;
    const body = chatRequestBody(this.options.model, req.messages, c, seed, stop);
    const what = `prompt ${req.id}`;
    const reply = await this.postReply(url, body, what);
    const context = `POST ${url}, ${what}`;
    if (!reply.truncated) return chatReply(checkChatReply(reply.value, context), false);
    // Cut at --max-completion-bytes: what must be there even when cut is the message's text.
    const choice = (reply.value as { choices?: Array<{ message?: { content?: unknown } }> } | undefined)
      ?.choices?.[0];
    if (typeof choice?.message?.content !== "string")
      throw new ServerReplyError(
        `server reply is longer than ${this.maxBytes} bytes and its first ${this.maxBytes} hold no choices[0].message.content (${terminalSafe(context)})`,
      );
    return {
      text: choice.message.content,
      tokens: null,
      logprobs: null,
      finish_reason: null,
      promptTokens: 0,
      truncated: true,
    };
  }

  /** A feature the server lacks is said once per run, not once per request. */
  private noteOnce(feature: string, message: string): void {
    if (this.noted.has(feature)) return;
    this.noted.add(feature);
    this.options.onNote?.(message);
  }

  /** Whether the server returns prompt log-probs (probed once with a short text). */
  scoringSupport(): Promise<ScoringSupport> {
    this.support ??= this.probeScoring();
    return this.support;
  }

  private async probeScoring(): Promise<ScoringSupport> {
    const moments = "the API returns only the chosen tokens' log-probs, not the model's distribution";
    try {
      await this.scoreOne({ id: "probe", text: "1 + 1 = 2" });
      return { logprobs: null, moments };
    } catch (err) {
      if (err instanceof ScoringUnavailable || err instanceof InputError)
        return { logprobs: `the server gave no prompt log-probs (${err.message})`, moments };
      throw err;
    }
  }

  async score(requests: ScoreRequest[], options: RunOptions = {}): Promise<ScoreResult[]> {
    let done = 0;
    return mapConcurrent(requests, this.concurrency, async (req) => {
      const result = await this.scoreOne(req);
      options.onProgress?.({ phase: "score", done: ++done, total: requests.length });
      return result;
    });
  }

  private async scoreOne(req: ScoreRequest): Promise<ScoreResult> {
    const prefix = req.prefix ? req.prefix : (this.options.bosText ?? "");
    const prompt = prefix + req.text;
    const { response, truncated } = await this.post(
      { model: this.options.model, prompt, max_tokens: 1, temperature: 0, echo: true, logprobs: 1, n: 1 },
      `text ${req.id}`,
    );
    if (truncated)
      throw new ServerReplyError(
        `server reply for text ${req.id} is longer than ${this.maxBytes} bytes (raise --max-completion-bytes)`,
      );
    const lp = completionsDialect(response.choices[0]!.logprobs);
    if (
      !lp ||
      !Array.isArray(lp.tokens) ||
      !Array.isArray(lp.text_offset) ||
      !Array.isArray(lp.token_logprobs)
    )
      throw new ScoringUnavailable("no logprobs in the answer");
    const picked = textTokens(lp, codePointLength(prefix), codePointLength(prompt));
    if (picked.length === 0 && req.text !== "")
      throw new ScoringUnavailable("the answer has no log-probs of the prompt's tokens (echo unsupported)");
    return {
      requestId: req.id,
      tokenIds: this.labels(picked.map((i) => lp.tokens[i]!)),
      logprobs: picked.map((i) => lp.token_logprobs[i]!),
    };
  }

  private get maxBytes(): number {
    return this.options.maxCompletionBytes ?? DEFAULT_MAX_REPLY_BYTES;
  }

  /**
   * POSTs to /completions and checks the reply's shape. A reply cut at `maxCompletionBytes` is
   * checked for what it must hold even when cut (a choice with its text, which the body starts
   * with on every server litmus knows); its other fields may be missing or cut.
   */
  private async post(
    body: CompletionsRequestBody,
    what: string,
  ): Promise<{ response: CompletionsResponse; truncated: boolean }> {
    const url = `${this.options.endpoint}/completions`;
    const reply = await this.postReply(url, body, what);
    const context = `POST ${url}, ${what}`;
    if (!reply.truncated) return { response: checkCompletionsReply(reply.value, context), truncated: false };
    const choice = (reply.value as { choices?: Array<{ text?: unknown }> } | undefined)?.choices?.[0];
    if (typeof choice?.text !== "string")
      throw new ServerReplyError(
        `server reply is longer than ${this.maxBytes} bytes and its first ${this.maxBytes} hold no choices[0].text (${terminalSafe(context)})`,
      );
    return {
      response: {
        ...(reply.value as CompletionsResponse),
        choices: [{ ...(choice as CompletionChoice), index: 0 }],
      },
      truncated: true,
    };
  }

  /** POSTs `body`, reading at most `maxCompletionBytes` of the reply. */
  private async postReply(
    url: string,
    body: unknown,
    what: string,
  ): Promise<{ value: unknown; truncated: boolean }> {
    try {
      return await requestReply("POST", url, body, requestOptions(this.options));
    } catch (err) {
      // A 4xx other than the retryable ones means this request cannot succeed as sent (too long a
      // prompt, unknown model, bad key): the user's to fix, like the in-process runner's errors.
      if (err instanceof EndpointError && err.status !== undefined && err.status >= 400 && err.status < 500)
        throw new InputError(`${what}: ${err.message}`);
      throw err;
    }
  }

  /**
   * Prompt lengths from the server's tokenizer: vLLM (and `litmus serve`) answer
   * `POST /tokenize {model, prompt}` beside `/v1` with `count` and `max_model_len`. A server
   * without it (404, 405) measures nothing: every prompt is null and the server judges each as
   * it is sent.
   */
  async promptFits(
    prompts: readonly string[],
    messages?: ReadonlyArray<ChatMessage[] | undefined>,
  ): Promise<Array<PromptFit | null>> {
    const url = `${this.options.endpoint.replace(/\/v1$/, "")}/tokenize`;
    const { onRetry: _quiet, ...quiet } = requestOptions(this.options);
    // vLLM's /tokenize takes a chat as `messages` and counts it as its template renders it.
    const chat = new Map(prompts.map((p, i) => [p, this.api === "chat" ? messages?.[i] : undefined]));
    const measure = async (prompt: string): Promise<PromptFit | null> => {
      const m = chat.get(prompt);
      const body = m ? { model: this.options.model, messages: m } : { model: this.options.model, prompt };
      const raw = (await requestJson("POST", url, body, quiet)) as {
        count?: unknown;
        max_model_len?: unknown;
      };
      const maxContext =
        typeof raw?.max_model_len === "number" ? raw.max_model_len : this.served.max_model_len;
      return typeof raw?.count === "number" && typeof maxContext === "number"
        ? { tokens: raw.count, maxContext }
        : null;
    };
    if (prompts.length === 0) return [];
    try {
      const first = await measure(prompts[0] as string);
      if (first === null) return prompts.map(() => null);
      const rest = await mapConcurrent(prompts.slice(1), this.concurrency, measure);
      return [first, ...rest];
    } catch (err) {
      if (err instanceof EndpointError && (err.status === 404 || err.status === 405))
        return prompts.map(() => null);
      throw err;
    }
  }

  private labels(tokens: readonly string[]): number[] {
    return tokens.map((t) => {
      let id = this.tokenLabels.get(t);
      if (id === undefined) {
        id = this.tokenLabels.size;
        this.tokenLabels.set(t, id);
      }
      return id;
    });
  }

  async close(): Promise<void> {}
}

/** Prompt log-probs are missing from the server's answer. */
class ScoringUnavailable extends Error {
  override readonly name = "ScoringUnavailable";
}

/**
 * Indices of the echoed tokens that belong to the scored text: those starting inside
 * [start, end) (code points) with a log-prob. The completion's own token starts at `end`.
 */
export function textTokens(lp: ChoiceLogprobs, start: number, end: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < lp.tokens.length; i++) {
    const offset = lp.text_offset[i];
    const value = lp.token_logprobs[i];
    if (offset === undefined || offset < start || offset >= end) continue;
    if (typeof value !== "number") continue;
    out.push(i);
  }
  return out;
}

/**
 * The server's `finish_reason` values that say more than "stop", as litmus records them: TGI's
 * own names, OpenAI's content filter (a filtered, possibly empty, text is no normal stop), and
 * the tool calls litmus never offers (a server that ends so is off what litmus asked: recorded as
 * `other` and counted, rather than read as a normal stop or stopping the audit).
 */
const SERVER_FINISH: Readonly<Record<string, FinishReason>> = {
  length: "length",
  eos_token: "eos",
  stop_sequence: "stop",
  content_filter: "filtered",
  tool_calls: "other",
  function_call: "other",
};

function finishReason(choice: Pick<ServerReply, "finish_reason" | "stop_reason">): FinishReason {
  const reason = choice.finish_reason;
  const named = reason !== null && Object.hasOwn(SERVER_FINISH, reason) ? SERVER_FINISH[reason] : undefined;
  if (named !== undefined) return named;
  // `stop` or unknown: vLLM's stop_reason tells a stop string from the end of text.
  if (typeof choice.stop_reason === "string") return "stop";
  if (choice.stop_reason === null || typeof choice.stop_reason === "number") return "eos";
  return "stop";
}

/** Said once when the server's replies carry no per-token log-probs. */
const NO_LOGPROBS =
  "the server returns no per-token log-probs with its completions: token counts are not known, and CDD compares the completions' characters instead of their tokens";

/** One sample's completions request. */
function completionsBody(
  model: string,
  job: { req: GenerateRequest; c: GenerationConfig; seed: number | null },
  stop: readonly string[],
): CompletionsRequestBody {
  const body: CompletionsRequestBody = {
    model,
    prompt: job.req.prompt,
    max_tokens: job.c.maxNewTokens,
    temperature: job.c.temperature,
    n: 1,
    logprobs: 1,
  };
  if (job.seed !== null) {
    body.top_p = job.c.topP;
    if (job.c.topK > 0) body.top_k = job.c.topK;
    body.seed = job.seed;
  }
  if (stop.length > 0) body.stop = stop.slice();
  return body;
}

function requestOptions(o: OpenAIBackendOptions): RequestOptions {
  return {
    ...(o.apiKey ? { apiKey: o.apiKey } : {}),
    ...(o.retry ? { policy: o.retry } : {}),
    ...(o.onRetry ? { onRetry: o.onRetry } : {}),
    ...(o.sleep ? { sleep: o.sleep } : {}),
    ...(o.random ? { random: o.random } : {}),
    ...(o.maxCompletionBytes ? { maxBytes: o.maxCompletionBytes } : {}),
  };
}
