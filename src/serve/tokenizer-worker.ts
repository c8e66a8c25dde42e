/**
 * `litmus serve`'s tokenizer, in a worker thread (tokenize-worker.ts): tokenizing a megabyte
 * prompt takes the better part of a second, which on the event loop would stall every other
 * request. Each text is tokenized once, with a token limit past which the worker gives up early.
 */
import { Worker } from "node:worker_threads";
import type { ChatTemplate } from "../prompts/chat-template.js";
import type { PreparedCompletion } from "./bodies.js";
import { ClientError } from "./completions.js";
import type { ServeLimits } from "./limits.js";
import type {
  BodyRoute,
  FromTokenizer,
  TokenizeAnswer,
  TokenizerWorkerData,
  ToTokenizer,
} from "./tokenize-protocol.js";

/** A text's token ids, or that it has more than the limit asked (`counted`, or at least that). */
export type Tokenized = { ids: number[] } | { over: true; counted: number; exact: boolean };

/** The request was cancelled (its client left) before its text was tokenized. */
export class TokenizeCancelled extends Error {
  override readonly name = "TokenizeCancelled";
}

/** What a large body is read against (the body worker's `prepare`). */
export interface BodyTerms {
  servedModel: string;
  limits: ServeLimits;
  maxContext: number;
}

type Answer = Exclude<FromTokenizer, { kind: "ready" } | { kind: "failed" }>;

export class TokenizerWorker {
  private readonly pending = new Map<
    number,
    { resolve: (msg: Answer) => void; reject: (e: unknown) => void }
  >();
  private next = 0;
  private failure: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on("message", (msg: FromTokenizer) => {
      if (msg.kind === "ready" || msg.kind === "failed") return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      p.resolve(msg);
    });
    worker.on("error", (err) => this.fail(err));
    worker.on("exit", (code) => this.fail(new Error(`the tokenizer worker exited (code ${code})`)));
    // The worker must not keep a stopping server's process alive.
    worker.unref();
  }

  /**
   * Starts the worker on the model directory's tokenizer (and the chat template, for the bodies it
   * reads) and waits until it is ready.
   */
  static async open(modelDir: string, chatTemplate: ChatTemplate | null = null): Promise<TokenizerWorker> {
    const data: TokenizerWorkerData = {
      modelDir,
      chatTemplate: chatTemplate && { source: chatTemplate.source, ...chatTemplate.compiledFrom },
    };
    const worker = new Worker(new URL("./tokenize-worker.js", import.meta.url), { workerData: data });
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
  async tokenize(text: string, limit: number, signal?: AbortSignal): Promise<Tokenized> {
    const msg = await this.ask((id) => ({ kind: "tokenize", id, text, limit }), signal);
    if (msg.kind === "ids") return { ids: msg.ids };
    if (msg.kind === "over") return { over: true, counted: msg.counted, exact: msg.exact };
    throw new Error(`unexpected tokenizer answer ${msg.kind}`);
  }

  /**
   * A large completions or chat body read in the worker (bodies.ts): settings and token ids, or
   * the error the client gets. The body's buffer is handed over, not copied: `body` is unusable
   * afterwards.
   */
  async prepareCompletion(
    route: "completions" | "chat",
    body: Buffer,
    terms: BodyTerms,
    signal?: AbortSignal,
  ): Promise<PreparedCompletion> {
    const msg = await this.prepare(route, body, terms, signal);
    if (msg.kind !== "prepared") throw new Error(`unexpected body worker answer ${msg.kind}`);
    return { settings: msg.settings, ids: msg.ids };
  }

  /** A large /tokenize body read and answered in the worker; see {@link prepareCompletion}. */
  async tokenizeBody(body: Buffer, terms: BodyTerms, signal?: AbortSignal): Promise<TokenizeAnswer> {
    const msg = await this.prepare("tokenize", body, terms, signal);
    if (msg.kind !== "answer") throw new Error(`unexpected body worker answer ${msg.kind}`);
    return msg.answer;
  }

  private async prepare(
    route: BodyRoute,
    body: Buffer,
    terms: BodyTerms,
    signal?: AbortSignal,
  ): Promise<Answer> {
    // Its memory moves to the worker, uncopied (even when `body` is a view of part of it), unless
    // it is a slice of Node's shared small-buffer pool, which cannot move.
    const own = body.buffer.byteLength > Buffer.poolSize ? body : Buffer.from(body);
    const msg = await this.ask((id) => ({ kind: "prepare", id, route, body: own, ...terms }), signal, [
      own.buffer as ArrayBuffer,
    ]);
    if (msg.kind === "refused") {
      if (msg.status >= 500) throw new Error(msg.message);
      throw new ClientError(msg.status, msg.message, msg.param);
    }
    return msg;
  }

  private ask(
    job: (id: number) => ToTokenizer,
    signal: AbortSignal | undefined,
    transfer: ArrayBuffer[] = [],
  ): Promise<Answer> {
    if (this.failure) return Promise.reject(this.failure);
    if (signal?.aborted) return Promise.reject(new TokenizeCancelled("cancelled"));
    const id = this.next++;
    return new Promise<Answer>((resolve, reject) => {
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
      this.worker.postMessage(job(id), transfer);
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
