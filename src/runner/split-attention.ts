/**
 * Attention that reads the KV cache where it lies. An optimum export attends over
 * `present = Concat(past, new)`, so every step copies each layer's whole cache into a fresh
 * tensor before reading it (and ONNX Runtime runs that Concat whether or not `present.*` is
 * fetched). Scores and weighted sums split over the cache's two parts give the same result
 * without the copy:
 *
 *   scores = Concat(q · past_kᵀ, q · new_kᵀ)         (rows x heads x new x (past + new): small)
 *   out    = probs[.., :past] · past_v + probs[.., past:] · new_v
 *
 * The graph's own scaling, mask and softmax stay between the two, untouched. Only the exact
 * pattern of optimum's export is rewritten (rules below); anything else keeps its attention.
 * With the Concats gone, `present.*` are no longer graph outputs: the session builds them from
 * the past it was fed and the new positions (kv-slices.ts) when a caller asks for them.
 */
import type { KvSliceNames } from "./kv-slices.js";
import type { NewNode, OnnxGraph, OnnxNode } from "./onnx-proto.js";

/** One layer's attention as the rewrite finds it. */
interface LayerAttention {
  layer: number;
  pastKey: string;
  pastValue: string;
  newKey: string;
  newValue: string;
  /** The queries, and the softmax's probabilities the values are weighted by. */
  query: string;
  probs: string;
  /** Nodes the rewrite removes: the two Concats, the transpose of the keys, the two MatMuls. */
  removed: OnnxNode[];
  /** Outputs the new nodes take over: the scores' MatMul's and the weighted sum's. */
  scores: string;
  mixed: string;
}

export type SplitAttentionSearch =
  | { found: true; layers: LayerAttention[] }
  | { found: false; reason: string };

/**
 * Constant's `value_ints` arrived in opset 12, and every other operator the rewrite writes is as
 * old; 13 keeps to the versions the tests run (optimum exports phi at opset 14).
 */
const MIN_OPSET = 13;
const SWAP_LAST_TWO = [0n, 1n, 3n, 2n];

/**
 * Finds every layer's attention in optimum's form, given the new key/value tensors found by
 * kv-slices.ts: `present.{i}.key = Concat(past, newKey, axis 2)` read only through a Transpose
 * of its last two axes into the second input of one MatMul (the scores), and
 * `present.{i}.value = Concat(past, newValue, axis 2)` read only as the second input of one
 * MatMul (the weighted sum). Casts to the cache's own type around the Concat are followed; other
 * Casts, or any other reader of the caches, leave the graph as it is.
 */
export function findSplitAttention(
  graph: OnnxGraph,
  slices: readonly KvSliceNames[],
  /** The cache's TensorProto.DataType: a Cast to it changes nothing. */
  kvType: number,
): SplitAttentionSearch {
  if (graph.opset === undefined || graph.opset < MIN_OPSET)
    return { found: false, reason: `the graph's opset ${graph.opset ?? "(none)"} is below ${MIN_OPSET}` };
  const producer = new Map<string, OnnxNode>();
  const readers = new Map<string, OnnxNode[]>();
  for (const n of graph.nodes) {
    for (const o of n.outputs) producer.set(o, n);
    for (const i of n.inputs) readers.set(i, [...(readers.get(i) ?? []), n]);
  }
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const rank = new Map(graph.inputs.map((i) => [i.name, i.rank]));
  const isNoOpCast = (n: OnnxNode | undefined): boolean =>
    n?.opType === "Cast" && n.domain === "" && n.inputs.length === 1 && n.ints.get("to") === BigInt(kvType);
  const onlyReader = (name: string): OnnxNode | undefined => {
    const r = readers.get(name) ?? [];
    return r.length === 1 ? r[0] : undefined;
  };
  const layers: LayerAttention[] = [];
  for (const [layer, slice] of slices.entries()) {
    const where = `layer ${layer}`;
    // [rows, heads, positions, head_dim]: the rewrite slices and multiplies along the last two axes.
    if (rank.get(`past_key_values.${layer}.key`) !== 4 || rank.get(`past_key_values.${layer}.value`) !== 4)
      return { found: false, reason: `${where}: the cache inputs are not of rank 4` };
    // present.{i}.kind back to its Concat, and the Concat's first input back to the past, through
    // Casts to the cache's own type (no-ops; TorchScript exports put them around the Concat). The
    // Casts between the Concat and present.* go with it, so each must be its input's only reader.
    const concatOf = (kind: "key" | "value", added: string) => {
      let at = `present.${layer}.${kind}`;
      const casts: OnnxNode[] = [];
      for (let n = producer.get(at); isNoOpCast(n); n = producer.get(at)) {
        casts.push(n!);
        at = n!.inputs[0]!;
        if (onlyReader(at) !== n || outputs.has(at)) return undefined;
      }
      const c = producer.get(at);
      let past = c?.inputs[0];
      for (let n = producer.get(past ?? ""); isNoOpCast(n); n = producer.get(past ?? "")) past = n!.inputs[0];
      const axis = c?.ints.get("axis");
      const ok =
        c?.opType === "Concat" &&
        c.domain === "" &&
        c.inputs.length === 2 &&
        past === `past_key_values.${layer}.${kind}` &&
        c.inputs[1] === added &&
        (axis === 2n || axis === -2n);
      return ok ? { concat: c, casts } : undefined;
    };
    const key = concatOf("key", slice.key);
    const value = concatOf("value", slice.value);
    if (!key || !value)
      return { found: false, reason: `${where}: present is not Concat(past, new) of the cache's type` };
    const [keyConcat, valueConcat] = [key.concat, value.concat];
    const transpose = onlyReader(`present.${layer}.key`);
    const perm = transpose?.intLists.get("perm");
    if (
      transpose?.opType !== "Transpose" ||
      transpose.domain !== "" ||
      perm?.length !== 4 ||
      perm.some((p, k) => p !== SWAP_LAST_TWO[k]) ||
      outputs.has(transpose.outputs[0]!)
    )
      return {
        found: false,
        reason: `${where}: the keys are not read through one transpose of their last two axes`,
      };
    const scores = onlyReader(transpose.outputs[0]!);
    if (scores?.opType !== "MatMul" || scores.domain !== "" || scores.inputs[1] !== transpose.outputs[0])
      return { found: false, reason: `${where}: the transposed keys do not feed one MatMul` };
    const mix = onlyReader(`present.${layer}.value`);
    if (mix?.opType !== "MatMul" || mix.domain !== "" || mix.inputs[1] !== `present.${layer}.value`)
      return { found: false, reason: `${where}: the values do not feed one MatMul` };
    layers.push({
      layer,
      pastKey: keyConcat.inputs[0]!,
      pastValue: valueConcat.inputs[0]!,
      newKey: slice.key,
      newValue: slice.value,
      query: scores.inputs[0]!,
      probs: mix.inputs[0]!,
      removed: [...key.casts, keyConcat, ...value.casts, valueConcat, transpose, scores, mix],
      scores: scores.outputs[0]!,
      mixed: mix.outputs[0]!,
    });
  }
  if (layers.length === 0) return { found: false, reason: "no layers" };
  return { found: true, layers };
}

