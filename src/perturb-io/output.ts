import { writeFileAtomic } from "../data/index.js";
import { InputError } from "../util/errors.js";

/**
 * Writes command output to a file (atomically, so a failed run never leaves half a JSONL file
 * that looks complete) or, without a path, to stdout.
 */
export async function writeOutput(path: string | undefined, text: string): Promise<void> {
  if (path === undefined) {
    await new Promise<void>((resolve, reject) => {
      process.stdout.write(text, (err) => (err ? reject(err) : resolve()));
    });
    return;
  }
  try {
    await writeFileAtomic(path, new TextEncoder().encode(text));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === "EISDIR" ? "is a directory" : code === "EACCES" ? "permission denied" : (err as Error).message;
    throw new InputError(`${path}: cannot write (${reason})`);
  }
}

/** One JSON object per line, each line ending in a newline (an empty list is an empty file). */
export function toJsonl(records: readonly unknown[]): string {
  return records.map((r) => `${JSON.stringify(r)}\n`).join("");
}
