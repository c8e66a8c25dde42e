/**
 * Test helper: rewrites a model so its initializers live in an external data file, the layout
 * optimum writes for models over 2 GB (phi-1.5 in fp32), using the project's own protobuf reader.
 * TensorProto fields: raw_data = 9, external_data = 13 (key = 1, value = 2), data_location = 14.
 */
import { writeFileSync } from "node:fs";
import { fields, lenField, varint } from "../../src/runner/onnx-proto.js";

function len(num: number, body: Uint8Array): Buffer {
  return Buffer.from(lenField(num, body));
}

function entry(key: string, value: string): Buffer {
  return len(13, Buffer.concat([len(1, Buffer.from(key)), len(2, Buffer.from(value))]));
}

/**
 * Writes `modelPath` as a model whose every raw-data initializer of at least `minBytes` is stored
 * in `dataPath` (named `location` in the model); returns how many tensors moved.
 */
export function writeWithExternalData(
  model: Uint8Array,
  modelPath: string,
  dataPath: string,
  location: string,
  minBytes = 256,
): number {
  const data: Buffer[] = [];
  let offset = 0;
  let moved = 0;
  const tensor = (start: number, end: number): Buffer => {
    const raw = [...fields(model, start, end)].find((f) => f.num === 9 && f.wire === 2);
    if (!raw || raw.end - raw.start < minBytes) return Buffer.from(model.subarray(start, end));
    const kept = [...fields(model, start, end)]
      .filter((f) => f.tagStart !== raw.tagStart)
      .map((f) => Buffer.from(model.subarray(f.tagStart, f.end)));
    const bytes = raw.end - raw.start;
    data.push(Buffer.from(model.subarray(raw.start, raw.end)));
    const out = Buffer.concat([
      ...kept,
      entry("location", location),
      entry("offset", String(offset)),
      entry("length", String(bytes)),
      Buffer.from([...varint(14 * 8), 1]),
    ]);
    offset += bytes;
    moved++;
    return out;
  };
  const graph = (start: number, end: number): Buffer =>
    Buffer.concat(
      [...fields(model, start, end)].map((f) =>
        f.num === 5 && f.wire === 2
          ? len(5, tensor(f.start, f.end))
          : Buffer.from(model.subarray(f.tagStart, f.end)),
      ),
    );
  const out = Buffer.concat(
    [...fields(model)].map((f) =>
      f.num === 7 && f.wire === 2
        ? len(7, graph(f.start, f.end))
        : Buffer.from(model.subarray(f.tagStart, f.end)),
    ),
  );
  writeFileSync(modelPath, out);
  writeFileSync(dataPath, Buffer.concat(data));
  return moved;
}
