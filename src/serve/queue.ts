/**
 * One model, many clients: requests that arrive while the model is busy wait, and the next model
 * call takes all of them together (generation up to `maxRows` rows, scoring up to `scoreBatch`
 * texts). Batching never changes a result: rows are independent (left padding, per-row seeds).
 */

import type { OnnxBackend } from "../runner/onnx-backend.js";
import { scoreTokenBatch, type TokenScoreRequest } from "../runner/score.js";
import type { Completion, GenerateRequest, ScoreResult } from "../runner/types.js";

interface Pending<Req, Res> {
  request: Req;
  rows: number;
  resolve: (value: Res) => void;
  reject: (error: unknown) => void;
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
  /** Model calls made, and requests they carried (for tests and the benchmark). */
  readonly stats = { calls: 0, requests: 0 };

  constructor(
    readonly backend: OnnxBackend,
    private readonly options: QueueOptions = {},
  ) {}

  generate(request: GenerateRequest, rows: number): Promise<Completion[]> {
    return new Promise((resolve, reject) => {
      this.generating.push({ request, rows, resolve, reject });
      void this.pump();
    });
  }

  score(request: TokenScoreRequest): Promise<ScoreResult> {
    return new Promise((resolve, reject) => {
      this.scoring.push({ request, rows: 1, resolve, reject });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.generating.length > 0 || this.scoring.length > 0) {
        if (this.scoring.length > 0) {
          const batch = this.scoring.splice(0, this.options.scoreBatch ?? 8);
          await this.run(batch, (reqs) => scoreTokenBatch(this.backend.lm, reqs));
        }
        if (this.generating.length > 0) {
          const maxRows = this.options.maxRows ?? 16;
          const wait = this.options.batchWaitMs ?? 5;
          // Gather while requests keep arriving (each gap under `wait`), up to 20 waits.
          for (let i = 0; i < 20 && wait > 0 && queuedRows(this.generating) < maxRows; i++) {
            const before = this.generating.length;
            await new Promise((r) => setTimeout(r, wait));
            if (this.generating.length === before) break;
          }
          const batch = takeRows(this.generating, maxRows);
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

  /** One model call for the batch; if it fails, each request alone, so one bad request fails only itself. */
  private async run<Req, Res>(
    batch: Array<Pending<Req, Res>>,
    call: (requests: Req[]) => Promise<Res[]>,
  ): Promise<void> {
    this.stats.calls++;
    this.stats.requests += batch.length;
    try {
      const results = await call(batch.map((p) => p.request));
      batch.forEach((p, i) => {
        p.resolve(results[i]!);
      });
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      for (const p of batch) await this.run([p], call);
    }
  }
}

function queuedRows(queue: ReadonlyArray<{ rows: number }>): number {
  return queue.reduce((sum, p) => sum + p.rows, 0);
}

/** Takes queued requests from the front while their rows fit (always at least one). */
function takeRows<T extends { rows: number }>(queue: T[], maxRows: number): T[] {
  let rows = 0;
  let count = 0;
  while (count < queue.length && (count === 0 || rows + queue[count]!.rows <= maxRows)) {
    rows += queue[count]!.rows;
    count++;
  }
  return queue.splice(0, count);
}
