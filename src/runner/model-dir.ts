/**
 * Reads and validates a model directory in the layout optimum writes (`config.json`,
 * `tokenizer.json`, `model.onnx` [+ its external data, e.g. `model.onnx_data`], optional `generation_config.json`,
 * `tokenizer_config.json`, `special_tokens_map.json`) or the onnxruntime-genai builder writes
 * (`genai_config.json`). Every problem a user can fix is one InputError line.
 */
import { existsSync, lstatSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { InputError, located } from "../util/errors.js";
import { readExternalDataLocations } from "./external-data.js";
import type { TokenizerJson } from "./tokenizer.js";

/** The model facts read from the directory's JSON files (graph facts come from the graph). */
export interface ModelConfig {
  modelType: string | undefined;
  vocabSize: number | undefined;
  numLayers: number | undefined;
  numHeads: number | undefined;
  numKvHeads: number | undefined;
  hiddenSize: number | undefined;
  /** Context window in tokens (max_position_embeddings / context_length). */
  maxContext: number | undefined;
  bosTokenId: number | undefined;
  eosTokenIds: number[];
}

export interface ModelDir {
  dir: string;
  modelPath: string;
  layout: "optimum" | "genai";
  config: ModelConfig;
  tokenizerJson: TokenizerJson;
  tokenizerConfig: Record<string, unknown>;
  /** Special-token strings named by tokenizer_config.json / special_tokens_map.json. */
  bosToken: string | undefined;
  eosToken: string | undefined;
}

const EXPORT_HINT =
  "export one with `optimum-cli export onnx --model microsoft/phi-1_5 --task text-generation-with-past DIR`";

export function readModelDir(dirArg: string): ModelDir {
  const dir = resolve(dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new InputError(`${dirArg}: no such model directory (${EXPORT_HINT})`);
  }
  const genaiPath = join(dir, "genai_config.json");
  const configPath = join(dir, "config.json");
  const genai = existsSync(genaiPath) ? readJsonObject(genaiPath) : undefined;
  const hf = existsSync(configPath) ? readJsonObject(configPath) : undefined;
  if (!hf && !genai) throw new InputError(`${dirArg}: missing config.json (${EXPORT_HINT})`);
  const genaiModel = obj(obj(genai)?.["model"]);
  const genaiDecoder = obj(genaiModel?.["decoder"]);
  const modelFile = str(genaiDecoder?.["filename"]) ?? "model.onnx";
  const modelPath = join(dir, modelFile);
  if (!existsSync(modelPath)) throw new InputError(`${dirArg}: missing ${modelFile} (${EXPORT_HINT})`);
  checkExternalData(dirArg, modelPath, modelFile);
  const tokPath = join(dir, "tokenizer.json");
  if (!existsSync(tokPath)) throw new InputError(`${dirArg}: missing tokenizer.json`);
  const tokenizerJson = readJsonObject(tokPath) as TokenizerJson;
  const optional = (name: string): Record<string, unknown> =>
    existsSync(join(dir, name)) ? readJsonObject(join(dir, name)) : {};
  const tokenizerConfig = optional("tokenizer_config.json");
  const specialMap = optional("special_tokens_map.json");
  const g = optional("generation_config.json");
  const h = hf ?? {};
  checkFields(configPath, h, CONFIG_FIELDS);

  const eos = [...ids(g["eos_token_id"]), ...ids(h["eos_token_id"]), ...ids(genaiModel?.["eos_token_id"])];
  const config: ModelConfig = {
    modelType: str(h["model_type"]) ?? str(genaiModel?.["type"]),
    vocabSize: int(h["vocab_size"]) ?? int(genaiModel?.["vocab_size"]),
    numLayers: int(h["num_hidden_layers"]) ?? int(genaiDecoder?.["num_hidden_layers"]),
    numHeads: int(h["num_attention_heads"]) ?? int(genaiDecoder?.["num_attention_heads"]),
    numKvHeads: int(h["num_key_value_heads"]) ?? int(genaiDecoder?.["num_key_value_heads"]),
    hiddenSize: int(h["hidden_size"]) ?? int(genaiDecoder?.["hidden_size"]),
    maxContext:
      int(h["max_position_embeddings"]) ??
      int(genaiModel?.["context_length"]) ??
      int(tokenizerConfig["model_max_length"]),
    bosTokenId:
      ids(g["bos_token_id"])[0] ?? ids(h["bos_token_id"])[0] ?? ids(genaiModel?.["bos_token_id"])[0],
    eosTokenIds: [...new Set(eos)],
  };
  checkTokenIds(dirArg, config, tokenizerJson);
  return {
    dir,
    modelPath,
    layout: genai && !hf ? "genai" : "optimum",
    config,
    tokenizerJson,
    tokenizerConfig,
    bosToken: tokenString(tokenizerConfig["bos_token"]) ?? tokenString(specialMap["bos_token"]),
    eosToken: tokenString(tokenizerConfig["eos_token"]) ?? tokenString(specialMap["eos_token"]),
  };
}

/**
 * A model over 2 GB keeps its weights in external data files that the graph names: optimum writes
 * `model.onnx_data`, onnxruntime's quantizer `model.onnx.data`. Each must be in the folder (a link
 * is followed); a missing one is named. A graph this reader cannot parse is left to ONNX Runtime.
 */
function checkExternalData(dirArg: string, modelPath: string, modelFile: string): void {
  let locations: string[];
  try {
    locations = readExternalDataLocations(modelPath);
  } catch {
    return;
  }
  for (const location of locations) {
    const path = join(dirname(modelPath), location);
    if (existsSync(path)) continue;
    const dangling = lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink() === true;
    throw new InputError(
      `${dirArg}: missing ${location} (the external weights ${modelFile} refers to${dangling ? `; ${location} is a link to a missing file` : ""})`,
    );
  }
}

/** Sizes a model's config.json must state as positive integers where it states them. */
const CONFIG_FIELDS = [
  "vocab_size",
  "num_hidden_layers",
  "num_attention_heads",
  "num_key_value_heads",
  "hidden_size",
  "max_position_embeddings",
] as const;

/** A stated size that is not a positive integer (0 heads, a context of -1) is one InputError line. */
function checkFields(path: string, json: Record<string, unknown>, fields: readonly string[]): void {
  for (const field of fields) {
    if (!(field in json) || json[field] === null) continue;
    const v = json[field];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
      throw new InputError(
        located(path, undefined, `"${field}" must be a positive integer, got ${JSON.stringify(v)}`),
      );
    }
  }
}

