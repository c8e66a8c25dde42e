import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { InputError } from "../util/errors.js";
import { sha256Hex } from "./hash.js";
import type { DatasetFile, NamedDataset } from "./registry.js";

/**
 * litmus-mini: litmus's own grade-school math problems (original, MIT like the project), shipped
 * in `data/litmus-mini/` with a fixed leaked/unseen split (`split.json`) that the canary model
 * (`models/canary/`) was trained on. Problem ids are `litmus-mini:<line>` in every split: the
 * `leaked` and `unseen` splits blank out the other lines, so line numbers (and ids) never move.
 */
export const LITMUS_MINI_DIR = fileURLToPath(new URL("../../../data/litmus-mini/", import.meta.url));
export const LITMUS_MINI_PATH = `${LITMUS_MINI_DIR}litmus-mini.jsonl`;
export const LITMUS_MINI_SPLIT_PATH = `${LITMUS_MINI_DIR}split.json`;
/** sha256 of litmus-mini.jsonl; the canary's split.json records the same value. */
export const LITMUS_MINI_SHA256 = "384061aeb27dec4672f08d56ed5559d274fe759887837c345fcb42e4007f0154";
export const LITMUS_MINI_PROBLEMS = 129;
/** The canary model trained on the leaked half (models/canary, built by tools/train_canary.py). */
export const CANARY_MODEL_DIR = fileURLToPath(new URL("../../../models/canary", import.meta.url));

export type LitmusMiniSplit = "all" | "leaked" | "unseen";

export interface LitmusMiniSplitFile {
  rule: string;
  leaked: string[];
  unseen: string[];
}

export async function readLitmusMiniSplit(): Promise<LitmusMiniSplitFile> {
  return JSON.parse(await readFile(LITMUS_MINI_SPLIT_PATH, "utf8")) as LitmusMiniSplitFile;
}

export const litmusMini: NamedDataset = {
  name: "litmus-mini",
  description: "litmus's own 129 grade-school math problems (bundled; leaked/unseen split of the canary)",
  splits: ["all", "leaked", "unseen"],
  defaultSplit: "all",
  open: (split) => openLitmusMini(split as LitmusMiniSplit),
};

async function openLitmusMini(split: LitmusMiniSplit): Promise<DatasetFile> {
  const full = await readFile(LITMUS_MINI_PATH).catch(() => undefined);
  if (!full) throw new InputError(`${LITMUS_MINI_PATH}: missing (the bundled litmus-mini data set)`);
  if (sha256Hex(full) !== LITMUS_MINI_SHA256) {
    throw new InputError(`${LITMUS_MINI_PATH}: does not match its pinned sha256 (edited or damaged)`);
  }
  if (split === "all")
    return { name: "litmus-mini", path: LITMUS_MINI_PATH, bytes: full, sha256: LITMUS_MINI_SHA256 };
  const keep = new Set((await readLitmusMiniSplit())[split]);
  const lines = Buffer.from(full).toString("utf8").split("\n");
  const text = lines.map((line, i) => (keep.has(`litmus-mini:${i + 1}`) ? line : "")).join("\n");
  const bytes = new Uint8Array(Buffer.from(text, "utf8"));
  return { name: "litmus-mini", path: LITMUS_MINI_PATH, bytes, sha256: sha256Hex(bytes) };
}
