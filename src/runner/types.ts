/**
 * Records the runner reads and writes. A backend (ONNX here; an HTTP backend or a mock elsewhere)
 * implements {@link Backend}; everything above the runner talks only to that interface.
 */
import type { ChatMessage } from "../types/audit.js";

/**
 * How a completion ended. The HTTP backend's own: `truncated`, it read the reply only up to
 * `--max-completion-bytes` (the text is what came before the cut, and before a stop string in
 * it); `filtered`, the server's content filter stopped or replaced it (OpenAI's
 * `content_filter`); `other`, the server ended it in a way litmus never asks for (`tool_calls`,
 * `function_call`: litmus offers no tools).
 */
export type FinishReason = "eos" | "stop" | "length" | "truncated" | "filtered" | "other";

/** Decoding settings. Temperature 0 means greedy; top-k 0 and top-p 1 disable those filters. */
export interface GenerationConfig {
  maxNewTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  /** Strings that end a completion; the completion's text stops before the first one found. */
  stop: string[];
  /** Samples per prompt; they share one prefill. */
  n: number;
  /** Run seed; sample j of prompt `id` draws from createRng(deriveSeed(seed, id, j)). */
  seed: number;
}

/** One prompt to complete. */
export interface GenerateRequest {
  /** Stable prompt id: with the run seed and the sample index it pins every random draw. */
  id: string;
  prompt: string;
  /**
   * The chat form of the prompt: a chat API backend sends these instead of `prompt` (a
   * transcript of them, for records). Local backends take `prompt`, already rendered.
   */
  messages?: ChatMessage[];
  /** Overrides of the run's generation settings for this prompt. */
  config?: Partial<GenerationConfig>;
  /**
   * Which of the n samples to produce (default all, 0..n-1), so a resumed run asks only for the
   * samples it lacks; each keeps the seed of its index.
   */
  samples?: number[];
  /**
   * Length in characters of a leading part of `prompt` that many requests share (a few-shot
   * exemplar block). A local backend prefills it once and starts each such prompt from a copy of
   * its KV cache (src/runner/prefix-cache.ts); completions are the same either way.
   */
  sharedPrefix?: number;
  /**
   * Explicit 32-bit seeds of the produced samples, one per entry of `samples` (or per sample),
   * overriding the (run seed, id, index) derivation. For a server whose clients pin every
   * sample's seed themselves.
   */
  seeds?: number[];
  /**
   * The prompt's token ids, when the caller has them already (`litmus serve` tokenizes off the
   * event loop, once): the runner then does not tokenize `prompt` again.
   */
  promptTokenIds?: number[];
  /**
   * Fired when nobody wants the completions any more (a server's client left): the request's rows
   * stop at the next decode step, their completions cut short.
   */
  signal?: AbortSignal;
}

/**
 * How a local model's decode loop keeps its KV cache (src/runner/README.md): a slot cache fed
 * each step's new key/value positions, or the graph's `present.*` outputs fed back whole; `reason`
 * says why the slot cache is not used (null on the slot cache).
 */
export interface DecodePath {
  path: "slot-cache" | "present-feedback";
  reason: string | null;
  /**
   * Whether the graph attends over the cache in place (split-attention.ts), or why not: always on
   * the slot cache, and on the present-feedback path when the graph was loaded split. Said by
   * `--verbose`; not recorded in summary.json (the results agree up to summation order, as the
   * decode paths do).
   */
  attention?: { split: boolean; reason: string | null };
}

/** One sampled (or greedy) continuation of one prompt. */
export interface Completion {
  requestId: string;
  /** 0-based index among the n samples of the request. */
  sampleIndex: number;
  /** Decoded continuation, cut before a stop string when one was found. */
  text: string;
  /** Generated token ids (eos excluded; tokens of a matched stop string included). */
  tokenIds: number[];
  /** Log-probability of each generated token under the model (temperature 1, real vocabulary). */
  logprobs: number[];
  /**
   * The generated tokens' text, from a backend that knows tokens only as text (an HTTP API); there
   * `tokenIds` are local labels.
   */
  tokens?: string[];
  finishReason: FinishReason;
  promptTokens: number;
  /** The 32-bit seed this sample drew from (null for greedy decoding). */
  seed: number | null;
}

/** Teacher-forced scoring of `text` after `prefix`. */
export interface ScoreRequest {
  id: string;
  /** Conditioning text; when empty the text is scored after the bos token. */
  prefix?: string;
  text: string;
}

/** Per-token statistics of a scored text. */
export interface ScoreResult {
  requestId: string;
  /** Token ids of the scored text (tokenized on its own, after the prefix's tokens). */
  tokenIds: number[];
  /** log p(token | everything before it), normalized over the tokenizer's vocabulary. */
  logprobs: number[];
  /**
   * E[log p] under the model's distribution at each position (Min-K%++'s mu). Absent from a
   * backend that sees only the chosen tokens' log-probs (an HTTP API).
   */
  meanLogprob?: number[];
  /** Var[log p] under the model's distribution at each position (Min-K%++'s sigma^2); see meanLogprob. */
  varLogprob?: number[];
}

/** Progress of a long call, reported between model steps. */
export interface Progress {
  phase: "prefill" | "decode" | "score";
  done: number;
  total: number;
}

export interface RunOptions {
  onProgress?: (progress: Progress) => void;
  /**
   * Called with each completion as soon as it is done (before `generate` returns), so a caller can
   * commit it at once; a backend that finishes a whole batch together may call it at the end.
   */
  onCompletion?: (completion: Completion) => void;
}

/** What a backend's scoring can give: null when available, else why not (shown in the report). */
export interface ScoringSupport {
  /** Per-token log-probs of a given text (Min-K%, zlib ratio, neighbourhood gap, exchangeability). */
  logprobs: string | null;
  /** Mean and variance of log p under the model's distribution (Min-K%++). */
  moments: string | null;
}

/** A prompt fits when `tokens < maxContext` (room for one new token), as generation requires. */
export interface PromptFit {
  tokens: number;
  maxContext: number;
}

/** A model that can complete prompts and score texts, in batches. */
export interface Backend {
  /** Identifies the model and how it runs, e.g. `onnx:/models/phi-1_5@cpu`. */
  readonly id: string;
  generate(
    requests: GenerateRequest[],
    config?: Partial<GenerationConfig>,
    options?: RunOptions,
  ): Promise<Completion[]>;
  score(requests: ScoreRequest[], options?: RunOptions): Promise<ScoreResult[]>;
  /** What `score` can give; a backend without it gives everything. */
  scoringSupport?(): Promise<ScoringSupport>;
  /**
   * Each prompt's length in tokens and the context window, for checking every prompt before any
   * generation; null for a prompt the backend cannot measure without generating (a server
   * without a tokenize endpoint). Absent: nothing can be measured.
   */
  promptFits?(
    prompts: readonly string[],
    /** The chat form of each prompt, where a chat API backend measures that instead. */
    messages?: ReadonlyArray<ChatMessage[] | undefined>,
  ): Promise<Array<PromptFit | null>>;
  close(): Promise<void>;
}
