/**
 * The only module that imports onnxruntime-node. Everything else sees {@link OnnxSession} and plain
 * {@link Tensor} values, so another runtime (or a mock) can replace this seam.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as ort from "onnxruntime-node";
import { InputError } from "../util/errors.js";
import { type DataFolder, linkedDataFolder } from "./data-folder.js";
import { externalDataLocations, readExternalDataLocations } from "./external-data.js";
import { type KvSliceNames, readSlicedModel, type SlicedModel } from "./kv-slices.js";
import { ProtoError } from "./onnx-proto.js";

export type Device = "cpu" | "cuda" | "auto";
export type TensorType = "float32" | "float16" | "int64" | "int32" | "bool" | "uint8" | "int8";
export type TensorData = Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array | Int8Array;

/** A tensor as the runner handles it; values from {@link OnnxSession.run} can be fed back unchanged. */
export interface Tensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}

/** One graph input or output: name, element type, shape (numbers, or names of dynamic axes). */
export interface IoInfo {
  name: string;
  type: string;
  shape: Array<number | string>;
}

export function makeTensor(type: TensorType, data: TensorData, dims: readonly number[]): Tensor {
  return new ort.Tensor(type as "float32", data as Float32Array, dims);
}

/** int64 tensor from small integers, written as 32-bit halves (no BigInt per element). */
export function int64Tensor(values: ArrayLike<number>, dims: readonly number[]): Tensor {
  const data = new BigInt64Array(values.length);
  const halves = new Int32Array(data.buffer);
  const lo = littleEndian ? 0 : 1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    halves[2 * i + lo] = v;
    halves[2 * i + 1 - lo] = v < 0 ? -1 : 0;
  }
  return makeTensor("int64", data, dims);
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export interface SessionOptions {
  device: Device;
  /** Intra-op threads; 0 lets ONNX Runtime choose. */
  threads: number;
  /**
   * Expose each layer's new key/value positions as extra outputs when the graph allows it
   * (default true), so that a decode step need not fetch the whole `present.*` cache.
   */
  sliceKv?: boolean;
  /**
   * With the new positions exposed, also split attention over the cache (split-attention.ts) when
   * the graph has optimum's pattern (default true).
   */
  splitAttention?: boolean;
}

export interface RunCallOptions {
  /**
   * The caller gives up the feeds' buffers: a session in a worker thread moves them there instead
   * of copying them (they read as empty afterwards). The in-process session ignores it.
   */
  consumeFeeds?: boolean;
}

