/**
 * Finds, in an optimum-style graph, the tensor each layer appends to its KV cache: `present.{i}.k`
 * is Concat(past_key_values.{i}.k, NEW, axis 2), possibly through Casts to the cache's own type or
 * Identities. Exposing NEW as a graph output lets a decode step fetch only the new positions
 * ([rows, heads, new, head_dim]) instead of the whole grown cache, which onnxruntime-node would
 * copy into a fresh buffer every step (see benchmarks/runner/kv-copy.ts).
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import {
  graphOutputsSuffix,
  graphSuffix,
  hideGraphField,
  type OnnxGraph,
  type OnnxNode,
  readGraph,
} from "./onnx-proto.js";
import { findSplitAttention, splitAttentionNodes } from "./split-attention.js";

/** Per layer, the graph tensors holding the step's new key and value positions. */
export interface KvSliceNames {
  key: string;
  value: string;
}

export type KvSliceSearch =
  | { found: true; slices: KvSliceNames[]; elemType: number }
  | { found: false; reason: string };

const PAST = /^past_key_values\.(\d+)\.(key|value)$/;
const FLOAT32 = 1n;

/** Index in `chain` of the output of the k-th Cast met walking back along it. */
function castOutputIndex(chain: readonly string[], producer: Map<string, OnnxNode>, k: number): number {
  let casts = 0;
  for (let j = 0; j < chain.length; j++) {
    if (producer.get(chain[j]!)?.opType === "Cast") {
      if (casts === k) return j;
      casts++;
    }
  }
  throw new Error("cast not on the chain");
}

/** Looks for every layer's appended tensor; `found: false` says why the graph does not qualify. */
export function findKvSlices(graph: OnnxGraph): KvSliceSearch {
  const producer = new Map<string, OnnxNode>();
  for (const n of graph.nodes) for (const o of n.outputs) producer.set(o, n);
  const past = graph.inputs.filter((i) => PAST.test(i.name));
  const layers = past.length / 2;
  if (layers === 0 || !Number.isInteger(layers)) return { found: false, reason: "no past_key_values inputs" };
  const elemType = past[0]!.elemType;
  if (elemType === undefined) return { found: false, reason: "the cache inputs have no element type" };

  // Follows Identity and Cast nodes back from `name`; `to` lists each Cast's target type, nearest first.
  const back = (name: string): { source: string; to: bigint[]; chain: string[] } => {
    let at = name;
    const to: bigint[] = [];
    const chain = [name];
    for (;;) {
      const n = producer.get(at);
      if (n?.inputs.length !== 1 || (n.opType !== "Identity" && n.opType !== "Cast"))
        return { source: at, to, chain };
      if (n.opType === "Cast") to.push(n.ints.get("to") ?? -1n);
      at = n.inputs[0]!;
      chain.push(at);
    }
  };
  const kvType = BigInt(elemType);

  const slices: KvSliceNames[] = [];
  for (let i = 0; i < layers; i++) {
    const pair: Partial<KvSliceNames> = {};
    for (const kind of ["key", "value"] as const) {
      const name = `present.${i}.${kind}`;
      const concat = producer.get(back(name).source);
      if (concat?.opType !== "Concat" || concat.inputs.length !== 2)
        return { found: false, reason: `${name} is not a Concat of the past and the new positions` };
      const axis = concat.ints.get("axis");
      if (axis !== 2n && axis !== -2n)
        return { found: false, reason: `${name} is concatenated along axis ${axis}` };
      const past = back(concat.inputs[0]!);
      if (past.source !== `past_key_values.${i}.${kind}`)
        return { found: false, reason: `${name} does not start with past_key_values.${i}.${kind}` };
      // The Concat runs in the cache's type, or (fp16 graphs) in float32 after a lossless cast up.
      if (past.to.some((t) => t !== kvType && t !== FLOAT32))
        return { found: false, reason: `${name}: the past is cast to a type other than float32` };
      const concatType = past.to[0] ?? kvType;
      const added = back(concat.inputs[1]!);
      let slice = added.chain[0]!;
      if (concatType !== kvType) {
        // Take the new positions where they last had the cache's type: casting them up and back
        // down (what the graph does to reach present.*) gives the same values.
        const k = added.to.indexOf(kvType);
        if (k < 0 || added.to.slice(0, k).some((t) => t !== FLOAT32))
          return { found: false, reason: `${name}: the new positions never have the cache's type` };
        slice = added.chain[castOutputIndex(added.chain, producer, k)]!;
      }
      if (graph.inputs.some((x) => x.name === slice))
        return { found: false, reason: `${name} appends a graph input` };
      pair[kind] = slice;
    }
    slices.push(pair as KvSliceNames);
  }
  return { found: true, slices, elemType };
}

