import type {
  AuditRequest,
  CompletionRecord,
  MetricRecord,
  RunConfig,
  RunManifest,
  TextScoreRecord,
} from "../types/audit.js";
import type { Problem, Variant } from "../types/index.js";
import {
  canonicalJson,
  checkCompletion,
  checkSame,
  compareCompletions,
  configMismatch,
  sampleKey,
} from "./checks.js";
import type { BeginResult, RunStore } from "./types.js";

/**
 * A RunStore in memory, for tests. It keeps records as JSON text, like the SQLite store, so a
 * caller mutating a record after putting it cannot change what was stored.
 */
export class MemoryRunStore implements RunStore {
  private manifestJson: string | null = null;
  private readonly problemRows = new Map<string, string>();
  private readonly variantRows = new Map<string, string>();
  private readonly requestRows = new Map<string, string>();
  private readonly completionRows = new Map<string, string>();
  private metricRows: string[] = [];

  constructor(private readonly where = "memory store") {}

  begin(config: RunConfig, startedAt: string, options: { replace?: boolean } = {}): BeginResult {
    const stored = this.manifest();
    if (stored) {
      const mismatch = configMismatch(this.where, stored.config, config);
      if (!mismatch) return { resumed: true, manifest: stored };
      // Nothing computed yet, or a scratch folder: the earlier run is dropped (as in SqliteRunStore).
      const computed = this.completionRows.size > 0 || this.metricRows.length > 0 || this.scoreRows.size > 0;
      if (computed && !options.replace) throw mismatch;
      this.completionRows.clear();
      this.metricRows = [];
      this.scoreRows.clear();
      this.noteRows.clear();
      this.problemRows.clear();
      this.variantRows.clear();
      this.requestRows.clear();
    }
    const manifest: RunManifest = { config, startedAt, finishedAt: null };
    this.manifestJson = canonicalJson(manifest);
    return { resumed: false, manifest: this.manifest() as RunManifest };
  }

  manifest(): RunManifest | null {
    return this.manifestJson === null ? null : (JSON.parse(this.manifestJson) as RunManifest);
  }

  finish(finishedAt: string): void {
    const m = this.manifest();
    if (!m) throw new Error("finish() before begin()");
    this.manifestJson = canonicalJson({ ...m, finishedAt });
  }

  putProblems(problems: readonly Problem[]): void {
    this.putAll(this.problemRows, "problem", problems);
  }

  putVariants(variants: readonly Variant[]): void {
    for (const v of variants)
      if (!this.problemRows.has(v.problemId)) throw new Error(`variant ${v.id} of unknown problem`);
    this.putAll(this.variantRows, "variant", variants);
  }

  putRequests(requests: readonly AuditRequest[]): void {
    for (const r of requests) {
      if (!this.problemRows.has(r.problemId)) throw new Error(`request ${r.id} of unknown problem`);
      if (r.variantId !== null && !this.variantRows.has(r.variantId))
        throw new Error(`request ${r.id} of unknown variant`);
    }
    this.putAll(this.requestRows, "request", requests);
  }

  problems(): Problem[] {
    return [...this.problemRows.values()].map((j) => JSON.parse(j) as Problem);
  }
  variants(): Variant[] {
    return [...this.variantRows.values()].map((j) => JSON.parse(j) as Variant);
  }
  discard(): void {
    this.manifestJson = null;
    for (const rows of [
      this.completionRows,
      this.scoreRows,
      this.noteRows,
      this.problemRows,
      this.variantRows,
      this.requestRows,
    ])
      rows.clear();
    this.metricRows = [];
  }

  requests(): AuditRequest[] {
    return [...this.requestRows.values()].map((j) => JSON.parse(j) as AuditRequest);
  }

  recordCompletion(completion: CompletionRecord): boolean {
    const request = this.requestRows.get(completion.requestId);
    checkCompletion(request === undefined ? undefined : (JSON.parse(request) as AuditRequest), completion);
    const key = completionKey(completion.requestId, completion.sampleIndex);
    if (this.completionRows.has(key)) return false;
    this.completionRows.set(key, canonicalJson(completion));
    return true;
  }

  hasCompletion(requestId: string, sampleIndex: number | null): boolean {
    return this.completionRows.has(completionKey(requestId, sampleIndex));
  }

  completions(options: { texts?: boolean } = {}): CompletionRecord[] {
    const all = [...this.completionRows.values()]
      .map((j) => JSON.parse(j) as CompletionRecord)
      .sort(compareCompletions);
    if (options.texts !== false) return all;
    return all.map(({ tokens: _, ...c }) => ({ ...c, text: "" }));
  }

  completionsOf(requestId: string): CompletionRecord[] {
    return this.completions().filter((c) => c.requestId === requestId);
  }

  private readonly scoreRows = new Map<string, string>();

  putTextScores(scores: readonly TextScoreRecord[]): void {
    for (const s of scores) this.scoreRows.set(s.unit, canonicalJson(s));
  }

  textScores(): TextScoreRecord[] {
    return [...this.scoreRows]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, j]) => JSON.parse(j) as TextScoreRecord);
  }

  private readonly noteRows = new Map<string, string>();
  putNote(key: string, value: unknown): void {
    this.noteRows.set(key, canonicalJson(value));
  }
  note(key: string): unknown {
    const json = this.noteRows.get(key);
    return json === undefined ? null : (JSON.parse(json) as unknown);
  }

  putMetrics(metrics: readonly MetricRecord[]): void {
    this.metricRows = metrics.map((m) => canonicalJson(m));
  }
  metrics(): MetricRecord[] {
    return this.metricRows.map((j) => JSON.parse(j) as MetricRecord);
  }

  close(): void {}

  private putAll(rows: Map<string, string>, kind: string, records: ReadonlyArray<{ id: string }>): void {
    for (const r of records) {
      const json = canonicalJson(r);
      const stored = rows.get(r.id);
      if (stored === undefined) rows.set(r.id, json);
      else checkSame(this.where, kind, r.id, stored, json);
    }
  }
}

function completionKey(requestId: string, sampleIndex: number | null): string {
  return `${requestId}\u0000${sampleKey(sampleIndex)}`;
}
