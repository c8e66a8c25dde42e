import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { createRng } from "../../src/util/rng.js";
import { runLitmus } from "../cli/run-litmus.js";
import { makeTempDir, sharedGsm8kFile } from "../helpers/data-fixtures.js";
import { samplesOf, summaryWithoutTimes, TINY } from "./helpers.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const KILLS = 6;

/** Completions stored so far (0 before the store exists); read through WAL while the writer runs. */
function storedCompletions(runDir: string): number {
  const path = join(runDir, "run.sqlite");
  if (!existsSync(path)) return 0;
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      return db.prepare("SELECT count(*) FROM completions").pluck().get() as number;
    } finally {
      db.close();
    }
  } catch {
    return 0;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the audit, waits until it has committed more than `after` completions (or, with
 * `after` < 0, a random moment of its start-up), then a random 0-250 ms more, and SIGKILLs it.
 * Returns whether the process was still running when killed.
 */
async function runAndKill(args: string[], runDir: string, after: number, extraMs: number): Promise<boolean> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: "ignore" });
  let exited = false;
  const done = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  child.on("exit", () => {
    exited = true;
  });
  if (after >= 0) {
    while (!exited && storedCompletions(runDir) <= after) await sleep(20);
  }
  await sleep(extraMs);
  const alive = !exited;
  child.kill("SIGKILL");
  await done;
  return alive;
}

describe("GSM8K: an audit killed at random points and resumed equals an uninterrupted one", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const args = (out: string) => [
    "audit",
    "--model",
    TINY,
    "--dataset",
    sharedGsm8kFile("test.jsonl"),
    "--limit",
    "20",
    "--probes",
    "newline,number-swap",
    "--n",
    "1",
    "--max-new-tokens",
    "3",
    "--batch-size",
    "8",
    "--threads",
    "1",
    "--resamples",
    "300",
    "--quiet",
    "--out",
    out,
  ];
  before(async () => {
    ({ dir, cleanup } = await makeTempDir("litmus-audit-kill-"));
  });
  after(() => cleanup());

  it(`${KILLS} SIGKILLs, then a resume: summary.json (minus timestamps) and samples.jsonl are identical`, async () => {
    const reference = join(dir, "reference");
    const full = await runLitmus(args(reference));
    assert.equal(full.code, 0, full.stderr);
    const total = storedCompletions(reference);
    assert.ok(total > 100, `expected a real workload, got ${total} completions`);

    const killed = join(dir, "killed");
    const rng = createRng(20240611);
    const counts: number[] = [];
    // First kill at a random moment of start-up, the rest mid-generation.
    assert.ok(await runAndKill(args(killed), killed, -1, 100 + rng.int(0, 400)));
    counts.push(storedCompletions(killed));
    for (let i = 1; i < KILLS; i++) {
      const alive = await runAndKill(
        args(killed),
        killed,
        counts[counts.length - 1] as number,
        rng.int(0, 250),
      );
      assert.ok(alive, `kill ${i + 1} came after the run had finished`);
      counts.push(storedCompletions(killed));
    }
    // Each kill landed mid-run: progress was kept and the run was not complete yet.
    for (let i = 1; i < counts.length; i++)
      assert.ok((counts[i] as number) > (counts[i - 1] as number), `counts ${counts}`);
    assert.ok((counts[counts.length - 1] as number) < total, `counts ${counts} of ${total}`);

    const resumed = await runLitmus(args(killed));
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(storedCompletions(killed), total, "nothing lost, nothing duplicated");
    assert.deepEqual(summaryWithoutTimes(killed), summaryWithoutTimes(reference));
    assert.equal(samplesOf(killed), samplesOf(reference));
  });
});
