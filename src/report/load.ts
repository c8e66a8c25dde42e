/** Reads a run folder for the report: summary.json and the rows of run.sqlite. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readStoredRun, type StoredRun } from "../audit/records.js";
import { type AuditSummary, buildSummary, SUMMARY_SCHEMA, SUMMARY_VERSION } from "../audit/summary.js";
import type { AuditRunConfig } from "../audit/types.js";
import { RUN_DB_FILE, type RunStore, SqliteRunStore } from "../store/index.js";
import { InputError } from "../util/errors.js";

export interface LoadedRun {
  dir: string;
  summary: AuditSummary;
  /** null when the folder has no run.sqlite (then the drill-down is empty). */
  run: StoredRun | null;
}

export function parseSummary(text: string, where: string): AuditSummary {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${where}: not JSON (${(err as Error).message})`);
  }
  const s = value as Partial<AuditSummary>;
  if (s?.schema !== SUMMARY_SCHEMA || typeof s.schema_version !== "number")
    throw new InputError(`${where}: not a litmus audit summary.json`);
  if (s.schema_version > SUMMARY_VERSION)
    throw new InputError(
      `${where}: summary schema version ${s.schema_version}, this litmus reads up to ${SUMMARY_VERSION}`,
    );
  return s as AuditSummary;
}

/** The stored rows of a store (in the canonical order). */
export function storedRunOf(store: RunStore, summary: AuditSummary): StoredRun {
  return readStoredRun(store, summary.manifest.config.probes);
}

/** Loads RUN_DIR: summary.json (rebuilt from the store when missing) and the store's rows. */
export function loadRun(dir: string): LoadedRun {
  const summaryPath = join(dir, "summary.json");
  const dbPath = join(dir, RUN_DB_FILE);
  const hasDb = existsSync(dbPath);
  if (!existsSync(dir)) throw new InputError(`${dir}: no such run folder`);
  if (!existsSync(summaryPath) && !hasDb)
    throw new InputError(`${dir}: neither summary.json nor ${RUN_DB_FILE} found`);
  let summary: AuditSummary | null = existsSync(summaryPath)
    ? parseSummary(readFileSync(summaryPath, "utf8"), summaryPath)
    : null;
  if (!hasDb) return { dir, summary: summary as AuditSummary, run: null };
  const store = SqliteRunStore.openDir(dir);
  try {
    const manifest = store.manifest();
    if (!manifest) throw new InputError(`${dbPath}: the run store holds no run`);
    const run = readStoredRun(store, (manifest.config as AuditRunConfig).probes);
    summary ??= buildSummary(manifest, run);
    return { dir, summary, run };
  } finally {
    store.close();
  }
}
