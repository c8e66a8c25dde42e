/**
 * A {@link ModelSession} whose ONNX Runtime session lives in a worker thread. onnxruntime-node
 * 1.30 runs `session.run` synchronously, so in this thread a long step (a big prefill, a 16-row
 * decode step at a long past) would freeze timers, progress output and signal handling; here only
 * the worker blocks. Feeds the caller gives up (`consumeFeeds`) and all outputs move between the
 * threads without copying (their ArrayBuffers are transferred).
 */
import { Worker } from "node:worker_threads";
import { InputError } from "../util/errors.js";
import type { KvSliceNames } from "./kv-slices.js";
import {
  type IoInfo,
  type ModelSession,
  makeTensor,
  type RunCallOptions,
  type SessionOptions,
  type Tensor,
  type TensorData,
  type TensorType,
} from "./ort.js";
import type { SlotOp, SlotReply, SlotRunner } from "./slot-decoder.js";
import {
  type FromWorker,
  type ToWorker,
  toWire,
  transferables,
  type WireError,
  type WireTensor,
  type WorkerInit,
} from "./worker-protocol.js";

interface Pending {
  resolve: (msg: Extract<FromWorker, { kind: "result" | "slots-result" }>) => void;
  reject: (err: Error) => void;
}

function toError(e: WireError): Error {
  return e.input ? new InputError(e.message) : new Error(e.message);
}

export class WorkerSession implements ModelSession, SlotRunner {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private released: Promise<void> | undefined;
  private failure: Error | undefined;
  private exited = false;

  private constructor(
    private readonly worker: Worker,
    readonly device: "cpu" | "cuda",
    readonly inputs: IoInfo[],
    readonly outputs: IoInfo[],
    readonly warning: string | undefined,
    readonly kvSlices: KvSliceNames[] | undefined,
    readonly kvSlicesUnavailable: string | undefined,
    readonly splitAttention: boolean,
    readonly splitAttentionUnavailable: string | undefined,
  ) {
    worker.on("message", (msg: FromWorker) => {
      if (msg.kind === "released") void worker.terminate();
      if (msg.kind === "result" || msg.kind === "slots-result" || msg.kind === "run-error") {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        this.idle();
        if (!p) return;
        if (msg.kind === "run-error") p.reject(toError(msg.error));
        else p.resolve(msg);
      }
    });
    const fail = (err: Error) => {
      this.failure = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on("error", (err) => fail(new Error(`the model worker failed: ${err.message}`)));
    worker.on("exit", (code) => {
      this.exited = true;
      if (this.released === undefined) fail(new Error(`the model worker exited (code ${code})`));
    });
    this.idle();
  }

  static open(modelPath: string, options: SessionOptions): Promise<WorkerSession> {
    const init: WorkerInit = { modelPath, options };
    const worker = new Worker(new URL("./ort-worker.js", import.meta.url), { workerData: init });
    return new Promise((resolve, reject) => {
      const onExit = (code: number) =>
        reject(new Error(`the model worker exited (code ${code}) while loading`));
      const onError = (err: Error) =>
        reject(new Error(`the model worker failed while loading: ${err.message}`));
      worker.once("exit", onExit);
      worker.once("error", onError);
      worker.once("message", (msg: FromWorker) => {
        worker.off("exit", onExit);
        worker.off("error", onError);
        if (msg.kind === "open") {
          resolve(
            new WorkerSession(
              worker,
              msg.device,
              msg.inputs,
              msg.outputs,
              msg.warning,
              msg.kvSlices,
              msg.kvSlicesUnavailable,
              msg.splitAttention,
              msg.splitAttentionUnavailable,
            ),
          );
        } else {
          void worker.terminate();
          reject(
            msg.kind === "open-error" ? toError(msg.error) : new Error("the model worker did not start"),
          );
        }
      });
    });
  }

  /** Lets the process exit while no run is in flight (a forgotten close() does not hang it). */
  private idle(): void {
    if (this.pending.size === 0) this.worker.unref();
  }

  run(
    feeds: Record<string, Tensor>,
    fetches?: Record<string, Tensor | null>,
    options: RunCallOptions = {},
  ): Promise<Record<string, Tensor>> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.released) return Promise.reject(new Error("the session is closed"));
    if (fetches && Object.values(fetches).some((v) => v !== null)) {
      return Promise.reject(new Error("pre-allocated outputs are not supported by a worker session"));
    }
    const wire: Record<string, WireTensor> = {};
    for (const [name, t] of Object.entries(feeds)) wire[name] = toWire(t);
    const msg: ToWorker = {
      kind: "run",
      id: this.nextId++,
      feeds: wire,
      fetches: fetches ? Object.keys(fetches) : undefined,
    };
    return this.request(msg, options.consumeFeeds ? transferables(Object.values(wire)) : []).then((reply) => {
      if (reply.kind !== "result") throw new Error("the model worker answered a run with slots");
      const out: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(reply.outputs))
        out[name] = makeTensor(t.type as TensorType, t.data as TensorData, t.dims);
      return out;
    });
  }

  /** Runs a slot-cache operation in the worker, where the slot caches live (slot-decoder.ts). */
  slotOp(op: SlotOp): Promise<SlotReply> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.released) return Promise.reject(new Error("the session is closed"));
    // Tensors cross as plain records (an ort.Tensor's data is a getter structured cloning drops).
    const wire: SlotOp =
      op.op === "begin"
        ? { ...op, parts: op.parts.map((p) => ({ ...p, cache: p.cache.map((t) => toWire(t as Tensor)) })) }
        : op;
    const transfer =
      wire.op === "begin" ? transferables(wire.parts.flatMap((p) => p.cache) as WireTensor[]) : [];
    return this.request({ kind: "slots", id: this.nextId++, op: wire }, transfer).then((reply) => {
      if (reply.kind !== "slots-result") throw new Error("the model worker answered slots with a run");
      const logits = reply.reply.logits;
      if (logits)
        reply.reply.logits = makeTensor(logits.type as TensorType, logits.data as TensorData, logits.dims);
      return reply.reply;
    });
  }

  private request(
    msg: Extract<ToWorker, { id: number }>,
    transfer: ArrayBuffer[],
  ): Promise<Extract<FromWorker, { kind: "result" | "slots-result" }>> {
    return new Promise((resolve, reject) => {
      this.pending.set(msg.id, { resolve, reject });
      this.worker.ref();
      try {
        this.worker.postMessage(msg, transfer);
      } catch (err) {
        this.pending.delete(msg.id);
        this.idle();
        reject(err as Error);
      }
    });
  }

  release(): Promise<void> {
    this.released ??= new Promise<void>((resolve) => {
      if (this.exited) {
        resolve();
        return;
      }
      this.worker.ref();
      this.worker.once("exit", () => resolve());
      this.worker.postMessage({ kind: "release" } satisfies ToWorker);
    });
    return this.released;
  }
}
