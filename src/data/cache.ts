import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, isAbsolute, join } from "node:path";

/** Where downloaded data lives; `cacheDir` (or LITMUS_CACHE_DIR) replaces the whole litmus cache root. */
export interface CacheOptions {
  cacheDir?: string;
  /** Environment to read LITMUS_CACHE_DIR / XDG_CACHE_HOME from; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * The litmus cache root: option, then LITMUS_CACHE_DIR, then `$XDG_CACHE_HOME/litmus`, then
 * `~/.cache/litmus`. Empty variables count as unset, as the XDG spec asks.
 */
export function litmusCacheDir(options: CacheOptions = {}): string {
  const env = options.env ?? process.env;
  if (options.cacheDir) return options.cacheDir;
  if (env["LITMUS_CACHE_DIR"]) return env["LITMUS_CACHE_DIR"];
  const xdg = env["XDG_CACHE_HOME"];
  // XDG says relative values are invalid and must be ignored.
  if (xdg && isAbsolute(xdg)) return join(xdg, "litmus");
  return join(homedir(), ".cache", "litmus");
}

/** The folder downloaded data sets are cached in. */
export function datasetCacheDir(options: CacheOptions = {}): string {
  return join(litmusCacheDir(options), "datasets");
}

/**
 * Writes a file so readers see either the old content or the complete new content, never a
 * partial file: the bytes go to a temp file in the same folder (rename is only atomic within one
 * file system) and are renamed over the target. A crash mid-write leaves only a `.tmp` file behind.
 */
/**
 * Writes lines to `path` atomically, as writeFileAtomic does, without ever holding the whole text:
 * lines are gathered into chunks of about 1 MiB and written as they come (memory stays bounded
 * however large the file).
 */
export async function writeLinesAtomic(path: string, lines: Iterable<string>): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const handle = await open(temp, "w");
  try {
    let chunk: string[] = [];
    let size = 0;
    for (const line of lines) {
      chunk.push(line);
      size += line.length;
      if (size >= 1 << 20) {
        await handle.write(chunk.join(""));
        chunk = [];
        size = 0;
      }
    }
    if (chunk.length > 0) await handle.write(chunk.join(""));
    await handle.sync();
    await handle.close();
    await rename(temp, path);
  } catch (err) {
    await handle.close().catch(() => {});
    await rm(temp, { force: true });
    throw err;
  }
}

export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await writeFile(temp, data, { flush: true });
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}