export interface SlicedModel {
  slices: KvSliceNames[];
  /** The model with each layer's appended key/value tensors added as graph outputs. */
  bytes(): Uint8Array;
  /**
   * The same with attention split over the cache (split-attention.ts: no Concat of the cache,
   * no `present.*` outputs), when the graph has optimum's attention pattern. `bytes` and
   * `splitBytes` lay out one shared buffer: what one returns is valid until the other is called.
   */
  splitBytes: (() => Uint8Array) | undefined;
  /** Why `splitBytes` is undefined. */
  splitUnavailable: string | undefined;
}

/** Room left after the file's bytes for the added outputs and nodes (a few KB per layer). */
const SUFFIX_ROOM = 1 << 20;

/**
 * Reads a model file with its new-position tensors exposed, or returns the reason it cannot be:
 * a graph whose attention concatenates inside one operator (onnxruntime-genai's
 * GroupQueryAttention) has no such tensor, and then the runner reads `present.*` as before.
 */
export function readSlicedModel(path: string): SlicedModel | { reason: string } {
  const fd = openSync(path, "r");
  let size: number;
  let buf: Uint8Array;
  try {
    size = fstatSync(fd).size;
    buf = new Uint8Array(size + SUFFIX_ROOM);
    for (let at = 0; at < size; ) {
      const n = readSync(fd, buf, at, Math.min(size - at, 1 << 30), at);
      if (n === 0) throw new Error(`${path}: file ended early`);
      at += n;
    }
  } finally {
    closeSync(fd);
  }
  const model = buf.subarray(0, size);
  const graph = readGraph(model);
  const search = findKvSlices(graph);
  if (!search.found) return { reason: search.reason };
  const sliceOutputs = search.slices.flatMap((s) => [
    { name: s.key, elemType: search.elemType },
    { name: s.value, elemType: search.elemType },
  ]);
  // The file's bytes followed by `suffix`, in `buf` when it has the room (no copy of the model).
  const withSuffix = (suffix: Uint8Array): Uint8Array => {
    if (suffix.length <= SUFFIX_ROOM) {
      buf.set(suffix, size);
      return buf.subarray(0, size + suffix.length);
    }
    const bytes = new Uint8Array(size + suffix.length);
    bytes.set(model);
    bytes.set(suffix, size);
    return bytes;
  };
  let restore: (() => void)[] = [];
  const unhide = () => {
    for (const r of restore) r();
    restore = [];
  };
  const plainSuffix = graphOutputsSuffix(sliceOutputs);
  const bytes = () => {
    unhide();
    return withSuffix(plainSuffix);
  };
  const split = findSplitAttention(graph, search.slices, search.elemType);
  if (!split.found)
    return { slices: search.slices, bytes, splitBytes: undefined, splitUnavailable: split.reason };
  const presents = new Set(search.slices.flatMap((_, i) => [`present.${i}.key`, `present.${i}.value`]));
  const hidden = [
    ...split.layers.flatMap((l) => l.removed.map((n) => n.at)),
    ...graph.outputs.filter((o) => presents.has(o.name)).map((o) => o.at),
  ];
  const splitSuffix = graphSuffix(splitAttentionNodes(split.layers), sliceOutputs);
  const splitBytes = () => {
    unhide();
    try {
      for (const at of hidden) {
        if (at === undefined) throw new Error("a graph field without its offset");
        restore.push(hideGraphField(model, at));
      }
    } catch (err) {
      unhide();
      throw err;
    }
    return withSuffix(splitSuffix);
  };
  return { slices: search.slices, bytes, splitBytes, splitUnavailable: undefined };
}
