/**
 * Worker-thread entry of {@link WorkerSession}: owns one ONNX Runtime session, so that the
 * synchronous `session.run` of onnxruntime-node blocks this thread, not the main event loop.
 * Feeds arrive with their buffers moved here; outputs (fresh buffers from the binding) move back.
 */
import { parentPort, workerData } from "node:worker_threads";
import { InputError } from "../util/errors.js";
import { makeTensor, OnnxSession, type Tensor, type TensorData, type TensorType } from "./ort.js";
import { SlotDecoders } from "./slot-decoder.js";
import {
  type FromWorker,
  type ToWorker,
  toWire,
  transferables,
  type WireError,
  type WireTensor,
  type WorkerInit,
} from "./worker-protocol.js";

const port = parentPort;
if (!port) throw new Error("ort-worker.js must run in a worker thread");
const init = workerData as WorkerInit;

function wireError(err: unknown): WireError {
  return { message: err instanceof Error ? err.message : String(err), input: err instanceof InputError };
}

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(msg, transfer);
}

let session: OnnxSession | undefined;
try {
  session = await OnnxSession.open(init.modelPath, init.options);
  post({
    kind: "open",
    device: session.device,
    inputs: session.inputs,
    outputs: session.outputs,
    warning: session.warning,
    kvSlices: session.kvSlices,
    kvSlicesUnavailable: session.kvSlicesUnavailable,
    splitAttention: session.splitAttention,
    splitAttentionUnavailable: session.splitAttentionUnavailable,
  });
} catch (err) {
  post({ kind: "open-error", error: wireError(err) });
}

// Slot caches live here, beside the session: decode steps move only ids in and logits out.
const slots = session?.kvSlices
  ? new SlotDecoders((feeds, fetches) => session!.run(feeds, fetches), session.kvSlices)
  : undefined;

const fromWire = (t: WireTensor): Tensor => makeTensor(t.type as TensorType, t.data as TensorData, t.dims);

// Runs one request at a time, in arrival order (the main thread awaits each step anyway).
let queue: Promise<void> = Promise.resolve();
port.on("message", (msg: ToWorker) => {
  queue = queue.then(async () => {
    if (msg.kind === "release") {
      await session?.release();
      session = undefined;
      post({ kind: "released" });
      port.close();
      return;
    }
    try {
      if (!session) throw new Error("the session is closed");
      if (msg.kind === "slots") {
        if (!slots) throw new Error("the graph exposes no new key/value positions");
        const reply = await slots.slotOp(msg.op);
        if (reply.logits) reply.logits = toWire(reply.logits as Tensor);
        post(
          { kind: "slots-result", id: msg.id, reply },
          reply.logits ? transferables([reply.logits as WireTensor]) : [],
        );
        return;
      }
      const feeds: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(msg.feeds)) feeds[name] = fromWire(t);
      const fetches = msg.fetches ? Object.fromEntries(msg.fetches.map((n) => [n, null])) : undefined;
      const out = await session.run(feeds, fetches);
      const outputs: Record<string, WireTensor> = {};
      for (const [name, t] of Object.entries(out)) outputs[name] = toWire(t);
      post({ kind: "result", id: msg.id, outputs }, transferables(Object.values(outputs)));
    } catch (err) {
      post({ kind: "run-error", id: msg.id, error: wireError(err) });
    }
  });
});
