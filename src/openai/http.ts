/**
 * JSON over HTTP with the failure handling a long audit needs: a per-attempt timeout, and retries
 * with exponential backoff and full jitter on what a busy or restarting server answers (429, 5xx,
 * timeouts, refused or dropped connections). Everything else fails at once with the server's
 * message on one line.
 */

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
}

type Attempt =
  | { ok: true; value: unknown }
  | { ok: false; retryable: boolean; reason: string; status?: number; retryAfterMs?: number };

/** GET or POST `url` and parse the JSON answer, retrying as the policy allows. */
export async function requestJson(
  method: "GET" | "POST",
  url: string,
  body: unknown,
  options: RequestOptions = {},
): Promise<unknown> {
  const policy = { ...DEFAULT_RETRY, ...options.policy };
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  for (let attempt = 0; ; attempt++) {
    const result = await attemptOnce(method, url, body, options.apiKey, policy.timeoutMs);
    if (result.ok) return result.value;
    if (!result.retryable || attempt >= policy.retries) {
      const tries = attempt + 1;
      throw new EndpointError(
        `${method} ${url}: ${result.reason}${result.retryable ? ` (gave up after ${tries} attempt${tries === 1 ? "" : "s"})` : ""}`,
        result.status,
      );
    }
    const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
    const delayMs = Math.max(result.retryAfterMs ?? 0, Math.floor(random() * cap));
    options.onRetry?.({ attempt: attempt + 1, delayMs, reason: result.reason });
    await sleep(Math.min(delayMs, policy.maxDelayMs));
  }
}

async function attemptOnce(
  method: "GET" | "POST",
  url: string,
  body: unknown,
  apiKey: string | undefined,
  timeoutMs: number,
): Promise<Attempt> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (apiKey) headers["authorization"] = `Bearer ${apiKey}`;
  let response: Response;
  let text: string;
  try {
    const signal = AbortSignal.timeout(timeoutMs);
    response = await fetch(url, {
      method,
      headers,
      signal,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    // The body is read under the same timeout: a server that stalls mid-answer is retried too.
    text = await response.text();
  } catch (err) {
    return { ok: false, retryable: true, reason: networkReason(err, timeoutMs) };
  }
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
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    // A truncated or garbled 200 is a transport fault, not an answer.
    return {
      ok: false,
      retryable: true,
      reason: `answer is not JSON: ${snippet(text)}`,
      status: response.status,
    };
  }
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
    if (m) return `: ${oneLine(m)}`;
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
  return text.replace(/\s+/g, " ").trim();
}

function snippet(text: string): string {
  const t = oneLine(text);
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}
