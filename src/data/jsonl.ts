import { readFile } from "node:fs/promises";
import { InputError, located } from "../util/errors.js";

/** One JSON object from a JSONL file, with the physical (1-based) line it came from. */
export interface JsonlRecord {
  line: number;
  value: Record<string, unknown>;
}

const NEWLINE = 0x0a;

/**
 * Parses JSONL bytes strictly: every non-blank line must be a JSON object, and the bytes must be
 * valid UTF-8. Blank (whitespace-only) lines are skipped anywhere, but line numbers always count
 * physical lines, so `file:line` in errors and in problem ids points at the right place in an editor.
 * `file` is only used in error messages.
 */
export function parseJsonl(bytes: Uint8Array, file: string): JsonlRecord[] {
  const text = decodeUtf8(bytes, file);
  const records: JsonlRecord[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    // CRLF files are common when data sets pass through Windows tools; the \r is not content.
    const content = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (content.trim() === "") continue;
    const line = i + 1;
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch (err) {
      throw new InputError(located(file, line, `invalid JSON (${oneLine((err as Error).message)})`));
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new InputError(located(file, line, `expected a JSON object, got ${describeJson(value)}`));
    }
    records.push({ line, value: value as Record<string, unknown> });
  }
  if (records.length === 0) {
    throw new InputError(located(file, undefined, "empty file (no JSON lines)"));
  }
  return records;
}

/** Reads and parses a JSONL file; a missing or unreadable file is an InputError naming the path. */
export async function readJsonl(path: string): Promise<JsonlRecord[]> {
  return parseJsonl(await readInputFile(path), path);
}

/** Reads a file the user named, turning the usual filesystem failures into one-line InputErrors. */
export async function readInputFile(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT"
        ? "no such file"
        : code === "EISDIR"
          ? "is a directory, not a JSONL file"
          : code === "EACCES"
            ? "permission denied"
            : `cannot read (${oneLine((err as Error).message)})`;
    throw new InputError(located(path, undefined, reason));
  }
}

function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    // fatal: silently replacing bad bytes with U+FFFD would change question text and hashes.
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new InputError(located(file, lineOfFirstInvalidUtf8(bytes), "not valid UTF-8"));
  }
}

/**
 * Finds the line holding the first invalid byte by decoding line by line: 0x0A never occurs inside
 * a multi-byte UTF-8 sequence, so splitting on it cannot create or hide an error. Only runs after
 * the whole-file decode failed, so the common path stays a single decode.
 */
function lineOfFirstInvalidUtf8(bytes: Uint8Array): number | undefined {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let start = 0;
  for (let line = 1; start <= bytes.length; line++) {
    let end = bytes.indexOf(NEWLINE, start);
    if (end === -1) end = bytes.length;
    try {
      decoder.decode(bytes.subarray(start, end));
    } catch {
      return line;
    }
    start = end + 1;
  }
  return undefined;
}

function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}
