/** What pins the model and runtime of a run: file checksums and the onnxruntime version. */
import { createHash } from "node:crypto";
import { createReadStream, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { InputError } from "../util/errors.js";

/**
 * sha256 of every file under the model folder (relative path -> hex), sorted by path. All files,
 * not only model.onnx: external weights, tokenizer and configs all change what the model writes.
 * Hidden files (editor and OS litter) are skipped.
 */
export async function hashModelDir(dir: string): Promise<Record<string, string>> {
  let files: string[];
  try {
    files = listFiles(dir);
  } catch (err) {
    throw new InputError(`--model ${dir}: cannot read the folder (${(err as Error).message})`);
  }
  const out: Record<string, string> = {};
  for (const file of files.sort()) out[relative(dir, file).split("\\").join("/")] = await sha256File(file);
  return out;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path));
    else if (entry.isFile() || (entry.isSymbolicLink() && statSync(path).isFile())) out.push(path);
  }
  return out;
}

/** Streams the file, so multi-gigabyte weights are never held in memory. */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
}

/**
 * The installed onnxruntime-node version, read from its package.json rather than by importing the
 * module (only src/runner/ort.ts imports onnxruntime).
 */
export function onnxruntimeVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    const main = require.resolve("onnxruntime-node");
    // main is <pkg>/dist/index.js; walk up to the folder holding package.json named onnxruntime-node.
    let dir = main;
    for (let i = 0; i < 5; i++) {
      dir = join(dir, "..");
      try {
        const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
          name?: string;
          version?: string;
        };
        if (pkg.name === "onnxruntime-node" && pkg.version) return pkg.version;
      } catch {
        // not this folder
      }
    }
  } catch {
    // not installed where we can see it
  }
  return "unknown";
}
