/**
 * `litmus merge`: combines the stores of shards of one audit into one run, as if it had run
 * unsharded. Shards must share every setting but `selection.shard`, be of the same count, cover
 * every index once, and be complete; anything else is refused rather than merged into a run that
 * would look whole. Detector scores the shards computed are merged too (see mergedDetectors).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { DetectorReport } from "../detectors/index.js";
import { configDifferences, RUN_DB_FILE, type RunStore, SqliteRunStore } from "../store/index.js";
import type { RunManifest } from "../types/audit.js";
import { InputError } from "../util/errors.js";
import { recordDecodePath, storedDecodePaths } from "./decode-path-note.js";
import { detectStoredRun, SUMMARY_FILE, summarizeStore, writeDataExports } from "./exports.js";
import { readStoredRun } from "./records.js";
import { recordSandboxLayers, storedSandboxLayers } from "./sandbox-note.js";
import { parseShard } from "./selection.js";
import { recordSkippedProblems, storedSkippedProblems } from "./skipped-note.js";
import type { AuditSummary } from "./summary.js";
import type { AuditRunConfig } from "./types.js";

export interface MergeResult {
  summary: AuditSummary;
  shards: number;
  completions: number;
}

function openExisting(dir: string): SqliteRunStore {
  if (!existsSync(join(dir, RUN_DB_FILE)))
    throw new InputError(`${dir}: no ${RUN_DB_FILE} (not a run folder)`);
  return SqliteRunStore.openDir(dir);
}

function withoutShard(config: AuditRunConfig): AuditRunConfig {
  return { ...config, selection: { ...config.selection, shard: null } };
}

export async function mergeRuns(inputs: readonly string[], out: string): Promise<MergeResult> {
  if (inputs.length === 0) throw new InputError("merge: name at least one run folder");
  if (inputs.includes(out)) throw new InputError(`merge: --out ${out} is also an input`);
  const stores: RunStore[] = [];
  try {
    const manifests: RunManifest[] = [];
    for (const dir of inputs) {
      const store = openExisting(dir);
      stores.push(store);
      const m = store.manifest();
      if (!m) throw new InputError(`${dir}: the run store holds no run`);
      manifests.push(m);
    }
    const configs = manifests.map((m) => m.config as AuditRunConfig);
    const base = withoutShard(configs[0] as AuditRunConfig);
    configs.forEach((c, i) => {
      const diffs = configDifferences(base, withoutShard(c));
      if (diffs.length > 0) {
        throw new InputError(
          `merge: ${inputs[i]} has a different configuration from ${inputs[0]} (${diffs.slice(0, 5).join(", ")})`,
        );
      }
    });
    checkShards(
      configs.map((c) => c.selection["shard"] as string | null),
      inputs,
    );
    stores.forEach((store, i) => {
      const run = readStoredRun(store, base.probes);
      const expected = run.requests.reduce((s, r) => s + (r.mode === "greedy" ? 1 : r.n), 0);
      if (run.rows.length !== expected || manifests[i]?.finishedAt === null) {
        throw new InputError(
          `merge: ${inputs[i]} is incomplete (${run.rows.length}/${expected} completions); resume it with the same audit command first`,
        );
      }
    });

    const target = SqliteRunStore.openDir(out);
    try {
      const startedAt = manifests.map((m) => m.startedAt).sort()[0] as string;
      const finishedAt = manifests.map((m) => m.finishedAt as string).sort()[manifests.length - 1] as string;
      target.begin(base, startedAt);
      let completions = 0;
      for (const store of stores) {
        target.putProblems(store.problems());
        target.putVariants(store.variants());
        target.putRequests(store.requests());
        for (const c of store.completions()) if (target.recordCompletion(c)) completions++;
        target.putTextScores(store.textScores());
        recordSandboxLayers(target, storedSandboxLayers(store));
        recordDecodePath(target, storedDecodePaths(store));
        recordSkippedProblems(target, storedSkippedProblems(store));
      }
      target.finish(finishedAt);
      const detectors = await mergedDetectors(target, base, inputs);
      const { summary, run } = summarizeStore(target, detectors);
      await writeDataExports(out, target, summary, run);
      return { summary, shards: inputs.length, completions };
    } finally {
      target.close();
    }
  } finally {
    for (const s of stores) s.close();
  }
}

/** The configuration of a run folder, or null when it holds no readable run (merge then says why). */
export function runConfigOf(dir: string): AuditRunConfig | null {
  if (!existsSync(join(dir, RUN_DB_FILE))) return null;
  try {
    const store = SqliteRunStore.openDir(dir);
    try {
      return (store.manifest()?.config as AuditRunConfig | undefined) ?? null;
    } finally {
      store.close();
    }
  } catch {
    return null;
  }
}

/** Shards must be i/m of one m, each index once, all of 1..m. */
function checkShards(shards: Array<string | null>, inputs: readonly string[]): void {
  const parsed = shards.map((s, i) => {
    if (s === null) throw new InputError(`merge: ${inputs[i]} is not a shard (it ran without --shard)`);
    return parseShard(s);
  });
  const count = parsed[0]?.count as number;
  const seen = new Map<number, string>();
  parsed.forEach((s, i) => {
    if (s.count !== count) throw new InputError(`merge: ${inputs[i]} is shard ${shards[i]}, not of ${count}`);
    const other = seen.get(s.index);
    if (other !== undefined)
      throw new InputError(`merge: ${inputs[i]} and ${other} are both shard ${shards[i]}`);
    seen.set(s.index, inputs[i] as string);
  });
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length > 0) {
    throw new InputError(`merge: missing shard(s) ${missing.map((i) => `${i}/${count}`).join(", ")}`);
  }
}

/**
 * The detectors of merged shards, when the shards computed them: the shards' stored text scores
 * (no text is scored again, no model is needed) and CDD recomputed from all completions. The
 * exchangeability test is a property of each shard's own problems: it is not merged.
 */
async function mergedDetectors(
  target: RunStore,
  config: AuditRunConfig,
  inputs: readonly string[],
): Promise<DetectorReport | null> {
  const shardReports = inputs.map((dir) => shardDetectors(dir));
  if (shardReports.every((d) => d === null)) return null;
  const partial = shardReports.some((d) => d === null);
  const report = await detectStoredRun(target, null, {
    seed: config.seeds.bootstrap,
    resamples: config.summary.resamples,
    level: config.summary.level,
    budget: 0,
    ...(partial ? { unscoredReason: "some shards ran without --detectors" } : {}),
  });
  for (const d of shardReports) {
    const un = d?.["unavailable"];
    if (un && typeof un === "object") Object.assign(report.unavailable, un);
    if (d?.["exchangeability"])
      report.unavailable["exchangeability"] =
        "computed per shard (see each shard's summary.json); not merged";
  }
  return report;
}

/** `detectors` of a shard's summary.json, or null when it has none. */
function shardDetectors(dir: string): Record<string, unknown> | null {
  try {
    const summary = JSON.parse(readFileSync(join(dir, SUMMARY_FILE), "utf8")) as { detectors?: unknown };
    return summary.detectors && typeof summary.detectors === "object"
      ? (summary.detectors as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
