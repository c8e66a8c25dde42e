/**
 * The external data files a model's graph names (`TensorProto.external_data`, key `location`):
 * optimum writes `model.onnx_data`, onnxruntime's quantizer `model.onnx.data`, older exporters one
 * file per tensor. Read from the protobuf itself, skipping weights stored inline by their length,
 * so a 1.5 GB graph with inline weights is walked without being read.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { ProtoError, readVarint } from "./onnx-proto.js";

/** Random access to a serialized model: bytes in memory, or a file read through a window. */
interface ByteSource {
  readonly size: number;
  /** Bytes [start, end) (end within the size). */
  at(start: number, end: number): Uint8Array;
}

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

/** A field's number and where its value lies (length-delimited fields: the body). */
interface Field {
  num: number;
  wire: number;
  start: number;
  end: number;
}

/** The fields of the message in [start, end), reading only their heads (tag, length). */
function* fields(src: ByteSource, start: number, end: number): Generator<Field> {
  let pos = start;
  while (pos < end) {
    // A tag and a length are varints of at most 10 bytes each.
    const head = src.at(pos, Math.min(end, pos + 20));
    const [tag, afterTag] = readVarint(head, 0);
    const num = Math.floor(tag / 8);
    const wire = tag % 8;
    let valueStart = pos + afterTag;
    let next: number;
    if (wire === WIRE_VARINT) next = pos + readVarint(head, afterTag)[1];
    else if (wire === WIRE_I64) next = valueStart + 8;
    else if (wire === WIRE_I32) next = valueStart + 4;
    else if (wire === WIRE_LEN) {
      const [len, after] = readVarint(head, afterTag);
      valueStart = pos + after;
      next = valueStart + len;
    } else throw new ProtoError(`unsupported wire type ${wire} at byte ${pos}`);
    if (next > end || num === 0) throw new ProtoError(`malformed field at byte ${pos}`);
    yield { num, wire, start: valueStart, end: next };
    pos = next;
  }
}

const utf8 = new TextDecoder("utf-8");

/** Message fields (by number) holding tensors, graphs or nodes, per message type of onnx.proto. */
const MODEL = { graph: 7, functions: 25 };
const GRAPH = { node: 1, initializer: 5, sparseInitializer: 15 };
const NODE = { attribute: 5 };
const ATTRIBUTE = { t: 5, g: 6, tensors: 10, graphs: 11, sparseTensor: 22, sparseTensors: 23 };
const FUNCTION = { node: 7 };
const SPARSE = { values: 1, indices: 2 };
const TENSOR = { externalData: 13 };
const ENTRY = { key: 1, value: 2 };

class Walker {
  readonly locations: string[] = [];

  constructor(private readonly src: ByteSource) {}

  private messages(start: number, end: number, num: number, visit: (f: Field) => void): void {
    for (const f of fields(this.src, start, end)) if (f.num === num && f.wire === WIRE_LEN) visit(f);
  }

  model(): void {
    for (const f of fields(this.src, 0, this.src.size)) {
      if (f.wire !== WIRE_LEN) continue;
      if (f.num === MODEL.graph) this.graph(f);
      else if (f.num === MODEL.functions) this.messages(f.start, f.end, FUNCTION.node, (n) => this.node(n));
    }
  }

  private graph(g: Field): void {
    for (const f of fields(this.src, g.start, g.end)) {
      if (f.wire !== WIRE_LEN) continue;
      if (f.num === GRAPH.node) this.node(f);
      else if (f.num === GRAPH.initializer) this.tensor(f);
      else if (f.num === GRAPH.sparseInitializer) this.sparse(f);
    }
  }

  private node(n: Field): void {
    this.messages(n.start, n.end, NODE.attribute, (a) => {
      for (const f of fields(this.src, a.start, a.end)) {
        if (f.wire !== WIRE_LEN) continue;
        if (f.num === ATTRIBUTE.t || f.num === ATTRIBUTE.tensors) this.tensor(f);
        else if (f.num === ATTRIBUTE.g || f.num === ATTRIBUTE.graphs) this.graph(f);
        else if (f.num === ATTRIBUTE.sparseTensor || f.num === ATTRIBUTE.sparseTensors) this.sparse(f);
      }
    });
  }

  private sparse(s: Field): void {
    for (const f of fields(this.src, s.start, s.end))
      if (f.wire === WIRE_LEN && (f.num === SPARSE.values || f.num === SPARSE.indices)) this.tensor(f);
  }

  private tensor(t: Field): void {
    this.messages(t.start, t.end, TENSOR.externalData, (e) => {
      let key: string | undefined;
      let value: string | undefined;
      for (const f of fields(this.src, e.start, e.end)) {
        if (f.wire !== WIRE_LEN) continue;
        if (f.num === ENTRY.key) key = utf8.decode(this.src.at(f.start, f.end));
        else if (f.num === ENTRY.value) value = utf8.decode(this.src.at(f.start, f.end));
      }
      if (key === "location" && value !== undefined && !this.locations.includes(value))
        this.locations.push(value);
    });
  }
}

/** The external data locations a serialized model names, in order of first mention. */
export function externalDataLocations(model: Uint8Array): string[] {
  const walker = new Walker({ size: model.length, at: (s, e) => model.subarray(s, e) });
  walker.model();
  return walker.locations;
}

/** Bytes read per file read: a graph's nodes are small and lie together. */
const WINDOW = 1 << 16;

/**
 * The external data locations the model file at `path` names. Throws ProtoError when the file is
 * not a protobuf this reader understands.
 */
export function readExternalDataLocations(path: string): string[] {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    let windowStart = 0;
    let window: Uint8Array = new Uint8Array(0);
    const read = (start: number, length: number): Uint8Array => {
      const buf = new Uint8Array(Math.min(length, size - start));
      for (let at = 0; at < buf.length; ) {
        const n = readSync(fd, buf, at, buf.length - at, start + at);
        if (n === 0) throw new ProtoError(`${path}: file ended early`);
        at += n;
      }
      return buf;
    };
    const at = (start: number, end: number): Uint8Array => {
      if (start >= windowStart && end <= windowStart + window.length)
        return window.subarray(start - windowStart, end - windowStart);
      if (end - start > WINDOW) return read(start, end - start);
      window = read(start, WINDOW);
      windowStart = start;
      return window.subarray(0, end - start);
    };
    const walker = new Walker({ size, at });
    walker.model();
    return walker.locations;
  } finally {
    closeSync(fd);
  }
}
