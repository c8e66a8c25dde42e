import type { CacheOptions } from "./cache.js";
import { gsm8k } from "./gsm8k.js";
import { litmusMini } from "./litmus-mini.js";

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
