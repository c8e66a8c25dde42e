/**
 * Records of the audit pipeline (prompts -> requests -> completions -> extractions -> scores ->
 * metrics -> run store). Defined once here so the stages, the store and the report agree on shapes.
 */

import type { FinishReason } from "../runner/types.js";
import type { WrapperEdit } from "./index.js";

// ---------------------------------------------------------------------------------------------
// Prompts

/** One worked example shown before the question in a few-shot prompt. */
export interface Exemplar {
  /** Where it comes from: `gsm8k-train:3` for data-set lines, `cot-8shot:1` for embedded ones. */
  id: string;
  question: string;
  /** The full worked answer as it appears in the prompt (a GSM8K solution with `####`, or a CoT target). */
  answer: string;
  /** The final answer alone (the text after `####`, or N in "The answer is N."). */
  final: string;
  /** problemHash(question, answer) for data-set exemplars, so the asked problem is recognised by content. */
  hash?: string;
}

/** Where a format's exemplars come from. Data-set exemplars are referenced by line, never copied. */
export type ExemplarSource =
  | { kind: "none" }
  | { kind: "inline"; exemplars: Exemplar[] }
  /** 1-based lines of the GSM8K train split, in order of preference (the first `count` usable ones). */
  | { kind: "gsm8k-train"; lines: number[] };

/** A prompt format as data: templates, how many exemplars, and where generation stops. */
export interface PromptFormatSpec {
  name: string;
  description: string;
  /** The prompt template; placeholders `{question}` and `{exemplars}` (see src/prompts/README.md). */
  template: string;
  /** How one exemplar renders; placeholders `{question}`, `{answer}`, `{final}`. */
  exemplarTemplate: string;
  /** Text after every rendered exemplar (so `{exemplars}` is empty when there are none). */
  exemplarSeparator: string;
  /** How many exemplars to show. */
  shots: number;
  exemplars: ExemplarSource;
  /** Generation stops before the first of these strings. */
  stop: string[];
  /**
   * Where a completion's answer comes from: `text` (default) runs the extraction pipeline on it;
   * `code` runs `def solution():\n` + the completion in the Python sandbox and takes what
   * `solution()` returns (see src/audit/README.md, "Program-of-thought answers").
   */
  answerFrom?: "text" | "code";
}

/** The problem a prompt asks, so exemplars can exclude it (by id, content hash or question text). */
export interface AskedProblem {
  question: string;
  /** The source problem's id (for a variant: the id of the problem it was made from). */
  problemId?: string;
  /** The source problem's problemHash (for a variant: the original problem's hash). */
  problemHash?: string;
  /** The source problem's question (for a variant: the original question). */
  originalQuestion?: string;
  /** A format variant's change of the text around the question (src/probes/format.ts). */
  wrapper?: WrapperEdit[];
}

/** The exact text sent to the model, its stop strings, and which exemplars it showed. */
export interface RenderedPrompt {
  format: string;
  text: string;
  stop: string[];
  exemplarIds: string[];
  /** Characters of `text` before the question when exemplars are shown (their shared block), else 0. */
  sharedPrefix: number;
  /** A chat prompt's messages, for a chat API (then `text` is their transcript); absent otherwise. */
  messages?: ChatMessage[];
}

/** One turn of a chat prompt, as the OpenAI chat API and Hugging Face chat templates take it. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/**
 * How an audit's prompts reach the model (absent from a run's config: plain completion prompts).
 * `api`: the chat form's messages go to a server's `/v1/chat/completions`, which applies the
 * model's template. `template`: the chat form is rendered locally by the model's chat template
 * (or a file), and the rendered text is the prompt. `system` is the system message of the chat form.
 */
export type ChatSettings =
  | { via: "api"; system: string }
  | { via: "template"; system: string; template: { origin: "model" | "file"; sha256: string } };

// ---------------------------------------------------------------------------------------------
// Extraction

/** Names of the extraction rules; see src/extract/README.md for their order and patterns. */
export type ExtractionRuleName = "hash-line" | "answer-is" | "last-number";

/**
 * Rules of a `code` format's answers: `code` when `solution()` returned a number, else why there is
 * no answer (`code-timeout`, `code-memory`, `code-output`, `code-exception`, `code-crash`, `code-not-a-number`).
 */
export type CodeRuleName =
  | "code"
  | "code-timeout"
  | "code-memory"
  | "code-output"
  | "code-exception"
  | "code-crash"
  | "code-not-a-number";

/**
 * How a `code` format's program is made from the model's text (src/audit/code-answer.ts):
 * `completion-body`, `def solution():\n` + the completion; `chat-reply`, the first fenced block of
 * a chat reply (or the whole reply), with the header added unless it defines `solution()`.
 */
export type CodeProgramRule = "completion-body" | "chat-reply";

/** What one extraction pipeline found in one completion. */
export interface Extraction {
  pipeline: string;
  /** Canonical decimal (`1200`, `-3.5`), or null when no rule found a number ("no answer"). */
  answer: string | null;
  /** The rule that matched, or null when none did. */
  rule: ExtractionRuleName | null;
  /** The matched text as written in the completion (`$1,200.00`), for review. */
  raw: string | null;
}

// ---------------------------------------------------------------------------------------------
// Requests and completions of an audit

/** `original` for the unperturbed problem, else the probe's name. */
export type ProbeLabel = string;

