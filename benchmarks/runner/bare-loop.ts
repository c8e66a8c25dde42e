/**
 * The baseline every decode figure is set against: raw onnxruntime-node `session.run` calls, one
 * per token, `present.*` fed back as the next step's past, no batching, sampling or bookkeeping.
 * It feeds tokens it is given (litmus's own greedy tokens), so both do the same arithmetic.
 */
import * as ort from "onnxruntime-node";
import type { CausalLM } from "../../src/runner/index.js";
import { now } from "./common.js";

export interface BareLoop {
  /** Prefill `promptIds`, then one step per token of `tokens` but the last; ms per decode step. */
  decode(
    promptIds: readonly number[],
    tokens: readonly number[],
  ): Promise<{ msPerStep: number; prefillMs: number }>;
  release(): Promise<void>;
}

/** The model's own graph, loaded by onnxruntime-node as it is, with litmus's thread settings. */
function openBareSession(dir: string, threads: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(`${dir}/model.onnx`, {
    graphOptimizationLevel: "all",
    ...(threads > 0 ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
  });
}

export async function openBareLoop(dir: string, lm: CausalLM, threads: number): Promise<BareLoop> {
  const session = await openBareSession(dir, threads);
  const { numLayers, kvHeads, headDim } = lm.info;
  const kvType = lm.info.kvType;
  const i64 = (xs: readonly number[], dims: number[]) =>
    new ort.Tensor("int64", BigInt64Array.from(xs.map(BigInt)), dims);
  return {
    async decode(promptIds, tokens) {
      const feeds: Record<string, ort.Tensor> = {
        input_ids: i64(promptIds, [1, promptIds.length]),
        attention_mask: i64(
          promptIds.map(() => 1),
          [1, promptIds.length],
        ),
        position_ids: i64(
          promptIds.map((_, i) => i),
          [1, promptIds.length],
        ),
      };
      for (let i = 0; i < numLayers; i++) {
        for (const k of ["key", "value"]) {
          const empty = kvType === "float16" ? new Uint16Array(0) : new Float32Array(0);
          feeds[`past_key_values.${i}.${k}`] = new ort.Tensor(kvType, empty, [1, kvHeads, 0, headDim]);
        }
      }
      const p0 = now();
      let out = await session.run(feeds);
      const t0 = now();
      let len = promptIds.length;
      for (let s = 0; s < tokens.length - 1; s++) {
        const f: Record<string, ort.Tensor> = {
          input_ids: i64([tokens[s]!], [1, 1]),
          attention_mask: i64(Array(len + 1).fill(1), [1, len + 1]),
          position_ids: i64([len], [1, 1]),
        };
        for (let i = 0; i < numLayers; i++) {
          f[`past_key_values.${i}.key`] = out[`present.${i}.key`] as ort.Tensor;
          f[`past_key_values.${i}.value`] = out[`present.${i}.value`] as ort.Tensor;
        }
        out = await session.run(f);
        len++;
      }
      return { msPerStep: (now() - t0) / Math.max(1, tokens.length - 1), prefillMs: t0 - p0 };
    },
    release: () => session.release(),
  };
}

/**
 * onnxruntime's own cost of one decode step for `rows` rows over a past of `past` positions:
 * a bare `session.run` fetching only the logits (zeros for the past, which costs the same as real
 * keys). 16 rows against 1 is the most batching can gain before litmus does anything.
 */
export interface BareStep {
  stepMs(rows: number, past: number): Promise<number>;
  release(): Promise<void>;
}

export async function openBareStep(dir: string, lm: CausalLM, threads: number): Promise<BareStep> {
  const session = await openBareSession(dir, threads);
  const { numLayers, kvHeads, headDim, kvType } = lm.info;
  const i64 = (length: number, value: number, dims: number[]) =>
    new ort.Tensor("int64", new BigInt64Array(length).fill(BigInt(value)), dims);
  return {
    async stepMs(rows, past) {
      const feeds: Record<string, ort.Tensor> = {
        input_ids: i64(rows, 5, [rows, 1]),
        attention_mask: i64(rows * (past + 1), 1, [rows, past + 1]),
        position_ids: i64(rows, past, [rows, 1]),
      };
      const size = rows * kvHeads * past * headDim;
      for (let i = 0; i < numLayers; i++)
        for (const k of ["key", "value"]) {
          const zeros = kvType === "float16" ? new Uint16Array(size) : new Float32Array(size);
          feeds[`past_key_values.${i}.${k}`] = new ort.Tensor(kvType, zeros, [rows, kvHeads, past, headDim]);
        }
      await session.run(feeds, ["logits"]);
      const t0 = now();
      await session.run(feeds, ["logits"]);
      return now() - t0;
    },
    release: () => session.release(),
  };
}
