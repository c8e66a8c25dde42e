import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The reference GSM8K copy beside the project (`../shared/gsm8k`). This file compiles to
 * dist/tests/helpers/, four levels below the folder that holds both the project and `shared`.
 */
export const SHARED_GSM8K_DIR = fileURLToPath(new URL("../../../../shared/gsm8k/", import.meta.url));

export function sharedGsm8kFile(name: "test.jsonl" | "train.jsonl" | "README.md"): string {
  return join(SHARED_GSM8K_DIR, name);
}

/** A fresh temp folder and a function that removes it. */
export async function makeTempDir(
  prefix = "litmus-test-",
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes `content` (text or raw bytes) to `dir/name` and returns the path. */
export async function writeFixture(dir: string, name: string, content: string | Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

/** A JSONL line for a made-up problem. */
export function problemLine(question: string, answer: string): string {
  return JSON.stringify({ question, answer });
}

/** A marble problem whose question runs to about 15 tokens per repeat: longer than a small context. */
export function longQuestion(repeats: number): string {
  return `${"Ann counts the red and blue marbles in the big jar on the shelf again. ".repeat(repeats)}She has 5 marbles and buys 3 more. How many marbles does she have?`;
}
