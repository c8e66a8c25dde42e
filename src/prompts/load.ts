import { existsSync } from "node:fs";
import { basename, extname } from "node:path";
import { GSM8K_FILES } from "../data/gsm8k.js";
import { readInputFile } from "../data/jsonl.js";
import { resolveDataset } from "../data/resolve.js";
import type { Exemplar, PromptFormatSpec } from "../types/audit.js";
import type { Problem } from "../types/index.js";
import { InputError } from "../util/errors.js";
import { BUILTIN_FORMATS } from "./builtin.js";
import { type PromptFormat, preparePromptFormat } from "./format.js";

export interface ResolveFormatOptions {
  /** Loads the GSM8K train split (for train-line exemplars); defaults to the cached, checksummed download. */
  loadTrain?: () => Promise<readonly Problem[]>;
  /**
   * A local copy of GSM8K's train split for train-line exemplars (`--exemplars PATH`): no download,
   * so a few-shot format works offline. Checked against the split's pinned sha256.
   */
  exemplarsFile?: string;
}

/** A built-in format name (`qa`, `gsm8k-5shot`, `cot-8shot`, `code`) or a template file path, ready to render. */
export async function resolvePromptFormat(
  spec: string,
  options: ResolveFormatOptions = {},
): Promise<PromptFormat> {
  const formatSpec = await loadFormatSpec(spec);
  const load =
    options.exemplarsFile !== undefined
      ? () => loadTrainCopy(options.exemplarsFile as string)
      : (options.loadTrain ?? loadGsm8kTrain);
  const train = formatSpec.exemplars.kind === "gsm8k-train" ? await load() : undefined;
  return preparePromptFormat(formatSpec, train);
}

/**
 * A built-in format's spec or a template file's, without resolving its exemplars (no train split
 * is read): enough to know the text around the question, as `litmus perturb --format` needs.
 */
export async function loadFormatSpec(spec: string): Promise<PromptFormatSpec> {
  const builtin = BUILTIN_FORMATS.get(spec);
  if (!builtin && !existsSync(spec)) {
    throw new InputError(
      `--format ${spec}: no such file, and no built-in format of that name (built-in: ${[...BUILTIN_FORMATS.keys()].join(", ")})`,
    );
  }
  return builtin ?? (await loadTemplateFile(spec));
}

/** A local file that must be GSM8K's train split: the format's exemplars are its lines. */
async function loadTrainCopy(path: string): Promise<readonly Problem[]> {
  const dataset = await resolveDataset(path);
  if (dataset.name !== "gsm8k-train") {
    throw new InputError(
      `--exemplars ${path}: not GSM8K's train split (sha256 ${dataset.sha256.slice(0, 12)}..., expected ${GSM8K_FILES.train.sha256.slice(0, 12)}...); the few-shot formats show its lines`,
    );
  }
  return dataset.problems;
}

async function loadGsm8kTrain(): Promise<readonly Problem[]> {
  return (await resolveDataset("gsm8k", { split: "train" })).problems;
}

const JSON_KEYS = [
  "name",
  "description",
  "template",
  "exemplarTemplate",
  "exemplarSeparator",
  "shots",
  "exemplars",
  "stop",
  "answerFrom",
];

/**
 * Reads a user template file. A `.json` file is a spec (see src/prompts/README.md); any other file
 * is the prompt template itself, zero-shot, without stop strings. One trailing newline is dropped,
 * since editors add it and a prompt ending in "\n" would change what the model writes.
 */
