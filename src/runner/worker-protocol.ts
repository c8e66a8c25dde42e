/** Messages between {@link WorkerSession} and its worker (ort-worker.ts). */
import type { KvSliceNames } from "./kv-slices.js";
import type { IoInfo, SessionOptions, Tensor } from "./ort.js";
import type { SlotOp, SlotReply } from "./slot-decoder.js";

/** A tensor as it crosses threads: plain fields, its buffer moved or cloned. */
export interface WireTensor {
  type: string;
  dims: number[];
  data: unknown;
}

export interface WorkerInit {
  modelPath: string;
  options: SessionOptions;
}

export type ToWorker =
  | {
      kind: "run";
      id: number;
      feeds: Record<string, WireTensor>;
      fetches: string[] | undefined;
    }
  | { kind: "slots"; id: number; op: SlotOp }
  | { kind: "release" };

export interface WireError {
  message: string;
  /** True for an InputError (a user-fixable problem). */
  input: boolean;
}

export type FromWorker =
  | {
      kind: "open";
      device: "cpu" | "cuda";
      inputs: IoInfo[];
      outputs: IoInfo[];
      warning: string | undefined;
      kvSlices: KvSliceNames[] | undefined;
      kvSlicesUnavailable: string | undefined;
      splitAttention: boolean;
      splitAttentionUnavailable: string | undefined;
    }
  | { kind: "open-error"; error: WireError }
  | { kind: "result"; id: number; outputs: Record<string, WireTensor> }
  | { kind: "slots-result"; id: number; reply: SlotReply }
  | { kind: "run-error"; id: number; error: WireError }
  | { kind: "released" };

export function toWire(t: Tensor): WireTensor {
  return { type: t.type, dims: [...t.dims], data: t.data };
}

/**
 * The buffers of `tensors` that can move to another thread: each typed array that spans its whole
 * ArrayBuffer (no other view can share it), each buffer once.
 */
export function transferables(tensors: Iterable<WireTensor>): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const t of tensors) {
    const d = t.data;
    if (!ArrayBuffer.isView(d)) continue;
    const buf = d.buffer;
    if (
      buf instanceof ArrayBuffer &&
      d.byteOffset === 0 &&
      d.byteLength === buf.byteLength &&
      buf.byteLength > 0
    )
      out.add(buf);
  }
  return [...out];
}