/** bos and eos ids must name tokens of the vocabulary (config.json's vocab_size, or the tokenizer's). */
function checkTokenIds(dirArg: string, config: ModelConfig, tokenizer: TokenizerJson): void {
  const vocab = config.vocabSize ?? tokenizerSize(tokenizer);
  if (vocab === undefined) return;
  const ids = [...(config.bosTokenId === undefined ? [] : [config.bosTokenId]), ...config.eosTokenIds];
  const outside = ids.find((id) => id < 0 || id >= vocab);
  if (outside !== undefined) {
    const which = outside === config.bosTokenId ? "bos_token_id" : "eos_token_id";
    throw new InputError(
      `${dirArg}: ${which} ${outside} is outside the vocabulary of ${vocab} tokens (config.json or generation_config.json)`,
    );
  }
}

function tokenizerSize(tokenizer: TokenizerJson): number | undefined {
  const vocab = tokenizer.model?.vocab;
  // A unigram vocabulary is a list whose positions are the ids; a BPE one maps tokens to ids.
  const ids = Array.isArray(vocab) ? [vocab.length - 1] : Object.values(vocab ?? {});
  for (const t of tokenizer.added_tokens ?? []) ids.push(t.id);
  return ids.length === 0 ? undefined : Math.max(...ids) + 1;
}

/** A JSON file that must hold one object (a config that is an array names the file). */
function readJsonObject(path: string): Record<string, unknown> {
  const value = readJson(path);
  const o = obj(value);
  if (!o) {
    const kind = value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
    throw new InputError(located(path, undefined, `must hold a JSON object, got ${kind}`));
  }
  return o;
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new InputError(located(path, undefined, `cannot read: ${(err as Error).message}`));
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InputError(located(path, undefined, `invalid JSON: ${(err as Error).message}`));
  }
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === "object" && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}
function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}
function int(v: unknown): number | undefined {
  return typeof v === "number" && Number.isInteger(v) ? v : undefined;
}
function ids(v: unknown): number[] {
  if (Array.isArray(v)) return v.filter((x): x is number => Number.isInteger(x));
  return Number.isInteger(v) ? [v as number] : [];
}
function tokenString(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  const o = obj(v);
  return o && typeof o["content"] === "string" ? o["content"] : undefined;
}