export async function loadTemplateFile(path: string): Promise<PromptFormatSpec> {
  const text = new TextDecoder().decode(await readInputFile(path));
  const name = `file:${basename(path)}`;
  if (extname(path).toLowerCase() !== ".json") {
    const template = text.endsWith("\r\n")
      ? text.slice(0, -2)
      : text.endsWith("\n")
        ? text.slice(0, -1)
        : text;
    if (/(^|[^{])\{exemplars\}/.test(template)) {
      throw new InputError(`${path}: {exemplars} needs a .json template that says which exemplars to show`);
    }
    return {
      name,
      description: `template from ${path}`,
      template,
      exemplarTemplate: "",
      exemplarSeparator: "",
      shots: 0,
      exemplars: { kind: "none" },
      stop: [],
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${path}: invalid JSON (${(err as Error).message.replace(/\s+/g, " ")})`);
  }
  return specFromJson(value, path, name);
}

/** Validates a JSON template spec; every field but `template` has a default. */
export function specFromJson(value: unknown, path: string, defaultName: string): PromptFormatSpec {
  const fail = (reason: string): never => {
    throw new InputError(`${path}: ${reason}`);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return fail("expected a JSON object");
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!JSON_KEYS.includes(key)) fail(`unknown field "${key}" (expected ${JSON_KEYS.join(", ")})`);
  }
  const str = (key: string, fallback?: string): string => {
    const v = obj[key];
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== "string") return fail(`"${key}" must be a string`);
    return v;
  };
  const template = str("template");
  const stop = obj["stop"] ?? [];
  if (!Array.isArray(stop) || !stop.every((s) => typeof s === "string" && s !== "")) {
    fail(`"stop" must be an array of non-empty strings`);
  }
  const answerFrom = obj["answerFrom"] ?? "text";
  if (answerFrom !== "text" && answerFrom !== "code") fail(`"answerFrom" must be "text" or "code"`);
  const ex = exemplarsFromJson(obj["exemplars"] ?? "none", fail);
  const shots = obj["shots"] ?? ex.shots;
  if (typeof shots !== "number" || !Number.isInteger(shots) || shots < 0)
    fail(`"shots" must be a whole number >= 0`);
  return {
    name: str("name", defaultName),
    description: str("description", `template from ${path}`),
    template,
    exemplarTemplate: str("exemplarTemplate", ex.exemplarTemplate),
    exemplarSeparator: str("exemplarSeparator", ex.exemplarSeparator),
    shots: shots as number,
    exemplars: ex.source,
    stop: stop as string[],
    // Only a code format carries the field, so text formats' specs (and run identities) are unchanged.
    ...(answerFrom === "code" ? { answerFrom: "code" as const } : {}),
  };
}

function exemplarsFromJson(
  value: unknown,
  fail: (reason: string) => never,
): Pick<PromptFormatSpec, "exemplarTemplate" | "exemplarSeparator" | "shots"> & {
  source: PromptFormatSpec["exemplars"];
} {
  if (value === "none")
    return { source: { kind: "none" }, exemplarTemplate: "", exemplarSeparator: "", shots: 0 };
  if (typeof value === "string") {
    const builtin = BUILTIN_FORMATS.get(value);
    if (!builtin || builtin.exemplars.kind === "none") {
      return fail(`unknown exemplar set "${value}" (expected none, gsm8k-5shot, cot-8shot or an array)`);
    }
    return {
      source: builtin.exemplars,
      exemplarTemplate: builtin.exemplarTemplate,
      exemplarSeparator: builtin.exemplarSeparator,
      shots: builtin.shots,
    };
  }
  if (!Array.isArray(value))
    return fail(`"exemplars" must be a name or an array of {question, answer, final}`);
  const exemplars = value.map((item, i): Exemplar => {
    const e = item as Record<string, unknown>;
    if (
      typeof e !== "object" ||
      e === null ||
      typeof e["question"] !== "string" ||
      typeof e["answer"] !== "string"
    ) {
      return fail(`exemplar ${i + 1} needs string "question" and "answer"`);
    }
    const final = e["final"] ?? "";
    if (typeof final !== "string") return fail(`exemplar ${i + 1}: "final" must be a string`);
    return { id: `inline:${i + 1}`, question: e["question"], answer: e["answer"], final };
  });
  return {
    source: { kind: "inline", exemplars },
    exemplarTemplate: "Question: {question}\nAnswer: {answer}",
    exemplarSeparator: "\n\n",
    shots: exemplars.length,
  };
}
