import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import type {
  AuditRequest,
  CompletionRecord,
  MetricRecord,
  RunConfig,
  RunManifest,
  TextScoreRecord,
} from "../types/audit.js";
import type { Problem, Variant } from "../types/index.js";
import { InputError } from "../util/errors.js";
import { canonicalJson, checkCompletion, checkSame, configMismatch, sampleKey } from "./checks.js";
import type { BeginResult, RunStore } from "./types.js";

/** The store file inside a run folder. */
export const RUN_DB_FILE = "run.sqlite";
/** Bumped when the schema changes; a store of another version is refused rather than misread. */
export const SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS manifest (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  config TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE TABLE IF NOT EXISTS problems (
  id TEXT PRIMARY KEY,
  record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS variants (
  id TEXT PRIMARY KEY,
  problem_id TEXT NOT NULL REFERENCES problems(id),
  probe TEXT NOT NULL,
  record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS requests (
  id TEXT PRIMARY KEY,
  problem_id TEXT NOT NULL REFERENCES problems(id),
  variant_id TEXT REFERENCES variants(id),
  probe TEXT NOT NULL,
  mode TEXT NOT NULL CHECK (mode IN ('greedy', 'sampled')),
  prompt TEXT NOT NULL,
  record TEXT NOT NULL
);
-- sample_key is the sample index with greedy as -1: NULLs are distinct in a SQLite key, so the
-- greedy completion could otherwise be inserted twice.
CREATE TABLE IF NOT EXISTS completions (
  request_id TEXT NOT NULL REFERENCES requests(id),
  sample_key INTEGER NOT NULL,
  sample_index INTEGER,
  text TEXT NOT NULL,
  token_count INTEGER NOT NULL,
  finish_reason TEXT NOT NULL,
  seed INTEGER,
  answer TEXT,
  rule TEXT,
  correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
  tokens TEXT,
  PRIMARY KEY (request_id, sample_key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS text_scores (
  unit TEXT PRIMARY KEY,
  record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notes (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS metrics (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

/** Tables of computed results: a store holding any of them is never reset. */
const RESULT_TABLES = ["completions", "text_scores", "metrics"] as const;
/** Tables of the plan, children before parents (foreign keys). */
const PLAN_TABLES = ["requests", "variants", "problems", "notes", "manifest"] as const;

interface CompletionRow {
  request_id: string;
  sample_index: number | null;
  text: string;
  token_count: number;
  finish_reason: CompletionRecord["finishReason"];
  seed: number | null;
  answer: string | null;
  tokens: string | null;
  rule: CompletionRecord["rule"];
  correct: number;
}

/**
 * The RunStore on one SQLite file (better-sqlite3, synchronous). WAL journal: each completion is
 * its own small transaction, durable once recordCompletion returns, and readers (a report, a
 * merge) never block the writer. synchronous=NORMAL keeps commits durable when the process is
 * killed; only a power loss could drop the last commits, which a resumed run regenerates.
 */
export class SqliteRunStore implements RunStore {
  private readonly db: Database.Database;
  private readonly insertCompletion: Database.Statement;
  private readonly requestById: Database.Statement;
  private readonly completionExists: Database.Statement;
  private readonly completionsOfRequest: Database.Statement;

  private constructor(
    db: Database.Database,
    private readonly where: string,
  ) {
    this.db = db;
    this.insertCompletion = db.prepare(
      `INSERT INTO completions (request_id, sample_key, sample_index, text, token_count, finish_reason, seed, answer, rule, correct, tokens)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
    this.requestById = db.prepare("SELECT record FROM requests WHERE id = ?").pluck();
    this.completionsOfRequest = db.prepare(
      `SELECT request_id, sample_index, text, tokens, token_count, finish_reason, seed, answer, rule, correct
       FROM completions WHERE request_id = ? ORDER BY sample_key`,
    );
    this.completionExists = db
      .prepare("SELECT 1 FROM completions WHERE request_id = ? AND sample_key = ?")
      .pluck();
  }

  /** Opens (creating if needed) the store file at `path`. */
  static open(path: string): SqliteRunStore {
    mkdirSync(dirname(path), { recursive: true });
    let db: Database.Database;
    try {
      db = new Database(path);
      db.pragma("journal_mode = WAL");
    } catch (err) {
      throw new InputError(`${path}: cannot open as a run store (${(err as Error).message})`);
    }
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    const version = db.pragma("user_version", { simple: true }) as number;
    if (version === 1) {
      // Version 2 added completions.tokens (for CDD) and the text_scores table; older rows keep null.
      db.exec("ALTER TABLE completions ADD COLUMN tokens TEXT");
    } else if (version !== 0 && version !== SCHEMA_VERSION) {
      db.close();
      throw new InputError(
        `${path}: run store schema version ${version}, this litmus reads ${SCHEMA_VERSION}`,
      );
    }
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    return new SqliteRunStore(db, path);
  }

  /** Opens `RUN_DIR/run.sqlite`. */
  static openDir(runDir: string): SqliteRunStore {
    return SqliteRunStore.open(join(runDir, RUN_DB_FILE));
  }

  /** The journal mode in effect (`wal`), for checks. */
  journalMode(): string {
    return this.db.pragma("journal_mode", { simple: true }) as string;
  }

  begin(config: RunConfig, startedAt: string, options: { replace?: boolean } = {}): BeginResult {
    return this.db
      .transaction((): BeginResult => {
        const stored = this.manifest();
        if (stored) {
          const mismatch = configMismatch(this.where, stored.config, config);
          if (!mismatch) return { resumed: true, manifest: stored };
          // A run that stopped before it computed anything (bad input found after planning) holds
          // nothing worth keeping: the corrected rerun starts afresh instead of being refused.
          if (this.holdsResults() && !options.replace) throw mismatch;
          for (const table of [...RESULT_TABLES, ...PLAN_TABLES]) this.db.exec(`DELETE FROM ${table}`);
        }
        this.db
          .prepare("INSERT INTO manifest (id, config, started_at, finished_at) VALUES (1, ?, ?, NULL)")
          .run(canonicalJson(config), startedAt);
        return { resumed: false, manifest: this.manifest() as RunManifest };
      })
      .immediate();
  }

  /** Whether the store holds anything computed: completions, detector scores or metrics. */
  private holdsResults(): boolean {
    return RESULT_TABLES.some((t) => this.db.prepare(`SELECT 1 FROM ${t} LIMIT 1`).get() !== undefined);
  }

  manifest(): RunManifest | null {
    const row = this.db.prepare("SELECT config, started_at, finished_at FROM manifest WHERE id = 1").get() as
      | { config: string; started_at: string; finished_at: string | null }
      | undefined;
    if (!row) return null;
    return {
      config: this.parse("manifest", "1", row.config) as RunConfig,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
    };
  }

  finish(finishedAt: string): void {
    const info = this.db.prepare("UPDATE manifest SET finished_at = ? WHERE id = 1").run(finishedAt);
    if (info.changes !== 1) throw new Error("finish() before begin()");
  }

  putProblems(problems: readonly Problem[]): void {
    const insert = this.db.prepare("INSERT INTO problems (id, record) VALUES (?, ?) ON CONFLICT DO NOTHING");
    this.putAll("problems", "problem", problems, (p, json) => insert.run(p.id, json));
  }

  putVariants(variants: readonly Variant[]): void {
    const insert = this.db.prepare(
      "INSERT INTO variants (id, problem_id, probe, record) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
    );
    this.putAll("variants", "variant", variants, (v, json) => insert.run(v.id, v.problemId, v.probe, json));
  }

  putRequests(requests: readonly AuditRequest[]): void {
    const insert = this.db.prepare(
      `INSERT INTO requests (id, problem_id, variant_id, probe, mode, prompt, record)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
    this.putAll("requests", "request", requests, (r, json) =>
      insert.run(r.id, r.problemId, r.variantId, r.probe, r.mode, r.prompt, json),
    );
  }

  problems(): Problem[] {
    return this.records<Problem>("problems");
  }
  variants(): Variant[] {
    return this.records<Variant>("variants");
  }
  discard(): void {
    this.db.transaction(() => {
      for (const table of [...RESULT_TABLES, ...PLAN_TABLES]) this.db.exec(`DELETE FROM ${table}`);
    })();
  }

  requests(): AuditRequest[] {
    return this.records<AuditRequest>("requests");
  }

  recordCompletion(c: CompletionRecord): boolean {
    const request = this.requestById.get(c.requestId) as string | undefined;
    checkCompletion(
      request === undefined ? undefined : (this.parse("requests", c.requestId, request) as AuditRequest),
      c,
    );
    // One autocommitted statement: the row is on disk (in the WAL) when this returns.
    const info = this.insertCompletion.run(
      c.requestId,
      sampleKey(c.sampleIndex),
      c.sampleIndex,
      c.text,
      c.tokenCount,
      c.finishReason,
      c.seed,
      c.answer,
      c.rule,
      c.correct ? 1 : 0,
      c.tokens === undefined ? null : JSON.stringify(c.tokens),
    );
    return info.changes === 1;
  }

  hasCompletion(requestId: string, sampleIndex: number | null): boolean {
    return this.completionExists.get(requestId, sampleKey(sampleIndex)) !== undefined;
  }

  completions(options: { texts?: boolean } = {}): CompletionRecord[] {
    const texts = options.texts === false ? "'' AS text, NULL AS tokens" : "text, tokens";
    const rows = this.db
      .prepare(
        `SELECT request_id, sample_index, ${texts}, token_count, finish_reason, seed, answer, rule, correct
         FROM completions ORDER BY request_id, sample_key`,
      )
      .all() as CompletionRow[];
    return rows.map((r) => this.completionOf(r));
  }

  completionsOf(requestId: string): CompletionRecord[] {
    const rows = this.completionsOfRequest.all(requestId) as CompletionRow[];
    return rows.map((r) => this.completionOf(r));
  }

  private completionOf(r: CompletionRow): CompletionRecord {
    return {
      requestId: r.request_id,
      sampleIndex: r.sample_index,
      text: r.text,
      tokenCount: r.token_count,
      finishReason: r.finish_reason,
      seed: r.seed,
      answer: r.answer,
      rule: r.rule,
      correct: r.correct === 1,
      ...(r.tokens === null
        ? {}
        : {
            tokens: this.parse(
              "completions",
              `${r.request_id}/${r.sample_index ?? "greedy"}`,
              r.tokens,
            ) as string[],
          }),
    };
  }

  putTextScores(scores: readonly TextScoreRecord[]): void {
    const upsert = this.db.prepare("INSERT OR REPLACE INTO text_scores (unit, record) VALUES (?, ?)");
    this.db.transaction(() => {
      for (const s of scores) upsert.run(s.unit, canonicalJson(s));
    })();
  }

  textScores(): TextScoreRecord[] {
    const rows = this.db.prepare("SELECT unit, record FROM text_scores ORDER BY unit").all() as Array<{
      unit: string;
      record: string;
    }>;
    return rows.map((r) => this.parse("text_scores", r.unit, r.record) as TextScoreRecord);
  }

  putNote(key: string, value: unknown): void {
    this.db
      .prepare(
        "INSERT INTO notes (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      )
      .run(key, canonicalJson(value));
  }

  note(key: string): unknown {
    const json = this.db.prepare("SELECT value FROM notes WHERE key = ?").pluck().get(key) as
      | string
      | undefined;
    return json === undefined ? null : this.parse("notes", key, json);
  }

  putMetrics(metrics: readonly MetricRecord[]): void {
    const insert = this.db.prepare("INSERT INTO metrics (name, value) VALUES (?, ?)");
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM metrics").run();
      for (const m of metrics) insert.run(m.name, canonicalJson(m.value));
    })();
  }

  metrics(): MetricRecord[] {
    const rows = this.db.prepare("SELECT name, value FROM metrics ORDER BY name").all() as Array<{
      name: string;
      value: string;
    }>;
    return rows.map((r) => ({ name: r.name, value: this.parse("metrics", r.name, r.value) }));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Inserts records in one transaction; an id already stored must hold the identical record. */
  private putAll<T extends { id: string }>(
    table: string,
    kind: string,
    records: readonly T[],
    insert: (record: T, json: string) => Database.RunResult,
  ): void {
    const existing = this.db.prepare(`SELECT record FROM ${table} WHERE id = ?`).pluck();
    this.db.transaction(() => {
      for (const r of records) {
        const json = canonicalJson(r);
        try {
          if (insert(r, json).changes === 1) continue;
        } catch (err) {
          if ((err as { code?: string }).code === "SQLITE_CONSTRAINT_FOREIGNKEY") {
            throw new Error(`${kind} ${r.id} refers to a problem or variant not in the store`);
          }
          throw err;
        }
        checkSame(this.where, kind, r.id, existing.get(r.id) as string, json);
      }
    })();
  }

  private records<T>(table: string): T[] {
    const rows = this.db.prepare(`SELECT id, record FROM ${table} ORDER BY rowid`).all() as Array<{
      id: string;
      record: string;
    }>;
    return rows.map((r) => this.parse(table, r.id, r.record) as T);
  }

  /** A stored JSON value; a damaged one is an InputError naming the file, the table and the row. */
  private parse(table: string, row: string, text: string): unknown {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new InputError(
        `${this.where}: table ${table}, row ${row}: not valid JSON (${(err as Error).message}); the run store is damaged`,
      );
    }
  }
}
