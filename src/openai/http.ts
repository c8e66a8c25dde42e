/**
 * JSON over HTTP with the failure handling a long audit needs: a per-attempt timeout, and retries
 * with exponential backoff and full jitter on what a busy or restarting server answers (429, 5xx,
 * timeouts, refused or dropped connections). Everything else fails at once with the server's
 * message on one line, stripped of anything that could act on a terminal. A body is read only up
 * to a byte limit: a server that sends more cannot fill the client's memory.
 */
import { terminalSafe } from "../util/terminal-text.js";
import { parseJsonPrefix } from "./json-prefix.js";
import { ServerReplyError } from "./reply-shape.js";

export interface RetryPolicy {
  /** Attempts after the first. */
  retries: number;
  /** Backoff before retry r (0-based) is a uniform draw in [0, min(maxDelayMs, baseDelayMs * 2^r)]. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Limit of one attempt, from sending the request to reading the whole body. */
  timeoutMs: number;
}

export const DEFAULT_RETRY: Readonly<RetryPolicy> = {
  retries: 8,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  timeoutMs: 600_000,
};

/** HTTP statuses worth another attempt: the server is busy, restarting, or timed out. */
const RETRYABLE_STATUS = new Set([408, 409, 425, 429, 500, 502, 503, 504]);

/** A request that failed for good (after its retries, or at once when retrying cannot help). */
export class EndpointError extends Error {
  override readonly name = "EndpointError";
  constructor(
    message: string,
    /** HTTP status of the last answer; undefined when there was none (network, timeout). */
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface RequestOptions {
  apiKey?: string;
  policy?: Partial<RetryPolicy>;
  /** Called before each retry (for a warning line or a test's count). */
  onRetry?: (event: { attempt: number; delayMs: number; reason: string }) => void;
  /** Waits between attempts (tests pass a fast one). */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). Backoff timing never changes a result, so it need not be seeded. */
  random?: () => number;
  /**
   * Most bytes of a body read (default {@link DEFAULT_MAX_REPLY_BYTES}); the rest is never read.
   * A 200 cut there is parsed as far as it goes and returned marked `truncated`.
   */
  maxBytes?: number;
}

/** Default cap of one reply body (`--max-completion-bytes`): 1 MiB. */
export const DEFAULT_MAX_REPLY_BYTES = 1024 * 1024;

/** A parsed answer; `truncated` when the body was longer than `maxBytes` and only its start was read. */
export interface Reply {
  value: unknown;
  truncated: boolean;
}

type Attempt =
  | { ok: true; reply: Reply }
  | {
      ok: false;
      retryable: boolean;
      reason: string;
      status?: number;
      retryAfterMs?: number;
      /** The server answered, but not in the protocol: no retry, exit 2. */
      protocol?: boolean;
    };

/** GET or POST `url` and parse the JSON answer, retrying as the policy allows; a cut body is an error. */
export async function requestJson(
  method: "GET" | "POST",
  url: string,
  body: unknown,
  options: RequestOptions = {},
): Promise<unknown> {
  const reply = await requestReply(method, url, body, options);
  if (reply.truncated)
    throw new ServerReplyError(
      `${method} ${url}: server reply is longer than ${options.maxBytes ?? DEFAULT_MAX_REPLY_BYTES} bytes (raise --max-completion-bytes)`,
    );
  return reply.value;
}

/** GET or POST `url` and parse the JSON answer, read up to `maxBytes`, retrying as the policy allows. */
export async function requestReply(
  method: "GET" | "POST",
  url: string,
  body: unknown,
  options: RequestOptions = {},
): Promise<Reply> {
  const policy = { ...DEFAULT_RETRY, ...options.policy };
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_REPLY_BYTES;
  for (let attempt = 0; ; attempt++) {
    const result = await attemptOnce(method, url, body, options.apiKey, policy.timeoutMs, maxBytes);
    if (result.ok) return result.reply;
    if (result.protocol) throw new ServerReplyError(`${method} ${url}: ${result.reason}`);
    if (!result.retryable || attempt >= policy.retries) {
      const tries = attempt + 1;
      throw new EndpointError(
        `${method} ${url}: ${result.reason}${result.retryable ? ` (gave up after ${tries} attempt${tries === 1 ? "" : "s"})` : ""}`,
        result.status,
      );
    }
    const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
    const asked = result.retryAfterMs ?? 0;
    // A server's Retry-After is honoured up to the cap: the wait reported is the one taken.
    const delayMs = Math.min(policy.maxDelayMs, Math.max(asked, Math.floor(random() * cap)));
    const capped = asked > policy.maxDelayMs ? ` (Retry-After ${formatSeconds(asked)} s, capped)` : "";
    options.onRetry?.({ attempt: attempt + 1, delayMs, reason: `${result.reason}${capped}` });
    await sleep(delayMs);
  }
}

function formatSeconds(ms: number): string {
  return (ms / 1000).toFixed(ms < 10_000 ? 1 : 0);
}

async function attemptOnce(
  method: "GET" | "POST",
  url: string,
  body: unknown,
  apiKey: string | undefined,
  timeoutMs: number,
  maxBytes: number,
): Promise<Attempt> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (apiKey) headers["authorization"] = `Bearer ${apiKey}`;
  let response: Response;
  let read: { text: string; truncated: boolean };
  try {
    const signal = AbortSignal.timeout(timeoutMs);
    response = await fetch(url, {
      method,
      headers,
      signal,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    // The body is read under the same timeout: a server that stalls mid-answer is retried too.
    read = await readCapped(response, maxBytes);
  } catch (err) {
    return { ok: false, retryable: true, reason: networkReason(err, timeoutMs) };
  }
  const { text, truncated } = read;
  if (!response.ok) {
    const reason = `HTTP ${response.status}${serverMessage(text)}`;
    return {
      ok: false,
      retryable: RETRYABLE_STATUS.has(response.status),
      reason,
      status: response.status,
      ...retryAfter(response.headers.get("retry-after")),
    };
  }
  if (truncated) {
    try {
      return { ok: true, reply: { value: parseJsonPrefix(text), truncated } };
    } catch {
      return {
        ok: false,
        retryable: false,
        protocol: true,
        reason: `server reply is not JSON: ${snippet(text)}`,
      };
    }
  }
  try {
    return { ok: true, reply: { value: JSON.parse(text), truncated } };
  } catch {
    // The body was read to its end (a body cut in transit fails the read above and is retried):
    // whatever it is, a JSON text that does not parse or no JSON at all (an HTML page, plain
    // text), the server is off the protocol, and asking again would get the same.
    return {
      ok: false,
      retryable: false,
      protocol: true,
      reason: `server reply is not JSON: ${snippet(text)}`,
    };
  }
}

/**
 * The body as text, read chunk by chunk and no further than `maxBytes` (the rest is cancelled
 * unread, so a huge body never sits in memory), cut back to a whole UTF-8 character.
 */
async function readCapped(
  response: Response,
  maxBytes: number,
): Promise<{ text: string; truncated: boolean }> {
  if (response.body === null) return { text: "", truncated: false };
  const reader = response.body.getReader();
  const decoder = new TextDecoder("utf-8");
  const parts: string[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > maxBytes) {
      parts.push(decoder.decode(value.subarray(0, maxBytes - size), { stream: true }));
      await reader.cancel().catch(() => undefined);
      // stream: true above keeps a cut character's bytes back; dropping them keeps whole characters.
      return { text: parts.join(""), truncated: true };
    }
    size += value.byteLength;
    parts.push(decoder.decode(value, { stream: true }));
  }
  parts.push(decoder.decode());
  return { text: parts.join(""), truncated: false };
}

function networkReason(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === "TimeoutError" || e?.name === "AbortError")
    return `no complete answer within ${timeoutMs} ms`;
  const cause = e?.cause?.code ?? e?.cause?.message;
  return `${e?.message ?? String(err)}${cause ? ` (${cause})` : ""}`;
}

