import type {
  AuditRequest,
  CompletionRecord,
  MetricRecord,
  RunConfig,
  RunManifest,
  TextScoreRecord,
} from "../types/audit.js";
import type { Problem, Variant } from "../types/index.js";

/** What begin() found: a fresh store, or a run with the same configuration to resume. */
export interface BeginResult {
  resumed: boolean;
  manifest: RunManifest;
}

/**
 * Where an audit keeps everything it produces. Writes are durable when the call returns, so a run
 * killed at any moment loses at most the completion being generated. Puts are idempotent: a
 * resumed run puts its problems, variants and requests again and records each completion once.
 */
export interface RunStore {
  /**
   * Starts a run, or resumes the stored one when its configuration is equal. A different
   * configuration is refused with an InputError naming the differences.
   */
  /**
   * Starts the run, or resumes the stored one of the same configuration. A stored run of another
   * configuration is refused (InputError) unless it computed nothing yet, or `replace` is set
   * (a scratch folder such as the embedded default's): then it is dropped and the run starts afresh.
   */
  begin(config: RunConfig, startedAt: string, options?: { replace?: boolean }): BeginResult;
  manifest(): RunManifest | null;
  /** Records the end time (overwriting an earlier one when a finished run is run again). */
  finish(finishedAt: string): void;

  /** Adds problems; one already stored must be identical (else InputError). */
  putProblems(problems: readonly Problem[]): void;
  /** Adds variants of stored problems; one already stored must be identical. */
  putVariants(variants: readonly Variant[]): void;
  /** Adds requests of stored problems (and variants); one already stored must be identical. */
  putRequests(requests: readonly AuditRequest[]): void;
  problems(): Problem[];
  variants(): Variant[];
  requests(): AuditRequest[];
  /** Empties the store (a scratch folder's run that this litmus would plan differently). */
  discard(): void;

  /**
   * Commits one completion of a stored request. Returns false, changing nothing, when that
   * (requestId, sampleIndex) is already recorded: the first record wins, so a resumed run never
   * duplicates. A greedy request takes sampleIndex null, a sampled one 0..n-1.
   */
  recordCompletion(completion: CompletionRecord): boolean;
  hasCompletion(requestId: string, sampleIndex: number | null): boolean;
  /**
   * All completions, ordered by request id then sample (greedy first), whatever order they came in.
   * `texts: false` leaves out the texts (`text` is "", no `tokens`): what the metrics need, in a
   * fraction of the memory of a run with long completions.
   */
  completions(options?: { texts?: boolean }): CompletionRecord[];
  /** One request's completions, greedy first then by sample index (for streaming exports). */
  completionsOf(requestId: string): CompletionRecord[];

  /** Adds (or replaces) detector scores of texts, by unit; durable when this returns. */
  putTextScores(scores: readonly TextScoreRecord[]): void;
  /** Every stored text score, ordered by unit. */
  textScores(): TextScoreRecord[];
  /** Replaces the stored metrics (they are derived from the completions, so never merged). */
  /**
   * Facts about how the run was executed that belong in its summary (e.g. the sandbox's layers):
   * one JSON value per key, replaced by a later put.
   */
  putNote(key: string, value: unknown): void;
  note(key: string): unknown;
  putMetrics(metrics: readonly MetricRecord[]): void;
  metrics(): MetricRecord[];

  close(): void;
}
