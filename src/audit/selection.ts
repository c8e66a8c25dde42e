/** Which problems an audit runs: `--limit`, `--ids FILE`, then `--shard i/m`. */
import { readFileSync } from "node:fs";
import type { Problem } from "../types/index.js";
import { InputError } from "../util/errors.js";
import type { Shard } from "./types.js";

/** Parses `i/m` (1 <= i <= m): shard i of m. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new InputError(`--shard: expected i/m with 1 <= i <= m (e.g. 1/4), got "${text}"`);
  }
  return { index, count };
}

export function formatShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

/** Problem ids of an ids file: one per line; blank lines and lines starting with `#` are skipped. */
export function readIdsFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new InputError(`--ids ${path}: cannot read (${(err as Error).message})`);
  }
  const ids = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  if (ids.length === 0) throw new InputError(`--ids ${path}: no problem ids`);
  return ids;
}

export interface Selection {
  /** The problems of the whole selection (before sharding), in data-set order. */
  all: Problem[];
  /** The problems this run audits. */
  problems: Problem[];
}

/**
 * Selects problems in data-set order. `ids` keeps the data set's order (not the file's), so the
 * same set of ids always means the same run. Sharding is round-robin over the selection (problem
 * k goes to shard k mod m), which balances long and short problems and depends on nothing else.
 */
export function selectProblems(
  problems: readonly Problem[],
  options: { limit?: number; ids?: readonly string[]; shard?: Shard },
): Selection {
  let all = problems.slice();
  if (options.ids) {
    const wanted = new Set(options.ids);
    const known = new Set(problems.map((p) => p.id));
    const missing = options.ids.filter((id) => !known.has(id));
    if (missing.length > 0) {
      const shown = missing.slice(0, 3).join(", ");
      throw new InputError(
        `--ids: ${missing.length} id(s) not in the data set (${shown}${missing.length > 3 ? ", ..." : ""}); ids look like ${problems[0]?.id ?? "name:1"}`,
      );
    }
    all = all.filter((p) => wanted.has(p.id));
  }
  if (options.limit !== undefined) all = all.slice(0, options.limit);
  const shard = options.shard;
  const mine = shard ? all.filter((_, k) => k % shard.count === shard.index - 1) : all;
  return { all, problems: mine };
}
