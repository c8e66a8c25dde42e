/**
 * One model, many clients: requests that arrive while the model is busy wait, and the next model
 * call takes all of them together (generation up to `maxRows` rows, scoring up to `scoreBatch`
 * texts). Batching never changes a result: rows are independent (left padding, per-row seeds).
 * Calls take entries fairly: one from each client request in turn, so a request with many
 * prompts cannot starve one that arrives after it; and the entries of a request whose client
 * left are dropped (its rows in a running call stop at the next step).
 */

import type { OnnxBackend } from "../runner/onnx-backend.js";
import { scoreTokenBatch, type TokenScoreRequest } from "../runner/score.js";
import type { Completion, GenerateRequest, ScoreResult } from "../runner/types.js";

interface Pending<Req, Res> {
  request: Req;
  rows: number;
  /** The HTTP request this entry belongs to: calls take entries from each owner in turn. */
  owner: string;
  signal: AbortSignal | undefined;
  resolve: (value: Res) => void;
  reject: (error: unknown) => void;
}

/** Where queued work goes when its client leaves: rejected with this, never run. */
export class Cancelled extends Error {
  override readonly name = "Cancelled";
}

/** Who asks, and whether they still want the answer. */
export interface Asker {
  owner: string;
  signal?: AbortSignal;
}

export interface QueueOptions {
  /** Most rows (prompts x samples) in one generation call (default 16). */
  maxRows?: number;
  /** Most texts in one scoring call (default 8). */
  scoreBatch?: number;
  /**
   * Before a model call that is not full, wait this long (ms) for more requests, again while they
   * keep coming, at most 20 times (default 5): concurrent clients' requests arrive a few ms apart,
   * and a call cannot take new rows once it has started.
   */
  batchWaitMs?: number;
}

export class ModelQueue {
  private readonly generating: Array<Pending<GenerateRequest, Completion[]>> = [];
  private readonly scoring: Array<Pending<TokenScoreRequest, ScoreResult>> = [];
  private busy = false;
  /** Calls taken so far, and the last call that took an entry of each owner still queued. */
  private call = 0;
  private readonly lastServed = new Map<string, number>();
  /**
   * Model calls made, entries they carried, rows they ran (generation rows, scored texts), and
   * entries dropped because their client left (for tests and the benchmark).
   */
  readonly stats = { calls: 0, requests: 0, rows: 0, cancelled: 0 };

  constructor(
    readonly backend: OnnxBackend,
    private readonly options: QueueOptions = {},
  ) {}

  /** Most rows of one generation call. */
  get maxRows(): number {
    return this.options.maxRows ?? 16;
  }

  generate(request: GenerateRequest, rows: number, asker: Asker = { owner: "" }): Promise<Completion[]> {
    return this.enqueue(
      this.generating,
      { ...request, ...(asker.signal ? { signal: asker.signal } : {}) },
      rows,
      asker,
    );
  }

  score(request: TokenScoreRequest, asker: Asker = { owner: "" }): Promise<ScoreResult> {
    return this.enqueue(this.scoring, request, 1, asker);
  }

