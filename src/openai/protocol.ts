/**
 * The subset of the OpenAI completions API litmus speaks, as both client (`--backend openai`) and
 * server (`litmus serve`): `GET /v1/models` and `POST /v1/completions`. Field names are the API's.
 */

/** The sampling fields both request bodies share. */
export interface SamplingFields {
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  /** Not in OpenAI's API; vLLM, SGLang and TGI honour it. Sent only when top-k is on. */
  top_k?: number;
  n?: number;
  stop?: string | string[] | null;
  seed?: number | null;
}

/** `POST /v1/completions` body (the fields litmus sends or honours). */
export interface CompletionsRequestBody extends SamplingFields {
  model: string;
  prompt: string | string[];
  /** Number of top alternatives per token; any value >= 0 returns the chosen tokens' log-probs. */
  logprobs?: number | null;
  /** Return the prompt before the completion, with its tokens' log-probs when `logprobs` is set. */
  echo?: boolean;
}

/** Per-token log-probs of one choice (`token_logprobs[0]` of an echoed prompt is null). */
export interface ChoiceLogprobs {
  tokens: string[];
  token_logprobs: Array<number | null>;
  top_logprobs: Array<Record<string, number> | null> | null;
  /** Character (code point) offset of each token in the choice's text. */
  text_offset: number[];
}

export interface CompletionChoice {
  index: number;
  text: string;
  logprobs: ChoiceLogprobs | null;
  /**
   * `stop` for a stop string or the end-of-text token, `length` for max_tokens; other servers
   * send other names (reply-shape.ts lists those accepted).
   */
  finish_reason: string | null;
  /**
   * vLLM's extension: the stop string that ended the choice, or the stop token id, or null for
   * end of text. litmus reads it to tell a stop string from end of text.
   */
  stop_reason?: string | number | null;
}

export interface CompletionsResponse {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  choices: CompletionChoice[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

export interface ModelEntry {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
  /** vLLM's extension: the model's context window. */
  max_model_len?: number;
}

export interface ModelsResponse {
  object: "list";
  data: ModelEntry[];
}

/** Error bodies, as OpenAI and the servers that mimic it write them. */
export interface ErrorBody {
  error: { message: string; type: string; code?: string | number | null; param?: string | null };
}

/** Number of Unicode code points of a string: the unit of `text_offset` (Python's len). */
export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** `POST /v1/chat/completions` body (the fields litmus sends or honours). */
export interface ChatCompletionsRequestBody extends SamplingFields {
  model: string;
  messages: Array<{ role: "system" | "user" | "assistant"; content: string }>;
  /** true: each choice carries `logprobs.content`, the chosen tokens with their log-probs. */
  logprobs?: boolean;
  /** Alternatives per token (0-20); needs `logprobs: true`. */
  top_logprobs?: number;
}

/** One generated token of a chat choice, with its log-prob. */
export interface ChatTokenLogprob {
  token: string;
  logprob: number;
  bytes?: number[] | null;
  top_logprobs?: Array<{ token: string; logprob: number; bytes?: number[] | null }>;
}

export interface ChatChoice {
  index: number;
  message: { role: "assistant"; content: string | null };
  logprobs?: { content: ChatTokenLogprob[] | null } | null;
  /** As in completions: other servers send other names (reply-shape.ts lists those accepted). */
  finish_reason: string | null;
  /** vLLM's extension, as in completions: the stop string, the stop token id, or null for eos. */
  stop_reason?: string | number | null;
}

export interface ChatCompletionsResponse {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: ChatChoice[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}
