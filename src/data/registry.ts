import type { CacheOptions } from "./cache.js";
import { GSM8K_FILES, gsm8k } from "./gsm8k.js";
import { LITMUS_MINI_SHA256, litmusMini } from "./litmus-mini.js";

/** Options every named data set receives; file paths ignore all but `split` (which they reject). */
export interface DatasetOptions extends CacheOptions {
  /** Which split of a named data set; each data set has its own default. */
  split?: string;
  /** Replaces the download base URL of a remote data set (tests, mirrors). gsm8k also reads LITMUS_GSM8K_BASE_URL. */
  baseUrl?: string;
  /** Download time limit in milliseconds. */
  timeoutMs?: number;
  /** Progress notes for the user (downloading, cache repaired); the library itself never prints. */
  log?: (message: string) => void;
}

/** The verified bytes of one split and where they live on disk. */
export interface DatasetFile {
  /** Data set name used as the problem source, e.g. `gsm8k-test`. */
  name: string;
  path: string;
  bytes: Uint8Array;
  sha256: string;
}

/**
 * A data set reachable by name instead of a path. To add one (e.g. the bundled `litmus-mini`),
 * implement `open` so it returns checksum-verified bytes, and list it in `namedDatasets`.
 */
export interface NamedDataset {
  name: string;
  description: string;
  splits: readonly string[];
  defaultSplit: string;
  open(split: string, options: DatasetOptions): Promise<DatasetFile>;
}

/** Every named data set, keyed by the name users type. Names win over file paths: use `./gsm8k` for a file. */
export const namedDatasets: ReadonlyMap<string, NamedDataset> = new Map([
  [gsm8k.name, gsm8k],
  [litmusMini.name, litmusMini],
]);

/** The files of named data sets by their pinned sha256: the same bytes get the same name by any path. */
const KNOWN_FILES: ReadonlyMap<string, string> = new Map([
  ...Object.entries(GSM8K_FILES).map(([split, f]) => [f.sha256, `gsm8k-${split}`] as [string, string]),
  [LITMUS_MINI_SHA256, "litmus-mini"],
]);

/**
 * The name of a data set file, from its content: a named data set's file is called by that name
 * (`gsm8k-test` whether it was downloaded or given as `test.jsonl`); any other file by its
 * checksum (`data-3fa9c2d1`). Problem ids (`<name>:<line>`) then depend on content and position,
 * never on how the file was named, and a run resumes from either path.
 */
export function datasetNameOf(sha256: string): string {
  return KNOWN_FILES.get(sha256) ?? `data-${sha256.slice(0, 8)}`;
}
