/** Messages between `litmus serve` and its tokenizer workers (tokenize-worker.ts). */
import type { CompletionSettings } from "./completions.js";
import type { ServeLimits } from "./limits.js";

export interface TokenizeJob {
  kind: "tokenize";
  id: number;
  text: string;
  /**
   * Most tokens wanted: a text found longer is given up on (`over`) without tokenizing the rest,
   * so one huge prompt costs about `limit` tokens' work, not its whole length.
   */
  limit: number;
}

/** The routes whose bodies a worker reads. */
export type BodyRoute = "completions" | "chat" | "tokenize";

/**
 * A large request body, read off the event loop: decoded, parsed, checked and its prompts
 * tokenized in the worker, so only prompts that fit the model (or an error) come back.
 */
export interface PrepareJob {
  kind: "prepare";
  id: number;
  route: BodyRoute;
  /** The raw body (its buffer transferred, not copied). */
  body: Uint8Array;
  servedModel: string;
  limits: ServeLimits;
  maxContext: number;
}

export type ToTokenizer = TokenizeJob | PrepareJob | { kind: "cancel"; id: number };

/** What the worker needs besides the model directory: the chat template, compiled again there. */
export interface TokenizerWorkerData {
  modelDir: string;
  chatTemplate: { text: string; source: string; tokens: { bos_token: string; eos_token: string } } | null;
}

export type FromTokenizer =
  | { kind: "ready" }
  | { kind: "failed"; message: string }
  | { kind: "ids"; id: number; ids: number[] }
  /**
   * The text has more than `limit` tokens: exactly `counted` when tokenized whole (`exact`), at
   * least `counted` when given up on while counting piece by piece.
   */
  | { kind: "over"; id: number; counted: number; exact: boolean }
  /** A prepared completions or chat body: its settings and each prompt's token ids. */
  | { kind: "prepared"; id: number; settings: CompletionSettings; ids: number[][] }
  /** A prepared /tokenize body: the answer to send. */
  | { kind: "answer"; id: number; answer: TokenizeAnswer }
  /** The body was refused: the error to answer with. */
  | { kind: "refused"; id: number; status: number; message: string; param: string | null };

/** vLLM's /tokenize answer: `tokens` null for a prompt past the context (`count` past it too). */
export interface TokenizeAnswer {
  count: number;
  max_model_len: number;
  tokens: number[] | null;
}

/** Text tokenized in one go; a longer text is counted in pieces of about this many characters. */
export const PIECE_CHARS = 16 * 1024;