/** What the model needs of a session, in this thread ({@link OnnxSession}) or a worker's. */
export interface ModelSession {
  readonly device: "cpu" | "cuda";
  readonly inputs: IoInfo[];
  readonly outputs: IoInfo[];
  /** Set when `auto` fell back to CPU. */
  readonly warning: string | undefined;
  /** Per layer, the extra outputs holding a step's new key/value positions (see kv-slices.ts). */
  readonly kvSlices: KvSliceNames[] | undefined;
  /** Why `kvSlices` is undefined: turned off, a graph that does not qualify, a failed load. */
  readonly kvSlicesUnavailable: string | undefined;
  /**
   * Whether the graph attends over the cache in place (split-attention.ts); `present.*` are then
   * built from the past fed and the new positions when fetched.
   */
  readonly splitAttention: boolean;
  /** Why `splitAttention` is false (undefined when the slices are off: see `kvSlicesUnavailable`). */
  readonly splitAttentionUnavailable: string | undefined;
  run(
    feeds: Record<string, Tensor>,
    fetches?: Record<string, Tensor | null>,
    options?: RunCallOptions,
  ): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

/** Where the CUDA build of the provider is expected and how to get it. */
export const CUDA_INSTALL_HINT =
  "install onnxruntime-node's CUDA provider with `npm install onnxruntime-node --onnxruntime-node-install=cuda12` " +
  "(needs CUDA 12 and cuDNN 9 libraries on LD_LIBRARY_PATH; see docs/runner.md)";

/**
 * A session in this thread. onnxruntime-node 1.30 runs it synchronously (`session.run` blocks the
 * event loop for the whole step), and copies every output into a fresh JS buffer.
 */
export class OnnxSession implements ModelSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly device: "cpu" | "cuda",
    readonly inputs: IoInfo[],
    readonly outputs: IoInfo[],
    /** Set when `auto` fell back to CPU. */
    readonly warning: string | undefined,
    readonly kvSlices: KvSliceNames[] | undefined,
    readonly kvSlicesUnavailable: string | undefined,
    readonly splitAttention: boolean,
    readonly splitAttentionUnavailable: string | undefined,
  ) {
    // What the split graph's present.* are built from, fixed at load (the graph's own names).
    if (splitAttention && kvSlices) {
      this.presentSources = new Map();
      kvSlices.forEach((s, i) => {
        this.presentSources!.set(`present.${i}.key`, { slice: s.key, past: `past_key_values.${i}.key` });
        this.presentSources!.set(`present.${i}.value`, {
          slice: s.value,
          past: `past_key_values.${i}.value`,
        });
      });
    }
  }

  /** On the split graph: each present.* by the new positions fetched for it and the past fed. */
  private readonly presentSources: Map<string, { slice: string; past: string }> | undefined;

  static async open(modelPath: string, options: SessionOptions): Promise<OnnxSession> {
    const base: ort.InferenceSession.SessionOptions = {
      graphOptimizationLevel: "all",
      logSeverityLevel: 3,
      ...(options.threads > 0 ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {}),
    };
    const wanted = options.sliceKv === false ? { reason: SLICES_TURNED_OFF } : slicedModel(modelPath);
    const sliced = "bytes" in wanted ? wanted : undefined;
    const loads = sessionSources(modelPath, sliced, options.splitAttention !== false);
    let slicesOff = "bytes" in wanted ? loads.slicesOff : wanted.reason;
    let splitOff = !sliced
      ? undefined
      : options.splitAttention === false
        ? SPLIT_TURNED_OFF
        : sliced.splitUnavailable;
    const withData = (load: SessionSource, o: ort.InferenceSession.SessionOptions) =>
      load.dataFolder === undefined
        ? o
        : { ...o, extra: { session: { model_external_initializers_file_folder_path: load.dataFolder } } };
    let load = loads.sources[0]!;
    let session: ort.InferenceSession | undefined;
    let device: "cpu" | "cuda" = "cpu";
    let warning: string | undefined;
    // The extended graphs must never cost a model that loads as it is: each form in turn, best
    // first, then the file itself.
    let firstError: unknown;
    const firstLoadable = async (o: ort.InferenceSession.SessionOptions) => {
      for (const candidate of loads.sources) {
        try {
          const created = await create(sourceBytes(candidate), withData(candidate, o));
          if (load.slices && !candidate.slices)
            slicesOff = `ONNX Runtime cannot load the graph with its new key/value positions exposed (${firstLine(firstError)})`;
          else if (load.split && !candidate.split)
            splitOff = `ONNX Runtime cannot load the graph with attention split over the cache (${firstLine(firstError)})`;
          load = candidate;
          return created;
        } catch (err) {
          firstError ??= err;
        }
      }
      return undefined;
    };
    try {
      if (options.device === "cuda" || options.device === "auto") {
        const cudaProblem = cudaUnavailableReason();
        if (cudaProblem === undefined) {
          session = await firstLoadable({
            ...base,
            logSeverityLevel: 4,
            executionProviders: ["cuda", "cpu"],
          });
          if (session) device = "cuda";
          else if (options.device === "cuda") {
            throw new InputError(
              `CUDA provider failed to start (${firstLine(firstError)}); ${CUDA_INSTALL_HINT}`,
            );
          } else {
            warning = `CUDA unavailable (${firstLine(firstError)}); running on CPU`;
            firstError = undefined;
          }
        } else if (options.device === "cuda") {
          throw new InputError(`--device cuda: ${cudaProblem}; ${CUDA_INSTALL_HINT}`);
        } else {
          warning = `CUDA unavailable (${cudaProblem}); running on CPU`;
        }
      }
      session ??= await firstLoadable({ ...base, executionProviders: ["cpu"] });
      if (!session) {
        if (loads.linkError) throw loads.linkError;
        throw new InputError(`${modelPath}: ONNX Runtime cannot load the model: ${firstLine(firstError)}`);
      }
    } finally {
      loads.remove();
    }
    const meta = (list: readonly ort.InferenceSession.ValueMetadata[], names: readonly string[]): IoInfo[] =>
      names.map((name) => {
        const m = list.find((x) => x.name === name);
        if (m?.isTensor) return { name, type: m.type, shape: [...m.shape] };
        return { name, type: "unknown", shape: [] };
      });
    const added = new Set(load.slices?.flatMap((s) => [s.key, s.value]));
    const inputs = meta(session.inputMetadata, session.inputNames);
    const outputs = meta(
      session.outputMetadata,
      session.outputNames.filter((n) => !added.has(n)),
    );
    // The split graph has no present.* outputs; run() builds them, typed as the past, with the
    // past's positions plus the new ones.
    if (load.split && load.slices) {
      const newPositions = inputs.find((x) => x.name === "input_ids")?.shape[1] ?? "sequence_length";
      for (const [i] of load.slices.entries())
        for (const kind of ["key", "value"]) {
          const past = inputs.find((x) => x.name === `past_key_values.${i}.${kind}`);
          const shape = [...(past?.shape ?? [])];
          if (shape.length === 4) shape[2] = `${shape[2]} + ${newPositions}`;
          outputs.push({ name: `present.${i}.${kind}`, type: past?.type ?? "unknown", shape });
        }
    }
    const split = load.split === true && load.slices !== undefined;
    return new OnnxSession(
      session,
      device,
      inputs,
      outputs,
      warning,
      load.slices,
      load.slices ? undefined : slicesOff,
      split,
      split || !load.slices ? undefined : splitOff,
    );
  }

  /**
   * Runs the graph. `fetches` may name pre-allocated output tensors, or null for outputs ONNX
   * Runtime allocates. onnxruntime-node 1.30 does write a pre-allocated output in place, but then
   * still copies it into a fresh JS buffer and returns that copy (its OrtValueToNapiValue always
   * memcpys CPU tensors), so pre-allocating saves no copy: see benchmarks/runner/kv-copy.ts.
   */
  async run(
    feeds: Record<string, Tensor>,
    fetches?: Record<string, Tensor | null>,
  ): Promise<Record<string, Tensor>> {
    if (this.presentSources) return this.runSplit(feeds, fetches, this.presentSources);
    return this.runGraph(feeds, fetches);
  }

  private async runGraph(
    feeds: Record<string, Tensor>,
    fetches?: Record<string, Tensor | null>,
  ): Promise<Record<string, Tensor>> {
    const f = feeds as unknown as ort.InferenceSession.FeedsType;
    if (fetches)
      return (await this.session.run(f, fetches as unknown as ort.InferenceSession.FetchesType)) as never;
    return (await this.session.run(f)) as never;
  }

  /**
   * A run of the split graph: each `present.*` asked for (all outputs when `fetches` is
   * undefined) is fetched as its new positions and returned as Concat(past fed, new), what the
   * exported graph would have returned.
   */
  private async runSplit(
    feeds: Record<string, Tensor>,
    fetches: Record<string, Tensor | null> | undefined,
    sliceOf: ReadonlyMap<string, { slice: string; past: string }>,
  ): Promise<Record<string, Tensor>> {
    const wanted = fetches ? Object.keys(fetches) : this.outputs.map((o) => o.name);
    const asked: Record<string, Tensor | null> = {};
    for (const name of wanted) {
      const present = sliceOf.get(name);
      if (present && fetches?.[name]) throw new Error(`${name}: pre-allocated presents are not supported`);
      if (present) asked[present.slice] = null;
      else asked[name] = fetches?.[name] ?? null;
    }
    const out = await this.runGraph(feeds, asked);
    const result: Record<string, Tensor> = {};
    for (const name of wanted) {
      const present = sliceOf.get(name);
      const value = present ? appendPositions(feeds[present.past], out[present.slice], name) : out[name];
      if (value) result[name] = value;
    }
    return result;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Concat(past, added) along the positions axis of [rows, heads, positions, head_dim] tensors; the
 * new positions themselves (no copy) when the past is empty.
 */
function appendPositions(past: Tensor | undefined, added: Tensor | undefined, name: string): Tensor {
  if (!past || !added) throw new Error(`${name}: the run has no past or new positions to build it from`);
  if (past.dims.length !== 4 || added.dims.length !== 4)
    throw new Error(`${name}: expected [rows, heads, positions, head_dim] tensors`);
  const [rows, heads, pastLen, headDim] = past.dims as [number, number, number, number];
  const addedLen = added.dims[2]!;
  const src = past.data as Float32Array | Uint16Array;
  const add = added.data as Float32Array | Uint16Array;
  if (
    added.dims[0] !== rows ||
    added.dims[1] !== heads ||
    added.dims[3] !== headDim ||
    past.type !== added.type ||
    src.constructor !== add.constructor
  )
    throw new Error(`${name}: the new positions do not match the past`);
  if (pastLen === 0) return added;
  const total = pastLen + addedLen;
  // The past's own array type (fp16 may arrive as Uint16Array or Float16Array): elements copied as they are.
  const out = new (src.constructor as new (n: number) => typeof src)(rows * heads * total * headDim);
  for (let rh = 0; rh < rows * heads; rh++) {
    out.set(
      src.subarray(rh * pastLen * headDim, (rh + 1) * pastLen * headDim) as never,
      rh * total * headDim,
    );
    out.set(
      add.subarray(rh * addedLen * headDim, (rh + 1) * addedLen * headDim) as never,
      (rh * total + pastLen) * headDim,
    );
  }
  return makeTensor(past.type as TensorType, out as TensorData, [rows, heads, total, headDim]);
}

/** The bytes or path a session is created from. */
function sourceBytes(load: SessionSource): string | Uint8Array {
  return typeof load.source === "function" ? load.source() : load.source;
}

/** InferenceSession.create from a path or bytes (its overloads take one or the other, not a union). */
function create(source: string | Uint8Array, options: ort.InferenceSession.SessionOptions) {
  return typeof source === "string"
    ? ort.InferenceSession.create(source, options)
    : ort.InferenceSession.create(source, options);
}

/** Why attention is not split when the caller turned that off. */
export const SPLIT_TURNED_OFF =
  "split attention is turned off (splitAttention: false, or LITMUS_SPLIT_ATTENTION=0)";

/** Why no new key/value positions are exposed when the caller turned that off. */
export const SLICES_TURNED_OFF = "the slot cache is turned off (sliceKv: false, or LITMUS_KV_SLICES=0)";

/**
 * The model with its per-layer new key/value tensors exposed as outputs, or why not (then ONNX
 * Runtime loads the file itself, as it would anyway).
 */
function slicedModel(modelPath: string): SlicedModel | { reason: string } {
  try {
    return readSlicedModel(modelPath);
  } catch (err) {
    // Unreadable, or not a protobuf this reader understands: ONNX Runtime judges the file.
    return { reason: `the graph could not be read for its key/value tensors (${firstLine(err)})` };
  }
}

/** One way to create the session: a path or bytes, and the folder of its external data. */
interface SessionSource {
  /** A path, bytes, or what lays the bytes out (the sliced forms share one buffer). */
  source: string | Uint8Array | (() => Uint8Array);
  /** `model_external_initializers_file_folder_path`; unset: beside the file (a path only). */
  dataFolder?: string;
  /** Set when `source` is the graph with its new key/value positions exposed. */
  slices?: KvSliceNames[];
  /** Set when that graph also attends over the cache in place (split-attention.ts). */
  split?: boolean;
}

/**
 * The ways to create the session, best first: the extended graph (when there is one), then the
 * graph as it is. Loaded from bytes, external data is looked up in the model's folder, or in a
 * folder of hard links when it links outside it (data-folder.ts); `remove` deletes that folder.
 * When no link can be made, the file is loaded by its path (ONNX Runtime's own rule accepts a
 * model that links beside its data, as in a Hugging Face cache) and `linkError` says what to do
 * if that fails too.
 */
function sessionSources(
  modelPath: string,
  sliced: SlicedModel | undefined,
  splitAttention: boolean,
): { sources: SessionSource[]; slicesOff?: string; linkError?: InputError; remove: () => void } {
  const folder = dirname(modelPath);
  let data: DataFolder | undefined;
  try {
    data = linkedDataFolder(modelPath, dataLocations(modelPath, sliced?.bytes()));
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    return {
      sources: [{ source: modelPath }],
      slicesOff: `the external data lies outside the model folder and could not be linked into one (${err.message})`,
      linkError: err,
      remove: () => {},
    };
  }
  const dataFolder = data?.folder ?? folder;
  const plain: SessionSource = data ? { source: readFileSync(modelPath), dataFolder } : { source: modelPath };
  const sources: SessionSource[] = [];
  if (sliced?.splitBytes && splitAttention)
    sources.push({ source: sliced.splitBytes, dataFolder, slices: sliced.slices, split: true });
  if (sliced) sources.push({ source: sliced.bytes, dataFolder, slices: sliced.slices });
  sources.push(plain);
  return { sources, remove: () => data?.remove() };
}

/** The external data files the graph names (none when this reader cannot parse it). */
function dataLocations(modelPath: string, bytes: Uint8Array | undefined): string[] {
  try {
    return bytes ? externalDataLocations(bytes) : readExternalDataLocations(modelPath);
  } catch (err) {
    if (err instanceof ProtoError) return [];
    throw err;
  }
}

/** Why the CUDA provider cannot load, or undefined when its library is present. */
export function cudaUnavailableReason(): string | undefined {
  let binDir: string;
  try {
    const require = createRequire(import.meta.url);
    const pkg = require.resolve("onnxruntime-node/package.json");
    binDir = join(dirname(pkg), "bin", "napi-v6", process.platform, process.arch);
  } catch {
    return "onnxruntime-node not found";
  }
  if (process.platform !== "linux" && process.platform !== "win32")
    return `no CUDA provider on ${process.platform}`;
  const files = existsSync(binDir) ? readdirSync(binDir) : [];
  if (!files.some((f) => f.includes("providers_cuda")))
    return "onnxruntime-node's CUDA provider library is not installed";
  return undefined;
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return (msg.split("\n")[0] ?? msg).trim();
}
