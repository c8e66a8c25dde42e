/**
 * Exports stream: a run whose samples.jsonl is over 1 GB (longer than any string V8 can hold) is
 * exported by a process whose heap is capped at 256 MB. The run is a real audit (mock backend)
 * whose completions are then made 120 KB long in the store.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createReadStream, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { runAudit } from "../../src/audit/run.js";
import { makeTempDir, writeFixture } from "../helpers/data-fixtures.js";
import { auditOptions, MADE_UP, MemorizingBackend, madeUpJsonl, mockDeps } from "./helpers.js";

const EXPORTS = fileURLToPath(new URL("../../src/audit/exports.js", import.meta.url));
const STORE = fileURLToPath(new URL("../../src/store/index.js", import.meta.url));

async function countLines(path: string): Promise<number> {
  let lines = 0;
  for await (const chunk of createReadStream(path)) {
    for (const byte of chunk as Buffer) if (byte === 10) lines++;
  }
  return lines;
}

describe("samples.jsonl over 1 GB", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir, cleanup } = await makeTempDir("litmus-large-export-"));
  });
  after(() => cleanup());

  it("exports with a heap capped at 256 MB", { timeout: 600_000 }, async () => {
    const dataset = await writeFixture(dir, "made-up.jsonl", madeUpJsonl());
    const run = join(dir, "run");
    const options = auditOptions(dataset, run, { n: 500, ks: [1], probes: "newline", resamples: 100 });
    await runAudit(options, { failOn: [] }, mockDeps(new MemorizingBackend(MADE_UP)));
    // Every completion 120 KB longer: the run's samples.jsonl is now over a gigabyte.
    const db = new Database(join(run, "run.sqlite"));
    const completions = db.prepare("SELECT count(*) FROM completions").pluck().get() as number;
    db.prepare("UPDATE completions SET text = text || printf('%.120000c', 'x')").run();
    db.close();
    assert.ok(completions * 120_000 > 1_000_000_000, `${completions} completions are too few`);

    const script = join(dir, "export.mjs");
    writeFileSync(
      script,
      [
        `import { summarizeStore, writeDataExports } from ${JSON.stringify(EXPORTS)};`,
        `import { SqliteRunStore } from ${JSON.stringify(STORE)};`,
        `const store = SqliteRunStore.openDir(${JSON.stringify(run)});`,
        "const { summary, run } = summarizeStore(store);",
        `await writeDataExports(${JSON.stringify(run)}, store, summary, run);`,
        "store.close();",
      ].join("\n"),
    );
    const result = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, ["--max-old-space-size=256", script], (err, _out, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }),
      );
    });
    assert.equal(result.code, 0, result.stderr);
    const samples = join(run, "samples.jsonl");
    assert.ok(statSync(samples).size > 1_000_000_000, `${statSync(samples).size} bytes`);
    assert.equal(await countLines(samples), completions);
  });
});
