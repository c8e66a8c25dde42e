/**
 * `litmus serve`'s tokenizer, in a worker thread (tokenize-worker.ts): tokenizing a megabyte
 * prompt takes the better part of a second, which on the event loop would stall every other
 * request. Each text is tokenized once, with a token limit past which the worker gives up early.
 */
import { Worker } from "node:worker_threads";
import type { FromTokenizer, ToTokenizer } from "./tokenize-protocol.js";

/** A text's token ids, or that it has more than the limit asked (`counted`, or at least that). */
export type Tokenized = { ids: number[] } | { over: true; counted: number; exact: boolean };

/** The request was cancelled (its client left) before its text was tokenized. */
export class TokenizeCancelled extends Error {
  override readonly name = "TokenizeCancelled";
}

export class TokenizerWorker {
  private readonly pending = new Map<
    number,
    { resolve: (t: Tokenized) => void; reject: (e: unknown) => void }
  >();
  private next = 0;
  private failure: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on("message", (msg: FromTokenizer) => {
      if (msg.kind === "ready" || msg.kind === "failed") return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      p.resolve(
        msg.kind === "ids" ? { ids: msg.ids } : { over: true, counted: msg.counted, exact: msg.exact },
      );
    });
    worker.on("error", (err) => this.fail(err));
    worker.on("exit", (code) => this.fail(new Error(`the tokenizer worker exited (code ${code})`)));
    // The worker must not keep a stopping server's process alive.
    worker.unref();
  }

  /** Starts the worker on the model directory's tokenizer and waits until it is ready. */
  static async open(modelDir: string): Promise<TokenizerWorker> {
    const worker = new Worker(new URL("./tokenize-worker.js", import.meta.url), { workerData: { modelDir } });
    await new Promise<void>((resolve, reject) => {
      const first = (msg: FromTokenizer) => {
        worker.off("message", first);
        if (msg.kind === "ready") resolve();
        else reject(new Error(msg.kind === "failed" ? msg.message : "unexpected tokenizer message"));
      };
      worker.on("message", first);
      worker.once("error", reject);
    });
    return new TokenizerWorker(worker);
  }

  /** `text`'s token ids, unless it has more than `limit`; a fired `signal` cancels the job. */
  tokenize(text: string, limit: number, signal?: AbortSignal): Promise<Tokenized> {
    if (this.failure) return Promise.reject(this.failure);
    if (signal?.aborted) return Promise.reject(new TokenizeCancelled("cancelled"));
    const id = this.next++;
    return new Promise<Tokenized>((resolve, reject) => {
      const onAbort = () => {
        this.pending.delete(id);
        this.send({ kind: "cancel", id });
        reject(new TokenizeCancelled("cancelled"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.pending.set(id, {
        resolve: (t) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(t);
        },
        reject,
      });
      this.send({ kind: "tokenize", id, text, limit });
    });
  }

  async close(): Promise<void> {
    this.failure ??= new Error("the tokenizer worker is closed");
    await this.worker.terminate();
  }

  private send(msg: ToTokenizer): void {
    this.worker.postMessage(msg);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
