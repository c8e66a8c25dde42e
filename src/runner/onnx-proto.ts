/**
 * Just enough of the ONNX protobuf format to read a graph's nodes and IO, to append nodes and graph
 * outputs, and to hide nodes and outputs in place, without decoding (or copying) the weights:
 * initializers are skipped by their length.
 * Field numbers are those of onnx/onnx.proto (ModelProto.graph = 7, GraphProto.node = 1,
 * GraphProto.input = 11, GraphProto.output = 12, ...).
 */

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

/** One field of a message: its number, wire type, and where its value lies in the buffer. */
export interface ProtoField {
  num: number;
  wire: number;
  /** Offset of the field's tag. */
  tagStart: number;
  /** The value's bytes (length-delimited fields) or the varint's bytes. */
  start: number;
  end: number;
}

export class ProtoError extends Error {}

/** Reads an unsigned varint at `pos`; returns its value (exact below 2^53) and the next offset. */
export function readVarint(buf: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new ProtoError("truncated varint");
    const b = buf[pos++]!;
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return [value, pos];
    scale *= 128;
  }
  throw new ProtoError("varint longer than 10 bytes");
}

/** A varint field's value as a signed 64-bit integer (ONNX attributes such as axis = -2). */
export function readSignedVarint(buf: Uint8Array, pos: number): bigint {
  let value = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    const b = buf[pos++];
    if (b === undefined) throw new ProtoError("truncated varint");
    value |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return BigInt.asIntN(64, value);
    shift += 7n;
  }
  throw new ProtoError("varint longer than 10 bytes");
}

/** The fields of the message in buf[start, end). */
export function* fields(buf: Uint8Array, start = 0, end = buf.length): Generator<ProtoField> {
  let pos = start;
  while (pos < end) {
    const tagStart = pos;
    const [tag, afterTag] = readVarint(buf, pos);
    const num = Math.floor(tag / 8);
    const wire = tag % 8;
    pos = afterTag;
    let valueStart = pos;
    switch (wire) {
      case WIRE_VARINT:
        pos = readVarint(buf, pos)[1];
        break;
      case WIRE_I64:
        pos += 8;
        break;
      case WIRE_I32:
        pos += 4;
        break;
      case WIRE_LEN: {
        const [len, after] = readVarint(buf, pos);
        valueStart = after;
        pos = after + len;
        break;
      }
      default:
        throw new ProtoError(`unsupported wire type ${wire} at byte ${tagStart}`);
    }
    if (pos > end || num === 0) throw new ProtoError(`malformed field at byte ${tagStart}`);
    yield { num, wire, tagStart, start: valueStart, end: pos };
  }
}

const utf8 = new TextDecoder("utf-8");

function text(buf: Uint8Array, f: ProtoField): string {
  return utf8.decode(buf.subarray(f.start, f.end));
}

export interface OnnxNode {
  opType: string;
  /** The operator set's domain ("" for the default, ai.onnx). */
  domain: string;
  inputs: string[];
  outputs: string[];
  /** Integer attributes (e.g. Concat's axis, Cast's to). */
  ints: Map<string, bigint>;
  /** Integer-list attributes (e.g. Transpose's perm). */
  intLists: Map<string, bigint[]>;
  /** Offset of the node's field tag in the model's bytes (see {@link hideGraphField}). */
  at?: number;
}

export interface OnnxValueInfo {
  name: string;
  /** TensorProto.DataType (1 = float32, 10 = float16), or undefined when not a tensor. */
  elemType: number | undefined;
  /** The number of dimensions, when the graph gives the tensor a shape. */
  rank?: number;
  /** Offset of the field's tag in the model's bytes (graph outputs; see {@link hideGraphField}). */
  at?: number;
}

