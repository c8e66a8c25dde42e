import { existsSync } from "node:fs";
import type { Problem } from "../types/index.js";
import { InputError } from "../util/errors.js";
import { sha256Hex } from "./hash.js";
import { readInputFile } from "./jsonl.js";
import { parseProblems } from "./problems.js";
import { type DatasetFile, type DatasetOptions, datasetNameOf, namedDatasets } from "./registry.js";

/** A loaded data set. `sha256` is over the file's bytes, so reports can pin exactly what was audited. */
export interface Dataset {
  /** `gsm8k-test`, `litmus-mini`, or for any other file `data-<first 8 hex digits of its sha256>`. */
  name: string;
  path: string;
  sha256: string;
  problems: Problem[];
}

/**
 * Loads a data set from a name (`gsm8k`, with `options.split`) or a JSONL file path. Named data sets
 * take precedence, so a file that happens to be called `gsm8k` must be given as `./gsm8k`.
 */
export async function resolveDataset(spec: string, options: DatasetOptions = {}): Promise<Dataset> {
  const file = await openDataset(spec, options);
  const problems = parseProblems(file.bytes, { file: file.path, source: file.name });
  return { name: file.name, path: file.path, sha256: file.sha256, problems };
}

async function openDataset(spec: string, options: DatasetOptions): Promise<DatasetFile> {
  if (spec.trim() === "") throw new InputError(`empty data set; ${expected()}`);
  const named = namedDatasets.get(spec);
  if (named) {
    const split = options.split ?? named.defaultSplit;
    if (!named.splits.includes(split)) {
      throw new InputError(
        `unknown split "${split}" for ${named.name} (expected ${named.splits.join(" or ")})`,
      );
    }
    return named.open(split, options);
  }
  // A split on a file path would be silently meaningless; refuse it rather than audit the wrong data.
  if (options.split !== undefined) {
    throw new InputError(
      `a split ("${options.split}") applies only to named data sets, not to the file ${spec}`,
    );
  }
  if (!existsSync(spec)) throw new InputError(`${spec}: no such file; ${expected()}`);
  const bytes = await readInputFile(spec);
  const sha256 = sha256Hex(bytes);
  return { name: datasetNameOf(sha256), path: spec, bytes, sha256 };
}

function expected(): string {
  return `expected a JSONL file path or a named data set (${[...namedDatasets.keys()].join(", ")})`;
}
