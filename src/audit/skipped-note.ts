/**
 * Problems an audit left out with `--skip-too-long` (a prompt longer than the context window),
 * kept in the run store so that summary.json and the report count them, through resumes and
 * merges alike.
 */
import type { RunStore } from "../store/index.js";

const NOTE = "skipped_too_long";

/** The problems left out, sorted (empty when none). */
export function storedSkippedProblems(store: RunStore): string[] {
  const value = store.note(NOTE);
  return Array.isArray(value) ? value.map(String) : [];
}

/** Adds problems left out by this invocation or shard. */
export function recordSkippedProblems(store: RunStore, problemIds: readonly string[]): void {
  if (problemIds.length === 0) return;
  const all = [...new Set([...storedSkippedProblems(store), ...problemIds])].sort();
  store.putNote(NOTE, all);
}
