/**
 * How the in-process runner decoded a run's completions (a slot cache, or `present.*` fed back and
 * why), kept in the run store so that summary.json says so through resumes and merges. The paths
 * give the same tokens (tests/runner/slot-decoding.test.ts), so a resume under another path is
 * allowed, and the summary then says the run was decoded both ways. A served model records none.
 */
import type { DecodePath } from "../runner/types.js";
import type { RunStore } from "../store/index.js";

const NOTE = "decode_path";

/** What summary.json says: one path, or `mixed` when invocations or shards differed. */
export interface SummaryDecodePath {
  path: DecodePath["path"] | "mixed";
  /** Why not the slot cache (null on it); for `mixed`, each path with its reason. */
  reason: string | null;
}

function isDecodePath(v: unknown): v is DecodePath {
  const o = v as Record<string, unknown> | null;
  return (
    o !== null &&
    typeof o === "object" &&
    (o["path"] === "slot-cache" || o["path"] === "present-feedback") &&
    (o["reason"] === null || typeof o["reason"] === "string")
  );
}

/** The distinct decode paths recorded, sorted (empty: none recorded, e.g. a served model). */
export function storedDecodePaths(store: RunStore): DecodePath[] {
  const value = store.note(NOTE);
  return Array.isArray(value) ? value.filter(isDecodePath) : [];
}

/** Adds the decode path(s) of this invocation or shard (nothing for a served model). */
export function recordDecodePath(
  store: RunStore,
  paths: DecodePath | readonly DecodePath[] | undefined,
): void {
  const added = paths === undefined ? [] : Array.isArray(paths) ? paths : [paths as DecodePath];
  if (added.length === 0) return;
  const key = (d: DecodePath) => `${d.path}\u0000${d.reason ?? ""}`;
  const all = new Map(
    [...storedDecodePaths(store), ...added].map((d) => [key(d), { path: d.path, reason: d.reason }]),
  );
  // Sorted, so that merged shards give the same note in any order.
  store.putNote(
    NOTE,
    [...all.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, d]) => d),
  );
}

/** The summary's `decode_path`: null when none was recorded. */
export function summaryDecodePath(paths: readonly DecodePath[]): SummaryDecodePath | null {
  if (paths.length === 0) return null;
  if (paths.length === 1) return { path: paths[0]!.path, reason: paths[0]!.reason };
  return {
    path: "mixed",
    reason: paths.map((d) => (d.reason === null ? d.path : `${d.path} (${d.reason})`)).join("; "),
  };
}