const PREFIX = "litmus_split";
const ZERO = `${PREFIX}_zero`;
const LAST_AXIS = `${PREFIX}_last_axis`;
const POSITIONS_AXIS = `${PREFIX}_positions_axis`;
const TO_END = `${PREFIX}_to_end`;

/** The nodes that replace the removed ones: four shared constants, then twelve per layer. */
export function splitAttentionNodes(layers: readonly LayerAttention[]): NewNode[] {
  const constant = (name: string, value: number): NewNode => ({
    opType: "Constant",
    inputs: [],
    outputs: [name],
    name,
    attributes: { value_ints: [value] },
  });
  const nodes: NewNode[] = [
    constant(ZERO, 0),
    constant(LAST_AXIS, -1),
    constant(POSITIONS_AXIS, -2),
    // Slice clamps ends to the axis's length: any end past it reads "to the end".
    constant(TO_END, Number.MAX_SAFE_INTEGER),
  ];
  for (const l of layers) {
    const x = (s: string) => `${PREFIX}_${l.layer}_${s}`;
    const node = (opType: string, inputs: string[], output: string, attributes?: NewNode["attributes"]) =>
      nodes.push({
        opType,
        inputs,
        outputs: [output],
        name: x(opType.toLowerCase() + nodes.length),
        attributes,
      });
    node("Transpose", [l.pastKey], x("past_key_t"), { perm: [0, 1, 3, 2] });
    node("MatMul", [l.query, x("past_key_t")], x("past_scores"));
    node("Transpose", [l.newKey], x("new_key_t"), { perm: [0, 1, 3, 2] });
    node("MatMul", [l.query, x("new_key_t")], x("new_scores"));
    node("Concat", [x("past_scores"), x("new_scores")], l.scores, { axis: -1 });
    // The past's length as a 1-element tensor: its shape's entry -2 (Shape's own start/end
    // attributes need opset 15).
    node("Shape", [l.pastValue], x("past_shape"));
    node("Slice", [x("past_shape"), POSITIONS_AXIS, LAST_AXIS, ZERO], x("past_length"));
    node("Slice", [l.probs, ZERO, x("past_length"), LAST_AXIS], x("past_probs"));
    node("Slice", [l.probs, x("past_length"), TO_END, LAST_AXIS], x("new_probs"));
    node("MatMul", [x("past_probs"), l.pastValue], x("past_mixed"));
    node("MatMul", [x("new_probs"), l.newValue], x("new_mixed"));
    node("Add", [x("past_mixed"), x("new_mixed")], l.mixed);
  }
  return nodes;
}
