import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Completion } from "../../src/runner/types.js";

/** tests/fixtures, from dist/tests/runner. */
export const FIXTURES = fileURLToPath(new URL("../../../tests/fixtures/", import.meta.url));
export const TINY = join(FIXTURES, "phi-tiny");
export const TINY_FP16 = join(FIXTURES, "phi-tiny-fp16");
export const TINY_INT4 = join(FIXTURES, "phi-tiny-int4");

export interface Reference {
  tokenizer_size: number;
  min_greedy_margin: number;
  fake_id_argmax_steps: number;
  greedy_new_tokens: number;
  prompts: Array<{
    text: string;
    ids: number[];
    greedy_ids: number[];
    greedy_logprobs: number[];
    stopped_by_eos: boolean;
  }>;
  batch: { greedy_ids: number[][]; greedy_logprobs: number[][] };
  score: Array<{
    prefix: string;
    text: string;
    context_ids: number[];
    continuation_ids: number[];
    logprobs: number[];
    mean: number[];
    variance: number[];
  }>;
  /** int4 fixtures only: the same prompts under the fp32 weights before quantization. */
  unquantized?: { score_logprobs: number[][]; greedy_ids: number[][] };
}

export function reference(dir = TINY): Reference {
  return JSON.parse(readFileSync(join(dir, "reference.json"), "utf8")) as Reference;
}

const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"];

/**
 * A temporary model directory: links to a fixture's files (tokenizer files from phi-tiny when the
 * fixture has none), minus `omit`, with JSON files changed by `edit`.
 */
export function modelDir(
  from: string,
  options: {
    omit?: string[];
    edit?: Record<string, (json: Record<string, unknown>) => void>;
    write?: Record<string, string>;
  } = {},
): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "litmus-model-"));
  const files = ["model.onnx", "config.json", "generation_config.json", ...TOKENIZER_FILES];
  for (const f of files) {
    if (options.omit?.includes(f)) continue;
    const src = TOKENIZER_FILES.includes(f) && from !== TINY ? join(TINY, f) : join(from, f);
    const edit = options.edit?.[f];
    if (edit) {
      const json = JSON.parse(readFileSync(src, "utf8")) as Record<string, unknown>;
      edit(json);
      writeFileSync(join(dir, f), JSON.stringify(json));
    } else if (f === "model.onnx") {
      symlinkSync(src, join(dir, f));
    } else {
      copyFileSync(src, join(dir, f));
    }
  }
  for (const [name, text] of Object.entries(options.write ?? {})) writeFileSync(join(dir, name), text);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function assertClose(
  actual: readonly number[],
  expected: readonly number[],
  tol: number,
  what: string,
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: length ${actual.length} != ${expected.length}`);
  }
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (!(d <= tol)) throw new Error(`${what}[${i}]: ${actual[i]} vs ${expected[i]} (|diff| ${d} > ${tol})`);
  }
}

/** Two runs' completions agree: same rows in order, same tokens, text and finish, log-probs within `tol`. */
export function assertSameCompletions(a: Completion[], b: Completion[], what: string, tol = 1e-5): void {
  assert.equal(a.length, b.length, `${what}: completion count`);
  a.forEach((c, i) => {
    const d = b[i]!;
    const row = `${c.requestId}/${c.sampleIndex}`;
    assert.equal(row, `${d.requestId}/${d.sampleIndex}`);
    assert.deepEqual(c.tokenIds, d.tokenIds, `${what}: tokens of ${row}`);
    assert.equal(c.text, d.text, `${what}: text of ${row}`);
    assert.equal(c.finishReason, d.finishReason, `${what}: finish of ${row}`);
    assert.equal(c.promptTokens, d.promptTokens, `${what}: prompt tokens of ${row}`);
    assertClose(c.logprobs, d.logprobs, tol, `${what}: log-probs of ${row}`);
  });
}

/** Runs `fn` with the environment variable `name` set to `value`, and restores it afterwards. */
export async function withEnv<T>(name: string, value: string, fn: () => Promise<T>): Promise<T> {
  const before = process.env[name];
  process.env[name] = value;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env[name];
    else process.env[name] = before;
  }
}
