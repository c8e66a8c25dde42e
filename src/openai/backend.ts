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
import { InputError } from "../util/errors.js";
import { deriveSeed } from "../util/rng.js";
import { terminalSafe } from "../util/terminal-text.js";
import {
  DEFAULT_MAX_REPLY_BYTES,
  EndpointError,
  type RequestOptions,
  type RetryPolicy,
  requestJson,
  requestReply,
} from "./http.js";
import { mapConcurrent } from "./pool.js";
import { type ChatTokenLogprob, checkCompletionsReply, ServerReplyError } from "./reply-shape.js";

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
    const maxBytes = options.maxCompletionBytes ?? DEFAULT_MAX_REPLY_BYTES;
    if (!Number.isInteger(maxBytes) || maxBytes < 1024)
      throw new InputError(`--max-completion-bytes must be an integer of at least 1024, got ${maxBytes}`);
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
      const names = terminalSafe(data.map((m) => String((m as ModelEntry)?.id)).join(", ")).slice(0, 500);
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
      const body: CompletionsRequestBody = {
        model: this.options.model,
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
      // OpenAI's API and TGI (its default --max-stop-sequences) take at most 4 stop strings:
      // the first 4 go to the server (formats list their main stop first), the rest are cut here.
      if (job.c.stop.length > 0) body.stop = job.c.stop.slice(0, SERVER_STOPS);
      const { response, truncated } = await this.post(body, `prompt ${job.req.id}`);
      const choice = response.choices[0]!;
      const localCut = findStop(choice.text, job.c.stop.slice(SERVER_STOPS));
      // A cut reply keeps its text (up to the cut) but no tokens: its token lists are cut too,
      // and the text they describe is not all there.
      const logprobs = truncated ? null : completionsDialect(choice.logprobs);
      const completion: Completion = {
        requestId: job.req.id,
        sampleIndex: job.sample,
        text: localCut >= 0 ? choice.text.slice(0, localCut) : choice.text,
        tokenIds: this.labels(logprobs?.tokens ?? []),
        ...(logprobs?.tokens ? { tokens: logprobs.tokens } : {}),
        logprobs: (logprobs?.token_logprobs ?? []).map((x) => x ?? 0),
        finishReason: localCut >= 0 ? "stop" : truncated ? "truncated" : finishReason(choice),
        promptTokens: response.usage?.prompt_tokens ?? 0,
        seed: job.seed,
      };
      options.onCompletion?.(completion);
      options.onProgress?.({ phase: "decode", done: ++done, total: jobs.length });
      return completion;
    });
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
    let reply: { value: unknown; truncated: boolean };
    try {
      reply = await requestReply("POST", url, body, requestOptions(this.options));
    } catch (err) {
      // A 4xx other than the retryable ones means this request cannot succeed as sent (too long a
      // prompt, unknown model, bad key): the user's to fix, like the in-process runner's errors.
      if (err instanceof EndpointError && err.status !== undefined && err.status >= 400 && err.status < 500)
        throw new InputError(`${what}: ${err.message}`);
      throw err;
    }
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

  /**
   * Prompt lengths from the server's tokenizer: vLLM (and `litmus serve`) answer
   * `POST /tokenize {model, prompt}` beside `/v1` with `count` and `max_model_len`. A server
   * without it (404, 405) measures nothing: every prompt is null and the server judges each as
   * it is sent.
   */
  async promptFits(prompts: readonly string[]): Promise<Array<PromptFit | null>> {
    const url = `${this.options.endpoint.replace(/\/v1$/, "")}/tokenize`;
    const { onRetry: _quiet, ...quiet } = requestOptions(this.options);
    const measure = async (prompt: string): Promise<PromptFit | null> => {
      const raw = (await requestJson("POST", url, { model: this.options.model, prompt }, quiet)) as {
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
 * A choice's log-probs in the completions dialect: the chat dialect (`content[]`, llama.cpp's
 * server) becomes `tokens` + `token_logprobs`.
 */
function completionsDialect(lp: CompletionChoice["logprobs"]): ChoiceLogprobs | null {
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

function finishReason(choice: CompletionChoice): FinishReason {
  if (choice.finish_reason === "length") return "length";
  // TGI names them itself.
  if (choice.finish_reason === "eos_token") return "eos";
  if (choice.finish_reason === "stop_sequence") return "stop";
  if (typeof choice.stop_reason === "string") return "stop";
  if (choice.stop_reason === null || typeof choice.stop_reason === "number") return "eos";
  return "stop";
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