/** The parts of a model's graph the runner reads. */
export interface OnnxGraph {
  nodes: OnnxNode[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** The default (ai.onnx) operator set version the model imports, if it names one. */
  opset: number | undefined;
}

function parseNode(buf: Uint8Array, start: number, end: number): OnnxNode {
  const node: OnnxNode = {
    opType: "",
    domain: "",
    inputs: [],
    outputs: [],
    ints: new Map(),
    intLists: new Map(),
  };
  for (const f of fields(buf, start, end)) {
    if (f.wire !== WIRE_LEN) continue;
    if (f.num === 1) node.inputs.push(text(buf, f));
    else if (f.num === 2) node.outputs.push(text(buf, f));
    else if (f.num === 4) node.opType = text(buf, f);
    else if (f.num === 7) node.domain = text(buf, f);
    else if (f.num === 5) {
      // AttributeProto: name = 1, i = 3 (varint), ints = 8 (varints, packed or not).
      let name: string | undefined;
      let value: bigint | undefined;
      const list: bigint[] = [];
      for (const a of fields(buf, f.start, f.end)) {
        if (a.num === 1 && a.wire === WIRE_LEN) name = text(buf, a);
        else if (a.num === 3 && a.wire === WIRE_VARINT) value = readSignedVarint(buf, a.start);
        else if (a.num === 8 && a.wire === WIRE_VARINT) list.push(readSignedVarint(buf, a.start));
        else if (a.num === 8 && a.wire === WIRE_LEN) {
          for (let pos = a.start; pos < a.end; pos = readVarint(buf, pos)[1])
            list.push(readSignedVarint(buf, pos));
        }
      }
      if (name !== undefined && value !== undefined) node.ints.set(name, value);
      if (name !== undefined && list.length > 0) node.intLists.set(name, list);
    }
  }
  return node;
}

function parseValueInfo(buf: Uint8Array, start: number, end: number): OnnxValueInfo {
  let name = "";
  let elemType: number | undefined;
  let rank: number | undefined;
  for (const f of fields(buf, start, end)) {
    if (f.num === 1 && f.wire === WIRE_LEN) name = text(buf, f);
    else if (f.num === 2 && f.wire === WIRE_LEN) {
      // TypeProto.tensor_type = 1 -> TypeProto.Tensor { elem_type = 1, shape = 2 { dim = 1 } }.
      for (const t of fields(buf, f.start, f.end)) {
        if (t.num !== 1 || t.wire !== WIRE_LEN) continue;
        for (const e of fields(buf, t.start, t.end)) {
          if (e.num === 1 && e.wire === WIRE_VARINT) elemType = readVarint(buf, e.start)[0];
          else if (e.num === 2 && e.wire === WIRE_LEN) {
            rank = 0;
            for (const d of fields(buf, e.start, e.end)) if (d.num === 1) rank++;
          }
        }
      }
    }
  }
  return rank === undefined ? { name, elemType } : { name, elemType, rank };
}

/**
 * Reads the graph of a serialized ModelProto (nodes, inputs, outputs; weights are skipped). A
 * graph field that occurs more than once is merged, as protobuf parsers do.
 */
export function readGraph(model: Uint8Array): OnnxGraph {
  const graph: OnnxGraph = { nodes: [], inputs: [], outputs: [], opset: undefined };
  let seen = false;
  for (const g of fields(model)) {
    if (g.num === 8 && g.wire === WIRE_LEN) {
      // ModelProto.opset_import: OperatorSetIdProto { domain = 1, version = 2 }.
      let domain = "";
      let version: number | undefined;
      for (const o of fields(model, g.start, g.end)) {
        if (o.num === 1 && o.wire === WIRE_LEN) domain = text(model, o);
        else if (o.num === 2 && o.wire === WIRE_VARINT) version = readVarint(model, o.start)[0];
      }
      if ((domain === "" || domain === "ai.onnx") && version !== undefined) graph.opset = version;
      continue;
    }
    if (g.num !== 7 || g.wire !== WIRE_LEN) continue;
    seen = true;
    for (const f of fields(model, g.start, g.end)) {
      if (f.wire !== WIRE_LEN) continue;
      if (f.num === 1) graph.nodes.push({ ...parseNode(model, f.start, f.end), at: f.tagStart });
      else if (f.num === 11) graph.inputs.push(parseValueInfo(model, f.start, f.end));
      else if (f.num === 12) graph.outputs.push({ ...parseValueInfo(model, f.start, f.end), at: f.tagStart });
    }
  }
  if (!seen) throw new ProtoError("no graph in the model");
  return graph;
}

/** The bytes of an unsigned varint. */
export function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** A length-delimited field: tag, length, body. */
export function lenField(num: number, body: Uint8Array): Uint8Array {
  const head = [...varint(num * 8 + WIRE_LEN), ...varint(body.length)];
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A tensor ValueInfoProto of the given element type and unknown shape. */
function tensorValueInfo(name: string, elemType: number): Uint8Array {
  const tensorType = new Uint8Array([...varint(1 * 8 + WIRE_VARINT), ...varint(elemType)]);
  const typeProto = lenField(1, tensorType);
  return concat([lenField(1, new TextEncoder().encode(name)), lenField(2, typeProto)]);
}

/**
 * Bytes that, appended to a serialized ModelProto, add `outputs` (tensors the graph computes) to
 * its graph's outputs: a second `graph` field holding only them, which protobuf parsers merge
 * into the first (repeated fields are appended). The model's own bytes stay as they are, so a
 * large model is never copied to be extended.
 */
export function graphOutputsSuffix(outputs: readonly OnnxValueInfo[]): Uint8Array {
  return graphSuffix([], outputs);
}

/** An attribute of a node to write: an integer or a list of integers. */
export type NewAttribute = number | readonly number[];

/** A node to add to a graph (default domain). */
export interface NewNode {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name: string;
  attributes?: Readonly<Record<string, NewAttribute>>;
}

const ATTRIBUTE_INT = 2;
const ATTRIBUTE_INTS = 7;

/** A signed 64-bit integer as a varint (two's complement, as protobuf writes int64). */
function signedVarint(n: number): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function nodeProto(node: NewNode): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [
    ...node.inputs.map((i) => lenField(1, enc.encode(i))),
    ...node.outputs.map((o) => lenField(2, enc.encode(o))),
    lenField(3, enc.encode(node.name)),
    lenField(4, enc.encode(node.opType)),
  ];
  for (const [name, value] of Object.entries(node.attributes ?? {})) {
    // AttributeProto: name = 1, i = 3, ints = 8, type = 20.
    const body: number[] = [];
    if (typeof value === "number") body.push(...varint(3 * 8 + WIRE_VARINT), ...signedVarint(value));
    else for (const v of value) body.push(...varint(8 * 8 + WIRE_VARINT), ...signedVarint(v));
    const type = typeof value === "number" ? ATTRIBUTE_INT : ATTRIBUTE_INTS;
    body.push(...varint(20 * 8 + WIRE_VARINT), ...varint(type));
    parts.push(lenField(5, concat([lenField(1, enc.encode(name)), new Uint8Array(body)])));
  }
  return concat(parts);
}

/**
 * Bytes that, appended to a serialized ModelProto, add `nodes` and `outputs` to its graph (a
 * second `graph` field, merged by protobuf parsers as above). ONNX Runtime orders the nodes
 * itself, so added nodes may feed nodes listed before them.
 */
export function graphSuffix(nodes: readonly NewNode[], outputs: readonly OnnxValueInfo[]): Uint8Array {
  const added = outputs.map((o) => {
    if (o.elemType === undefined) throw new ProtoError(`output ${o.name} has no element type`);
    return lenField(12, tensorValueInfo(o.name, o.elemType));
  });
  return lenField(7, concat([...nodes.map((n) => lenField(1, nodeProto(n))), ...added]));
}

/** GraphProto field 3 is reserved: parsers keep a field there as unknown and ignore it. */
const HIDDEN_TAG = 3 * 8 + WIRE_LEN;
const ONE_BYTE_TAGS = new Set([1 * 8 + WIRE_LEN, 12 * 8 + WIRE_LEN]);

/**
 * Removes a node or graph output from a serialized model in place, without moving any byte: the
 * field at `at` (a one-byte tag: GraphProto.node or .output) is renumbered to a reserved field
 * number, which parsers skip. Returns a function that puts the original tag back.
 */
export function hideGraphField(model: Uint8Array, at: number): () => void {
  const tag = model[at];
  if (tag === undefined || !ONE_BYTE_TAGS.has(tag))
    throw new ProtoError(`no node or output field at byte ${at}`);
  model[at] = HIDDEN_TAG;
  return () => {
    model[at] = tag;
  };
}