/** One prompt of an audit: the original problem or one variant, greedy or sampled. */
export interface AuditRequest {
  /** Stable id, e.g. `<variantId>#greedy`; with the seed and sample index it pins every draw. */
  id: string;
  problemId: string;
  /** The variant's id, or null for the original problem. */
  variantId: string | null;
  probe: ProbeLabel;
  /**
   * The prompt text: what the model is given, or for a chat API request (`messages` set) a
   * transcript of the messages (the server renders them with its own template).
   */
  prompt: string;
  /** The chat form's messages, sent as they are to a chat API; absent for text prompts. */
  messages?: ChatMessage[];
  /**
   * Leading characters of `prompt` every request of the run shares (the few-shot exemplar block);
   * a local model prefills them once. Absent when there are none.
   */
  sharedPrefix?: number;
  stop: string[];
  /** Greedy requests have one completion; sampled requests have `n`. */
  mode: "greedy" | "sampled";
  n: number;
  /** Canonical expected answer of this prompt's question. */
  expected: string;
  /** Canonical answer of the original problem (equal to `expected` for the original). */
  originalAnswer: string;
  answerChanged: boolean;
  /** Set when the question asks for cents or dollars: answers in the other unit are converted. */
  answerUnit?: "cents" | "dollars";
}

/** One stored completion with its extraction and verdict. Keyed by (requestId, sampleIndex). */
/** Tokens of a completion kept for CDD, which compares the first 100 (Dong et al. 2024). */
export const CDD_TOKENS = 100;

export interface CompletionRecord {
  requestId: string;
  /** Index among the request's samples; null for the greedy completion. */
  sampleIndex: number | null;
  text: string;
  tokenCount: number;
  /**
   * The first CDD_TOKENS generated tokens, each as a string key (the model's token id for the
   * in-process runner, the token's text from an HTTP server), so CDD compares model tokens from
   * the store. Absent in stores written before litmus kept them.
   */
  tokens?: string[];
  finishReason: FinishReason;
  /** The 32-bit seed the sample drew from; null for greedy. */
  seed: number | null;
  /** Canonical extracted answer, or null for "no answer" (counted wrong, never dropped). */
  answer: string | null;
  /** The extraction rule that matched (null: none did), or for a `code` format a CodeRuleName. */
  rule: ExtractionRuleName | CodeRuleName | null;
  correct: boolean;
}

// ---------------------------------------------------------------------------------------------
// Metrics

/** Tier 1 input: one scored completion, joined with what it was asked. */
export interface ScoredCompletion {
  problemId: string;
  /** null for the original problem. */
  variantId: string | null;
  probe: ProbeLabel;
  /** null for the greedy completion. */
  sampleIndex: number | null;
  answer: string | null;
  expected: string;
  originalAnswer: string;
  answerChanged: boolean;
  correct: boolean;
}

/** A proportion with its interval. */
export interface Proportion {
  successes: number;
  total: number;
  /** successes / total, or null when total is 0. */
  value: number | null;
  /** Interval at `level` (Wilson score), or null when total is 0. */
  ci: [number, number] | null;
  level: number;
}

export type Verdict = "memorized" | "suspect" | "fragile" | "robust" | "unsolved";

/** One named figure of a run, as stored. `value` is any JSON. */
export interface MetricRecord {
  /** e.g. `pass@1.original`, `drop.newline`, `stale_rate`. */
  name: string;
  value: unknown;
}

// ---------------------------------------------------------------------------------------------
// Run store

/** Decoding settings of an audit as recorded (a greedy completion plus `n` samples per prompt). */
export interface DecodingSettings {
  n: number;
  temperature: number;
  topP: number;
  topK: number;
  maxNewTokens: number;
}

/**
 * Everything that determines a run's results. Resuming into a store requires an equal config:
 * any difference could change results, so it is refused rather than mixed.
 */
export interface RunConfig {
  litmusVersion: string;
  onnxruntimeVersion: string;
  executionProvider: string;
  /** Model files (relative path -> sha256 hex); empty for a served model. */
  modelFiles: Record<string, string>;
  /**
   * Set when the model ran behind an OpenAI-compatible server: its name there. The endpoint is not
   * part of the identity, so shards and resumes may reach the same model through other servers.
   */
  served?: { api: "openai"; model: string };
  /** Set when prompts are chat conversations (see ChatSettings); absent for plain prompts. */
  chat?: ChatSettings;
  dataset: { name: string; sha256: string };
  /** Selected problem ids, shard, limit... whatever selects the problems. */
  selection: Record<string, unknown>;
  probes: string[];
  promptFormat: { name: string; spec: PromptFormatSpec | null };
  decoding: DecodingSettings;
  ks: number[];
  seeds: { run: number; probes: number; bootstrap: number };
}

/** The manifest: the config plus when the run started and ended (not part of its identity). */
export interface RunManifest {
  config: RunConfig;
  startedAt: string;
  /** null while the run has not finished. */
  finishedAt: string | null;
}

// ---------------------------------------------------------------------------------------------
// Detector scores

/**
 * Likelihood scores of one scored text (an original problem or a variant), kept in the run store
 * so the detectors resume and shards merge without scoring any text twice.
 */
export interface TextScoreRecord {
  /** `<problem id>/original` or the variant id. */
  unit: string;
  /** `original` or the variant's probe. */
  probe: string;
  answerChanged: boolean;
  /** The Min-K% share the scores were computed with. */
  k: number;
  tokens: number;
  /** Sum of token log-probs. */
  logLikelihood: number;
  /** Mean token log-prob. */
  perToken: number;
  minK: number;
  /** null when the backend gives no per-position moments (an HTTP API). */
  minKPlusPlus: number | null;
  zlibRatio: number;
}
