/**
 * The progress line on stderr: problems, generations, tokens/s, ETA. Drawn only on a terminal and
 * without --quiet; redrawn at most every 200 ms so the display never slows the run.
 */
import type { Progress } from "../runner/types.js";
import type { AuditRequest } from "../types/audit.js";
import type { BatchEvent } from "./execute.js";

export interface ProgressSink {
  write(text: string): void;
}

export class ProgressLine {
  private readonly started = Date.now();
  private last = 0;
  private tokens = 0;
  private generatedNow = 0;
  private problemsDone: number;
  private readonly remainingByProblem = new Map<string, number>();
  private step = "";

  /**
   * `pending`: the requests still missing completions (per problem), `done`: completions already
   * stored when the run (re)started, `total`: completions the run needs.
   */
  constructor(
    private readonly sink: ProgressSink | null,
    pending: readonly AuditRequest[],
    private readonly problems: number,
    private done: number,
    private readonly total: number,
  ) {
    for (const r of pending)
      this.remainingByProblem.set(r.problemId, (this.remainingByProblem.get(r.problemId) ?? 0) + 1);
    this.problemsDone = problems - this.remainingByProblem.size;
  }

  batch(event: BatchEvent): void {
    this.tokens += event.tokens;
    this.done += event.recorded;
    this.generatedNow += event.recorded;
    for (const r of event.requests) {
      const left = this.remainingByProblem.get(r.problemId);
      if (left === undefined) continue;
      if (left <= 1) {
        this.remainingByProblem.delete(r.problemId);
        this.problemsDone++;
      } else this.remainingByProblem.set(r.problemId, left - 1);
    }
    this.step = "";
    this.draw(true);
  }

  stepProgress(p: Progress): void {
    this.step = `${p.phase} ${p.done}/${p.total}`;
    this.draw(false);
  }

  /** Clears the line (before the final table). */
  end(): void {
    this.sink?.write("\r\x1b[K");
  }

  /** The line's text (exposed for tests). */
  text(): string {
    const secs = (Date.now() - this.started) / 1000;
    const rate = secs > 0 ? this.tokens / secs : 0;
    const perCompletion = this.generatedNow > 0 ? secs / this.generatedNow : 0;
    const eta = perCompletion > 0 ? formatDuration(perCompletion * (this.total - this.done)) : "?";
    const step = this.step ? `  (${this.step})` : "";
    return `audit: problems ${this.problemsDone}/${this.problems}  generations ${this.done}/${this.total}  ${rate.toFixed(1)} tok/s  ETA ${eta}${step}`;
  }

  private draw(force: boolean): void {
    if (!this.sink) return;
    const now = Date.now();
    if (!force && now - this.last < 200) return;
    this.last = now;
    this.sink.write(`\r${this.text()}\x1b[K`);
  }
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
