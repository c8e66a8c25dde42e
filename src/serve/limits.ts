/**
 * What one request may ask of `litmus serve`, so that no client can hold the model or the event
 * loop for long: each limit is a `litmus serve` option with its default, and a request past it is
 * refused at once with an OpenAI-style error naming the limit and its option.
 */

export interface ServeLimits {
  /** Most prompts in one request's `prompt` list. */
  maxPrompts: number;
  /**
   * Most tokens one request may cost: the sum over its prompts of the prompt's tokens plus n times
   * the tokens each sample may generate (max_tokens, or what the context leaves if less).
   */
  maxRequestTokens: number;
  /** Largest request body read, in bytes. */
  maxBodyBytes: number;
  /**
   * Most messages in one chat (`/v1/chat/completions`, `/tokenize` with `messages`): a chat
   * template renders on the event loop, so its work is bounded before rendering.
   */
  maxMessages: number;
}

/** The limits as data: option, default, HTTP status of a request past it, what it bounds. */
export const LIMITS: ReadonlyArray<{
  key: keyof ServeLimits;
  option: string;
  default: number;
  status: 400 | 413;
  describe: string;
}> = [
  {
    key: "maxPrompts",
    option: "max-prompts",
    default: 256,
    status: 400,
    describe: "Most prompts in one request's prompt list",
  },
  {
    key: "maxRequestTokens",
    option: "max-request-tokens",
    default: 262_144,
    status: 400,
    describe: "Most tokens one request may cost: its prompts' tokens plus n x the tokens each may generate",
  },
  {
    key: "maxMessages",
    option: "max-messages",
    default: 1024,
    status: 400,
    describe: "Most messages in one chat request (checked before its template is rendered)",
  },
  {
    key: "maxBodyBytes",
    option: "max-body-bytes",
    default: 16 * 1024 * 1024,
    status: 413,
    describe: "Largest request body, in bytes",
  },
];

export const DEFAULT_LIMITS: Readonly<ServeLimits> = Object.fromEntries(
  LIMITS.map((l) => [l.key, l.default]),
) as unknown as ServeLimits;

/**
 * Most characters of message text per token of context a chat may hold: a chat whose messages
 * hold more than `maxContext x MAX_CHARS_PER_TOKEN` characters cannot fit the context, whatever
 * its template adds, as long as the tokenizer averages at most 64 characters a token over the
 * whole text. BPE vocabularies' longest tokens are runs of spaces or punctuation of a few dozen
 * characters, and English text averages about 4: 64 refuses only chats that could never run, and
 * refuses them before the template renders megabytes of text on the event loop.
 */
export const MAX_CHARS_PER_TOKEN = 64;

/** The message characters past which a chat cannot fit a context of `maxContext` tokens. */
export function chatCharsBound(maxContext: number): number {
  return maxContext * MAX_CHARS_PER_TOKEN;
}

/** The option that sets a limit, for error messages ("--max-prompts"). */
export function limitOption(key: keyof ServeLimits): string {
  return `--${LIMITS.find((l) => l.key === key)!.option}`;
}
