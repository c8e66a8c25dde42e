/**
 * A {@link ModelSession} whose ONNX Runtime session lives in a worker thread. onnxruntime-node
 * 1.30 runs `session.run` synchronously, so in this thread a long step (a big prefill, a 16-row
 * decode step at a long past) would freeze timers, progress output and signal handling; here only
 * the worker blocks. Feeds the caller gives up (`consumeFeeds`) and all outputs move between the
 * threads without copying (their ArrayBuffers are transferred).
 */
import { Worker } from "node:worker_threads";
import { InputError } from "../util/errors.js";
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
  resolve: (out: Record<string, Tensor>) => void;
  reject: (err: Error) => void;
}

function toError(e: WireError): Error {
  return e.input ? new InputError(e.message) : new Error(e.message);
}

export class WorkerSession implements ModelSession {
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
  ) {
    worker.on("message", (msg: FromWorker) => {
      if (msg.kind === "released") void worker.terminate();
      if (msg.kind === "result" || msg.kind === "run-error") {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        this.idle();
        if (!p) return;
        if (msg.kind === "run-error") p.reject(toError(msg.error));
        else {
          const out: Record<string, Tensor> = {};
          for (const [name, t] of Object.entries(msg.outputs))
            out[name] = makeTensor(t.type as TensorType, t.data as TensorData, t.dims);
          p.resolve(out);
        }
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
          resolve(new WorkerSession(worker, msg.device, msg.inputs, msg.outputs, msg.warning));
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
    const id = this.nextId++;
    const msg: ToWorker = {
      kind: "run",
      id,
      feeds: wire,
      fetches: fetches ? Object.keys(fetches) : undefined,
    };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      try {
        this.worker.postMessage(msg, options.consumeFeeds ? transferables(Object.values(wire)) : []);
      } catch (err) {
        this.pending.delete(id);
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
