/**
 * Audit progress on stderr. On a terminal, one line redrawn at most every 200 ms; in a log (stderr
 * not a terminal: CI, `2> audit.log`), a full line at each phase and every 30 s, so that a
 * multi-hour audit never looks hung and "no output" timeouts do not kill it. Every phase after
 * generation (detectors, summary, exports, report) is named, so the line never rests on "ETA 0s".
 */
import type { Progress } from "../runner/types.js";
import type { AuditRequest } from "../types/audit.js";
import type { BatchEvent } from "./execute.js";

export interface ProgressSink {
  write(text: string): void;
}

/** Where progress goes and how: a redrawn terminal line, or appended log lines. */
export interface ProgressOutput {
  sink: ProgressSink;
  mode: "terminal" | "log";
  /** Log mode: the most time between two lines (default 30 s). */
  intervalMs?: number;
  /** The clock (tests). */
  now?: () => number;
}

/** The phases of an audit, in order, by the words a reader sees. */
export type AuditPhase =
  | "generating"
  | "detectors"
  | "summarizing"
  | "writing exports"
  | "writing report"
  | "done";

export const LOG_INTERVAL_MS = 30_000;
const TERMINAL_REDRAW_MS = 200;

export class ProgressLine {
  private readonly now: () => number;
  private readonly started: number;
  private lastDrawn = Number.NEGATIVE_INFINITY;
  private tokens = 0;
  private generatedNow = 0;
  private problemsDone: number;
  private readonly remainingByProblem = new Map<string, number>();
  private step = "";
  private phaseName: AuditPhase = "generating";

  /**
   * `pending`: the requests still missing completions (per problem), `done`: completions already
   * stored when the run (re)started, `total`: completions the run needs.
   */
  constructor(
    private readonly output: ProgressOutput | null,
    pending: readonly AuditRequest[],
    private readonly problems: number,
    private done: number,
    private readonly total: number,
  ) {
    this.now = output?.now ?? Date.now;
    this.started = this.now();
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
    this.draw(this.output?.mode === "terminal");
  }

  /** Progress inside a phase (a batch's prefill and decode, the detectors' scoring). */
  stepProgress(p: Progress | { phase: string; done: number; total: number }): void {
    this.step = `${p.phase} ${p.done}/${p.total}`;
    this.draw(false);
  }

  /** Enters a phase: always drawn (a log gets a line per phase). */
  phase(name: AuditPhase): void {
    this.phaseName = name;
    this.step = "";
    this.draw(true);
  }

  /** Ends the display: a terminal line is cleared (before the final table). */
  end(): void {
    if (this.output?.mode === "terminal") this.output.sink.write("\r\x1b[K");
  }

  /** The line's text (exposed for tests). */
  text(): string {
    const secs = (this.now() - this.started) / 1000;
    const step = this.step ? `  (${this.step})` : "";
    if (this.phaseName !== "generating") {
      return `audit: ${this.phaseName}  generations ${this.done}/${this.total}  elapsed ${formatDuration(secs)}${step}`;
    }
    const rate = secs > 0 ? this.tokens / secs : 0;
    const perCompletion = this.generatedNow > 0 ? secs / this.generatedNow : 0;
    const left = this.total - this.done;
    const eta = left <= 0 ? "0s" : perCompletion > 0 ? formatDuration(perCompletion * left) : "?";
    const share = this.total > 0 ? ` (${((100 * this.done) / this.total).toFixed(1)}%)` : "";
    return `audit: generating  problems ${this.problemsDone}/${this.problems}  generations ${this.done}/${this.total}${share}  ${rate.toFixed(1)} tok/s  elapsed ${formatDuration(secs)}  ETA ${eta}${step}`;
  }

  private draw(force: boolean): void {
    if (!this.output) return;
    const now = this.now();
    const every =
      this.output.mode === "terminal" ? TERMINAL_REDRAW_MS : (this.output.intervalMs ?? LOG_INTERVAL_MS);
    if (!force && now - this.lastDrawn < every) return;
    this.lastDrawn = now;
    if (this.output.mode === "terminal") this.output.sink.write(`\r${this.text()}\x1b[K`);
    else this.output.sink.write(`${this.text()}\n`);
  }
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
