/**
 * A causal language model in an ONNX graph with optimum's IO (or the onnxruntime-genai builder's,
 * which lacks position_ids). Every size is read from the graph's IO metadata and config.json.
 */
import { InputError } from "../util/errors.js";
import { paddingNoise, slotStepMismatch } from "./decoder.js";
import type { KvLayout } from "./kv-cache.js";
import { KvCache } from "./kv-cache.js";
import type { KvSliceNames } from "./kv-slices.js";
import { type ModelConfig, readModelDir } from "./model-dir.js";
import { type Device, type IoInfo, int64Tensor, type ModelSession, OnnxSession, type Tensor } from "./ort.js";
import { SlotDecoders, type SlotRunner } from "./slot-decoder.js";
import { TextTokenizer } from "./tokenizer.js";
import type { DecodePath } from "./types.js";
import { WorkerSession } from "./worker-session.js";

/** The most a slot-cache step may differ from the plain path, whatever the graph's own noise. */
const MAX_SLOT_TOLERANCE = 0.5;

export interface GraphInfo extends KvLayout {
  logitsType: "float32" | "float16";
  /** Columns of the logits output (config vocab_size; 51200 for phi-1.5). */
  vocabColumns: number;
  hasPositionIds: boolean;
}

export interface OpenOptions {
  device?: Device;
  threads?: number;
  /**
   * Run ONNX Runtime in a worker thread (default true), so the event loop stays free while a step
   * runs: timers, progress output and signals go on during a long prefill or decode step.
   */
  worker?: boolean;
  /**
   * Decode with a slot cache, fetching only each step's new key/value positions, when the graph
   * allows it (default true, or false when the environment has LITMUS_KV_SLICES=0; false always
   * reads the whole `present.*` cache back).
   */
  sliceKv?: boolean;
  /**
   * With the slot cache, attend over the cache where it lies instead of the graph's
   * Concat(past, new) (split-attention.ts), when the graph has optimum's attention pattern
   * (default true, or false when the environment has LITMUS_SPLIT_ATTENTION=0).
   */
  splitAttention?: boolean;
}

/** One forward pass over `seqLen` new tokens for `rows` rows. */
export interface StepInput {
  rows: number;
  seqLen: number;
  /** rows * seqLen token ids. */
  inputIds: ArrayLike<number>;
  /** rows * (cache.length + seqLen) zeros and ones. */
  attentionMask: ArrayLike<number>;
  /** rows * seqLen positions. */
  positionIds: ArrayLike<number>;
}

export class CausalLM {
  private constructor(
    readonly dir: string,
    readonly session: ModelSession,
    readonly info: GraphInfo,
    readonly config: ModelConfig,
    readonly tokenizer: TextTokenizer,
    /** Usable vocabulary: ids >= this are never sampled nor normalized over. */
    readonly vocabLimit: number,
    readonly bosId: number,
    readonly eosIds: number[],
    readonly maxContext: number,
  ) {}

  private slotRunner: SlotRunner | undefined;
  /** Why the slot cache was turned off after loading, if it was. */
  private slotProblem: string | undefined;

