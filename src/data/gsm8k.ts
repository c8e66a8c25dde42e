import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { InputError } from "../util/errors.js";
import { datasetCacheDir, writeFileAtomic } from "./cache.js";
import { downloadPinned } from "./download.js";
import { sha256Hex } from "./hash.js";
import type { DatasetFile, DatasetOptions, NamedDataset } from "./registry.js";

/** Pinned to a commit, so the URL's content cannot change under the checksums below. */
export const GSM8K_COMMIT = "3101c7d5072418e28b9008a6636bde82a006892c";
export const GSM8K_DEFAULT_BASE_URL = `https://raw.githubusercontent.com/openai/grade-school-math/${GSM8K_COMMIT}`;

export type Gsm8kSplit = "test" | "train";

/** Path under the base URL, sha256 of the file published at GSM8K_COMMIT, and its problem count. */
export const GSM8K_FILES: Readonly<Record<Gsm8kSplit, { path: string; sha256: string; problems: number }>> = {
  test: {
    path: "grade_school_math/data/test.jsonl",
    sha256: "3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14",
    problems: 1319,
  },
  train: {
    path: "grade_school_math/data/train.jsonl",
    sha256: "17f347dc51477c50d4efb83959dbb7c56297aba886e5544ee2aaed3024813465",
    problems: 7473,
  },
};

/** The download URL of a split: option, then LITMUS_GSM8K_BASE_URL, then the pinned GitHub commit. */
export function gsm8kUrl(split: Gsm8kSplit, options: Pick<DatasetOptions, "baseUrl" | "env"> = {}): string {
  const env = options.env ?? process.env;
  const base = options.baseUrl || env["LITMUS_GSM8K_BASE_URL"] || GSM8K_DEFAULT_BASE_URL;
  return `${base.replace(/\/+$/, "")}/${GSM8K_FILES[split].path}`;
}

/** GSM8K from the openai/grade-school-math repository, downloaded once and cached. */
export const gsm8k: NamedDataset = {
  name: "gsm8k",
  description: "GSM8K (openai/grade-school-math), downloaded on first use and cached",
  splits: ["test", "train"],
  defaultSplit: "test",
  open: (split, options) => openGsm8k(split as Gsm8kSplit, options),
};

async function openGsm8k(split: Gsm8kSplit, options: DatasetOptions): Promise<DatasetFile> {
  if (!Object.hasOwn(GSM8K_FILES, split)) throw new InputError(`unknown GSM8K split "${split}"`);
  const name = `gsm8k-${split}`;
  const { sha256 } = GSM8K_FILES[split];
  const path = join(datasetCacheDir(options), `${name}.jsonl`);
  const log = options.log ?? (() => {});

  const cached = await readFile(path).catch(() => undefined);
  // Re-verified on every use: a cache edited by hand or damaged on disk must not feed an audit.
  if (cached && sha256Hex(cached) === sha256) return { name, path, bytes: cached, sha256 };

  const url = gsm8kUrl(split, options);
  log(cached ? `cached ${path} fails its checksum; downloading again from ${url}` : `downloading ${url}`);
  const bytes = await downloadPinned({
    url,
    sha256,
    label: `GSM8K ${split} split`,
    timeoutMs: options.timeoutMs,
  });
  try {
    await writeFileAtomic(path, bytes);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new InputError(
      `could not write the GSM8K cache file ${path} (${reason}); set LITMUS_CACHE_DIR to a writable folder`,
    );
  }
  return { name, path, bytes, sha256 };
}
