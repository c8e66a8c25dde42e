import type { Edit } from "../types/index.js";

/** Applies non-overlapping edits (spans of `text`) and returns the edited text. */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  let out = "";
  let at = 0;
  for (const edit of sorted) {
    if (edit.start < at) throw new Error(`overlapping edits at ${edit.start}-${edit.end}`);
    if (text.slice(edit.start, edit.end) !== edit.before) {
      throw new Error(`edit at ${edit.start}-${edit.end} does not match the text it replaces`);
    }
    out += text.slice(at, edit.start) + edit.after;
    at = edit.end;
  }
  return out + text.slice(at);
}

/** An edit replacing `text[start, end)` with `after`. */
export function editOf(text: string, start: number, end: number, after: string): Edit {
  return { start, end, before: text.slice(start, end), after };
}