  static async open(dirArg: string, options: OpenOptions = {}): Promise<CausalLM> {
    const md = readModelDir(dirArg);
    let tokenizer: TextTokenizer;
    try {
      tokenizer = new TextTokenizer(md.tokenizerJson, md.tokenizerConfig);
    } catch (err) {
      throw new InputError(`${dirArg}/tokenizer.json: cannot build the tokenizer: ${(err as Error).message}`);
    }
    const sessionOptions = {
      device: options.device ?? "cpu",
      threads: options.threads ?? 0,
      // LITMUS_KV_SLICES=0: a switch for comparing (or bypassing) the slot cache from any command.
      sliceKv: options.sliceKv ?? process.env["LITMUS_KV_SLICES"] !== "0",
      // LITMUS_SPLIT_ATTENTION=0: the same for the attention rewrite (split-attention.ts).
      splitAttention: options.splitAttention ?? process.env["LITMUS_SPLIT_ATTENTION"] !== "0",
    };
    const session =
      options.worker === false
        ? await OnnxSession.open(md.modelPath, sessionOptions)
        : await WorkerSession.open(md.modelPath, sessionOptions);
    try {
      const info = graphInfo(dirArg, session.inputs, session.outputs, md.config);
      if (info.vocabColumns < tokenizer.size) {
        throw new InputError(
          `${dirArg}: the model has ${info.vocabColumns} logit columns but the tokenizer has ${tokenizer.size} tokens`,
        );
      }
      const special = (s: string | undefined) => (s === undefined ? undefined : tokenizer.tokenToId(s));
      const eosIds =
        md.config.eosTokenIds.length > 0
          ? md.config.eosTokenIds
          : [special(md.eosToken)].flatMap((x) => (x === undefined ? [] : [x]));
      const bosId = md.config.bosTokenId ?? special(md.bosToken) ?? eosIds[0];
      if (bosId === undefined)
        throw new InputError(`${dirArg}: no bos or eos token in config.json or tokenizer_config.json`);
      const maxContext = md.config.maxContext ?? Number.MAX_SAFE_INTEGER;
      const lm = new CausalLM(
        md.dir,
        session,
        info,
        md.config,
        tokenizer,
        tokenizer.size,
        bosId,
        eosIds,
        maxContext,
      );
      await lm.checkSlots();
      return lm;
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  get device(): "cpu" | "cuda" {
    return this.session.device;
  }

  /** Per layer, the outputs holding a step's new key/value positions, when the graph has them. */
  get kvSlices(): KvSliceNames[] | undefined {
    // A graph without position_ids would derive positions from the mask, which has gaps here.
    if (!this.info.hasPositionIds || this.slotProblem !== undefined) return undefined;
    return this.session.kvSlices;
  }

  /** Which decode path generation takes on this model, and why not the slot cache. */
  get decodePath(): DecodePath {
    const split = this.session.splitAttention;
    const attention = { split, reason: split ? null : (this.session.splitAttentionUnavailable ?? null) };
    if (this.kvSlices) return { path: "slot-cache", reason: null, attention };
    const reason =
      this.slotProblem ??
      (this.session.kvSlices
        ? "the graph has no position_ids (positions read off the mask would skip the empty slots)"
        : (this.session.kvSlicesUnavailable ?? "the graph exposes no new key/value positions"));
    // Loaded split, the graph stays split on this path too (present.* are then built per step).
    return split ? { path: "present-feedback", reason, attention } : { path: "present-feedback", reason };
  }

  /** Warnings from loading: `auto` fell back to the CPU, or the slot cache was turned off. */
  get warning(): string | undefined {
    const all = [this.session.warning, this.slotProblem].filter((w) => w !== undefined);
    return all.length > 0 ? all.join("; ") : undefined;
  }

  /**
   * One decode step over the slot cache must give the plain path's logits on this graph
   * (decoder.ts, slotStepMismatch); otherwise the slot cache is turned off, with a warning.
   */
  private async checkSlots(): Promise<void> {
    if (!this.kvSlices) return;
    const diff = await slotStepMismatch(this);
    const base = this.info.logitsType === "float16" ? 5e-2 : 1e-3;
    // Over the base bound, a graph may still be sound: reduced-precision compute (int8 activations)
    // moves logits as much when a row is merely padded. Allowed: 4x that noise, never over 0.5 (a
    // graph that ignored the mask would be off by whole units).
    const tolerance =
      diff <= base ? base : Math.min(MAX_SLOT_TOLERANCE, Math.max(base, 4 * (await paddingNoise(this))));
    if (!(diff <= tolerance)) {
      this.slotProblem =
        `decoding over a slot cache differs from the plain path on this graph (logits by up to ${diff}); ` +
        "reading present.* back each step instead";
    }
  }

  emptyCache(rows: number): KvCache {
    return KvCache.empty(this.info, rows);
  }

  /**
   * Runs one step; returns the logits [rows, seqLen, vocabColumns] and the grown cache. `cache` is
   * consumed: its `present.*` buffers are fed to the graph as they are (moved, not copied, to a
   * worker session), so it must not be read afterwards; use the returned cache.
   */
  async forward(step: StepInput, cache: KvCache): Promise<{ logits: Tensor; cache: KvCache }> {
    const total = cache.length + step.seqLen;
    const feeds: Record<string, Tensor> = {
      input_ids: int64Tensor(step.inputIds, [step.rows, step.seqLen]),
      attention_mask: int64Tensor(step.attentionMask, [step.rows, total]),
      ...cache.feeds(),
    };
    if (this.info.hasPositionIds)
      feeds["position_ids"] = int64Tensor(step.positionIds, [step.rows, step.seqLen]);
    // Named fetches leave out the slice outputs (at a prefill they are as large as the cache).
    const fetches: Record<string, null> | undefined = this.session.kvSlices ? { logits: null } : undefined;
    if (fetches) {
      for (let i = 0; i < this.info.numLayers; i++) {
        fetches[`present.${i}.key`] = null;
        fetches[`present.${i}.value`] = null;
      }
    }
    const out = await this.session.run(feeds, fetches, { consumeFeeds: true });
    const logits = out["logits"];
    if (!logits) throw new Error("the graph returned no logits");
    return { logits, cache: KvCache.fromOutputs(this.info, out) };
  }

  /**
   * Where slot caches live (slot-decoder.ts): the worker that owns the session, or decoders here.
   * Undefined when the graph exposes no new key/value positions.
   */
  slots(): SlotRunner | undefined {
    const slices = this.kvSlices;
    if (!slices) return undefined;
    this.slotRunner ??=
      this.session instanceof WorkerSession
        ? this.session
        : new SlotDecoders((feeds, fetches) => this.session.run(feeds, fetches), slices);
    return this.slotRunner;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

const PAST = /^past_key_values\.(\d+)\.(key|value)$/;
const PRESENT = /^present\.(\d+)\.(key|value)$/;

/** Validates the graph's IO names and reads the cache layout from its metadata. */
export function graphInfo(
  dirArg: string,
  inputs: IoInfo[],
  outputs: IoInfo[],
  config: ModelConfig,
): GraphInfo {
  const where = `${dirArg}/model.onnx`;
  const unknownIn = inputs.filter(
    (i) => !["input_ids", "attention_mask", "position_ids"].includes(i.name) && !PAST.test(i.name),
  );
  const unknownOut = outputs.filter((o) => o.name !== "logits" && !PRESENT.test(o.name));
  if (unknownIn.length + unknownOut.length > 0) {
    const names = [...unknownIn, ...unknownOut].map((x) => x.name).join(", ");
    throw new InputError(
      `${where}: unknown graph inputs/outputs ${names} (expected optimum's text-generation-with-past IO)`,
    );
  }
  for (const need of ["input_ids", "attention_mask"]) {
    if (!inputs.some((i) => i.name === need))
      throw new InputError(`${where}: the graph has no ${need} input`);
  }
  const logits = outputs.find((o) => o.name === "logits");
  if (!logits) throw new InputError(`${where}: the graph has no logits output`);
  const past = inputs.filter((i) => PAST.test(i.name));
  const numLayers = past.length / 2;
  if (numLayers === 0)
    throw new InputError(
      `${where}: the graph has no past_key_values inputs (export with --task text-generation-with-past)`,
    );
  for (let i = 0; i < numLayers; i++) {
    for (const kind of ["key", "value"]) {
      if (!inputs.some((x) => x.name === `past_key_values.${i}.${kind}`)) {
        throw new InputError(`${where}: missing input past_key_values.${i}.${kind}`);
      }
      if (!outputs.some((x) => x.name === `present.${i}.${kind}`))
        throw new InputError(`${where}: missing output present.${i}.${kind}`);
    }
  }
  if (config.numLayers !== undefined && config.numLayers !== numLayers) {
    throw new InputError(
      `${where}: the graph has ${numLayers} layers but config.json says ${config.numLayers}`,
    );
  }
  const key0 = inputs.find((x) => x.name === "past_key_values.0.key")!;
  const kvType = key0.type;
  if (kvType !== "float32" && kvType !== "float16")
    throw new InputError(`${where}: unsupported KV cache type ${kvType}`);
  if (logits.type !== "float32" && logits.type !== "float16")
    throw new InputError(`${where}: unsupported logits type ${logits.type}`);
  const dim = (v: number | string | undefined): number | undefined =>
    typeof v === "number" && v > 0 ? v : undefined;
  const kvHeads = dim(key0.shape[1]) ?? config.numKvHeads ?? config.numHeads;
  const headDim =
    dim(key0.shape[3]) ??
    (config.hiddenSize !== undefined && config.numHeads !== undefined
      ? config.hiddenSize / config.numHeads
      : undefined);
  if (kvHeads === undefined || headDim === undefined) {
    throw new InputError(
      `${where}: cannot tell the KV cache's head count and size from the graph or config.json`,
    );
  }
  const graphVocab = dim(logits.shape[2]);
  if (graphVocab !== undefined && config.vocabSize !== undefined && graphVocab !== config.vocabSize) {
    throw new InputError(
      `${where}: logits have ${graphVocab} columns but config.json says vocab_size ${config.vocabSize}`,
    );
  }
  const vocabColumns = graphVocab ?? config.vocabSize;
  if (vocabColumns === undefined)
    throw new InputError(`${where}: cannot tell the vocabulary size (no vocab_size in config.json)`);
  return {
    numLayers,
    kvHeads,
    headDim,
    kvType,
    logitsType: logits.type,
    vocabColumns,
    hasPositionIds: inputs.some((i) => i.name === "position_ids"),
  };
}