/** `: message` from an OpenAI-style error body, or a snippet of any other body. */
function serverMessage(text: string): string {
  if (text.trim() === "") return "";
  try {
    const body = JSON.parse(text) as {
      error?: { message?: unknown } | string;
      message?: unknown;
      detail?: unknown;
    };
    const m =
      typeof body.error === "string"
        ? body.error
        : typeof body.error?.message === "string"
          ? body.error.message
          : typeof body.message === "string"
            ? body.message
            : typeof body.detail === "string"
              ? body.detail
              : undefined;
    if (m) {
      const line = oneLine(m);
      return `: ${line.length > 500 ? `${line.slice(0, 500)}…` : line}`;
    }
  } catch {
    // not JSON: fall through to a snippet
  }
  return `: ${snippet(text)}`;
}

function retryAfter(header: string | null): { retryAfterMs?: number } {
  if (header === null) return {};
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return { retryAfterMs: seconds * 1000 };
  const date = Date.parse(header);
  return Number.isFinite(date) ? { retryAfterMs: Math.max(0, date - Date.now()) } : {};
}

function oneLine(text: string): string {
  return terminalSafe(text).replace(/\s+/g, " ").trim();
}

/** A short one-line view of a body; an HTML page (a proxy's error page) by its title or text. */
function snippet(text: string): string {
  const html = /^\s*(<!doctype html|<html)/i.test(text);
  const title = html ? /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1] : undefined;
  const shown = html
    ? `an HTML page: ${title?.trim() ? title : text.replace(/<[^>]*>/g, " ")}`
    : text.slice(0, 1000);
  const t = oneLine(shown);
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}
