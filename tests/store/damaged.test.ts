/** A damaged run store is bad input: `litmus report` exits 2 with one line naming the file and the row. */
import assert from "node:assert/strict";
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { runAudit } from "../../src/audit/run.js";
import { auditOptions, MADE_UP, MemorizingBackend, madeUpJsonl, mockDeps } from "../audit/helpers.js";
import { oneLineError, runLitmus } from "../cli/run-litmus.js";
import { makeTempDir, writeFixture } from "../helpers/data-fixtures.js";

describe("a damaged run store", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let run: string;
  before(async () => {
    ({ dir, cleanup } = await makeTempDir("litmus-damaged-"));
    const dataset = await writeFixture(dir, "made-up.jsonl", madeUpJsonl());
    run = join(dir, "run");
    await runAudit(
      auditOptions(dataset, run, { n: 0, ks: [] }),
      { failOn: [] },
      mockDeps(new MemorizingBackend(MADE_UP)),
    );
  });
  after(() => cleanup());

  it("a row that is not JSON: exit 2 naming the file, the table and the row", async () => {
    const damaged = join(dir, "bad-row");
    cpSync(run, damaged, { recursive: true });
    const db = new Database(join(damaged, "run.sqlite"));
    const id = db.prepare("SELECT id FROM variants ORDER BY rowid LIMIT 1").pluck().get() as string;
    db.prepare("UPDATE variants SET record = '{\"id\": ' WHERE id = ?").run(id);
    db.close();
    const r = await runLitmus(["report", damaged]);
    assert.equal(r.code, 2, r.stderr);
    const line = oneLineError(r) ?? "";
    assert.ok(line.includes(join(damaged, "run.sqlite")), line);
    assert.ok(line.includes(`table variants, row ${id}: not valid JSON`), line);
  });

  it("a file that is not a database: exit 2 naming the file", async () => {
    const damaged = join(dir, "bad-file");
    cpSync(run, damaged, { recursive: true });
    writeFileSync(join(damaged, "run.sqlite"), "this is not a database".repeat(100));
    const r = await runLitmus(["report", damaged]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(oneLineError(r) ?? "", /bad-file\/run\.sqlite: cannot open as a run store/);
  });
});
