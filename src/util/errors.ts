/**
 * Errors the user can fix (bad input, missing files, bad flags). The CLI prints their message as
 * one line and exits with code 2; anything else is a bug or a run failure (exit 3).
 */
export class InputError extends Error {
  override readonly name = "InputError";
}

/** Builds a message of the form `file:line: reason` (line omitted when unknown). */
export function located(file: string, line: number | undefined, reason: string): string {
  return line === undefined ? `${file}: ${reason}` : `${file}:${line}: ${reason}`;
}
