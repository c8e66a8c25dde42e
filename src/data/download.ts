import { InputError } from "../util/errors.js";
import { sha256Hex } from "./hash.js";

/** A file fetched over HTTP and pinned to a checksum. */
export interface PinnedDownload {
  url: string;
  sha256: string;
  /** What is being downloaded, for messages: e.g. `GSM8K test split`. */
  label: string;
  /** Abort when the whole download takes longer than this (default 60 s). */
  timeoutMs?: number;
  /** Refuse bodies larger than this (default 64 MiB), so a wrong URL cannot exhaust memory. */
  maxBytes?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
const LOCAL_COPY_HINT = "pass --dataset PATH to read a local copy";

/**
 * Downloads a file into memory and returns its bytes only if they match the pinned sha256. Nothing
 * touches the disk here, so the caller caches only verified bytes and a failed or interrupted
 * download can never leave a bad cache file. Every failure is a one-line InputError, since the user
 * can fix it (go online, or point at a local copy).
 */
export async function downloadPinned(file: PinnedDownload): Promise<Uint8Array> {
  const fail = (reason: string): never => {
    throw new InputError(`could not download ${file.label} from ${file.url} (${reason}); ${LOCAL_COPY_HINT}`);
  };
  const timeoutMs = file.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = file.maxBytes ?? DEFAULT_MAX_BYTES;
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    // identity: Content-Length must describe the bytes we count, or truncation cannot be detected.
    response = await fetch(file.url, { signal, headers: { "accept-encoding": "identity" } });
  } catch (err) {
    return fail(networkReason(err, timeoutMs));
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    return fail(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`);
  }
  const declared = declaredLength(response);
  if (declared !== undefined && declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    return fail(`response of ${declared} bytes exceeds the ${maxBytes}-byte limit`);
  }

  const chunks: Uint8Array[] = [];
  let received = 0;
  try {
    if (response.body) {
      for await (const chunk of response.body) {
        received += chunk.byteLength;
        if (received > maxBytes) {
          await response.body.cancel().catch(() => {});
          return fail(`response exceeds the ${maxBytes}-byte limit`);
        }
        chunks.push(chunk);
      }
    }
  } catch (err) {
    const of = declared === undefined ? "" : ` of ${declared}`;
    return fail(`download stopped after ${received}${of} bytes: ${networkReason(err, timeoutMs)}`);
  }
  if (declared !== undefined && received !== declared) {
    return fail(`received ${received} of ${declared} bytes`);
  }

  const bytes = Buffer.concat(chunks);
  const actual = sha256Hex(bytes);
  if (actual !== file.sha256) {
    throw new InputError(
      `downloaded ${file.label} from ${file.url} has sha256 ${actual}, expected ${file.sha256}; ` +
        `nothing was cached; ${LOCAL_COPY_HINT}`,
    );
  }
  return bytes;
}

/** Only trusted when the body is not content-encoded, since then it counts the bytes we receive. */
function declaredLength(response: Response): number | undefined {
  const encoding = response.headers.get("content-encoding");
  if (encoding && encoding !== "identity") return undefined;
  const header = response.headers.get("content-length");
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  return Number(header);
}

/**
 * fetch reports every network failure as "fetch failed" and puts the useful part in `cause`
 * ("connect ECONNREFUSED 127.0.0.1:80", "other side closed"); surface that, on one line.
 */
function networkReason(err: unknown, timeoutMs: number): string {
  const error = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (error?.name === "TimeoutError") return `timed out after ${timeoutMs} ms`;
  const cause = error?.cause;
  // An AggregateError (several addresses tried) has an empty message but a code.
  const text = cause?.message || cause?.code || error?.message || String(err);
  return text.replace(/\s*\n\s*/g, " ").trim();
}
