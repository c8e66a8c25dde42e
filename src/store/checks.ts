import type { AuditRequest, CompletionRecord, RunConfig } from "../types/audit.js";
import { InputError } from "../util/errors.js";

/** JSON with object keys sorted at every level, so equal records always give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort()
        .map((k) => [k, sortKeys(obj[k])]),
    );
  }
  return value;
}

/** Where two configurations differ: each path as its keys (a key may hold a dot: `config.json`). */
export function configDifferencePaths(stored: RunConfig, wanted: RunConfig): string[][] {
  const out: string[][] = [];
  const walk = (a: unknown, b: unknown, path: string[]) => {
    const plainA = a !== null && typeof a === "object" && !Array.isArray(a);
    const plainB = b !== null && typeof b === "object" && !Array.isArray(b);
    if (plainA && plainB) {
      const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
      for (const k of [...keys].sort()) {
        walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], [...path, k]);
      }
    } else if (canonicalJson(a) !== canonicalJson(b)) out.push(path);
  };
  walk(stored, wanted, []);
  return out;
}

/** Dotted paths where two configurations differ (`decoding.temperature`), in sorted order. */
export function configDifferences(stored: RunConfig, wanted: RunConfig): string[] {
  return configDifferencePaths(stored, wanted).map(showPath);
}

/** A path as a reader writes it: `decoding.temperature`, `modelFiles["config.json"]`. */
function showPath(keys: readonly string[]): string {
  return keys
    .map((k, i) => (/^[A-Za-z_$][\w$]*$/.test(k) ? (i === 0 ? k : `.${k}`) : `[${JSON.stringify(k)}]`))
    .join("");
}

/** The one-line refusal for a store holding a run of another configuration. */
export function configMismatch(where: string, stored: RunConfig, wanted: RunConfig): InputError | null {
  const diffs = configDifferencePaths(stored, wanted);
  if (diffs.length === 0) return null;
  const shown = diffs.slice(0, 5).map((keys) => {
    const get = (c: RunConfig) => keys.reduce<unknown>((v, k) => (v as Record<string, unknown>)?.[k], c);
    return `${showPath(keys)}: ${short(get(stored))} -> ${short(get(wanted))}`;
  });
  const more = diffs.length > 5 ? `; and ${diffs.length - 5} more` : "";
  return new InputError(
    `${where} holds a run with a different configuration (${shown.join("; ")}${more}); ` +
      "rerun with the same settings to resume, or choose a new output folder",
  );
}

function short(value: unknown): string {
  const text = value === undefined ? "(none)" : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Refuses a record that differs from the stored one under the same id. */
export function checkSame(where: string, kind: string, id: string, stored: string, wanted: string): void {
  if (stored !== wanted) {
    throw new InputError(`${where} already holds a different ${kind} ${id}; choose a new output folder`);
  }
}

/** A completion must belong to a stored request, and its sample index must fit the request's mode. */
export function checkCompletion(request: AuditRequest | undefined, c: CompletionRecord): void {
  if (!request) throw new Error(`completion for unknown request ${c.requestId}`);
  const ok =
    request.mode === "greedy"
      ? c.sampleIndex === null
      : c.sampleIndex !== null &&
        Number.isInteger(c.sampleIndex) &&
        c.sampleIndex >= 0 &&
        c.sampleIndex < request.n;
  if (!ok) {
    throw new Error(
      `sample index ${c.sampleIndex} does not fit ${request.mode} request ${request.id} (n=${request.n})`,
    );
  }
}

/** Storage key of a sample index: greedy (null) is -1, so it sorts first and can be a primary key. */
export function sampleKey(sampleIndex: number | null): number {
  return sampleIndex === null ? -1 : sampleIndex;
}

/** The completion order of every store: request id, then sample (greedy first). */
export function compareCompletions(a: CompletionRecord, b: CompletionRecord): number {
  if (a.requestId !== b.requestId) return a.requestId < b.requestId ? -1 : 1;
  return sampleKey(a.sampleIndex) - sampleKey(b.sampleIndex);
}