  private enqueue<Req, Res>(
    queue: Array<Pending<Req, Res>>,
    request: Req,
    rows: number,
    asker: Asker,
  ): Promise<Res> {
    const signal = asker.signal;
    if (signal?.aborted) return Promise.reject(new Cancelled("the client left"));
    return new Promise((resolve, reject) => {
      const entry: Pending<Req, Res> = { request, rows, owner: asker.owner, signal, resolve, reject };
      queue.push(entry);
      signal?.addEventListener(
        "abort",
        () => {
          const i = queue.indexOf(entry);
          if (i < 0) return; // already taken by a call: its rows stop at the next step
          queue.splice(i, 1);
          this.stats.cancelled++;
          reject(new Cancelled("the client left"));
        },
        { once: true },
      );
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.generating.length > 0 || this.scoring.length > 0) {
        if (this.scoring.length > 0) {
          const batch = this.take(this.scoring, this.options.scoreBatch ?? 8);
          await this.run(batch, (reqs) => scoreTokenBatch(this.backend.lm, reqs));
        }
        if (this.generating.length > 0) {
          const maxRows = this.maxRows;
          const wait = this.options.batchWaitMs ?? 5;
          // Gather while requests keep arriving (each gap under `wait`), up to 20 waits.
          for (let i = 0; i < 20 && wait > 0 && queuedRows(this.generating) < maxRows; i++) {
            const before = this.generating.length;
            await new Promise((r) => setTimeout(r, wait));
            if (this.generating.length === before) break;
          }
          const batch = this.take(this.generating, maxRows);
          await this.run(batch, async (reqs) => {
            const out = await this.backend.generate(reqs);
            return reqs.map((r) => out.filter((c) => c.requestId === r.id));
          });
        }
      }
    } finally {
      this.busy = false;
    }
  }

  /** Entries for the next call, in fair turns; remembers whose they were. */
  private take<Req, Res>(queue: Array<Pending<Req, Res>>, maxRows: number): Array<Pending<Req, Res>> {
    const batch = takeFairly(queue, maxRows, this.lastServed);
    this.call++;
    for (const p of batch) this.lastServed.set(p.owner, this.call);
    // Forget owners with nothing queued: the map stays as small as the queues.
    const queued = new Set([...this.generating, ...this.scoring].map((p) => p.owner));
    for (const owner of this.lastServed.keys()) if (!queued.has(owner)) this.lastServed.delete(owner);
    return batch;
  }

  /** One model call for the batch; if it fails, each request alone, so one bad request fails only itself. */
  private async run<Req, Res>(
    batch: Array<Pending<Req, Res>>,
    call: (requests: Req[]) => Promise<Res[]>,
  ): Promise<void> {
    // Entries whose client left while the call gathered are not run.
    const live = batch.filter((p) => {
      if (!p.signal?.aborted) return true;
      this.stats.cancelled++;
      p.reject(new Cancelled("the client left"));
      return false;
    });
    if (live.length === 0) return;
    this.stats.calls++;
    this.stats.requests += live.length;
    this.stats.rows += queuedRows(live);
    try {
      const results = await call(live.map((p) => p.request));
      live.forEach((p, i) => {
        if (p.signal?.aborted) p.reject(new Cancelled("the client left"));
        else p.resolve(results[i]!);
      });
    } catch (error) {
      if (live.length === 1) {
        live[0]!.reject(error);
        return;
      }
      for (const p of live) await this.run([p], call);
    }
  }
}

function queuedRows(queue: ReadonlyArray<{ rows: number }>): number {
  return queue.reduce((sum, p) => sum + p.rows, 0);
}

/**
 * Takes queued entries for one call, up to `maxRows` rows (always at least one entry), in turns:
 * the first entry of each owner, then each owner's second, and so on; within a turn, owners
 * served longest ago first (`lastServed`: the call that last took one of theirs; never: -1).
 */
function takeFairly<T extends { rows: number; owner: string }>(
  queue: T[],
  maxRows: number,
  lastServed: ReadonlyMap<string, number>,
): T[] {
  const turn = new Map<string, number>();
  const ranked = queue.map((entry, at) => {
    const k = turn.get(entry.owner) ?? 0;
    turn.set(entry.owner, k + 1);
    return { entry, at, k, served: lastServed.get(entry.owner) ?? -1 };
  });
  ranked.sort((a, b) => a.k - b.k || a.served - b.served || a.at - b.at);
  const taken = new Set<number>();
  let rows = 0;
  for (const { entry, at } of ranked) {
    if (taken.size > 0 && rows + entry.rows > maxRows) break;
    taken.add(at);
    rows += entry.rows;
  }
  const out = queue.filter((_, at) => taken.has(at));
  const rest = queue.filter((_, at) => !taken.has(at));
  queue.splice(0, queue.length, ...rest);
  return out;
}
