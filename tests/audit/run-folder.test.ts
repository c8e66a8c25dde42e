import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { claimRunFolder, LOCK_FILE } from "../../src/audit/run-folder.js";
import { InputError } from "../../src/util/errors.js";
import { oneLineError, runLitmus } from "../cli/run-litmus.js";
import { makeTempDir } from "../helpers/data-fixtures.js";

describe("the run folder", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir, cleanup } = await makeTempDir("litmus-run-folder-"));
  });
  after(() => cleanup());

  const lockOf = (pid: number) =>
    `${JSON.stringify({ pid, host: hostname(), since: "2026-01-01T00:00:00Z" })}\n`;

  it("creates a new folder and locks it until released", () => {
    const out = join(dir, "new");
    const release = claimRunFolder(out);
    const lock = JSON.parse(readFileSync(join(out, LOCK_FILE), "utf8"));
    assert.equal(lock.pid, process.pid);
    assert.throws(() => claimRunFolder(out), /another litmus audit \(pid \d+ on .*\) is writing this folder/);
    release();
    assert.equal(existsSync(join(out, LOCK_FILE)), false);
    claimRunFolder(out)();
  });

  it("refuses a folder a live process holds, and takes over the lock of one that is gone", async () => {
    const out = join(dir, "held");
    mkdirSync(out);
    const sleeper = spawn("sleep", ["30"]);
    try {
      writeFileSync(join(out, LOCK_FILE), lockOf(sleeper.pid as number));
      assert.throws(
        () => claimRunFolder(out),
        (e: unknown) => e instanceof InputError && e.message.includes(`pid ${sleeper.pid}`),
      );
    } finally {
      sleeper.kill();
    }
    const gone = spawnSync("true").pid;
    writeFileSync(join(out, LOCK_FILE), lockOf(gone));
    const release = claimRunFolder(out);
    assert.equal(JSON.parse(readFileSync(join(out, LOCK_FILE), "utf8")).pid, process.pid);
    release();
  });

  it("takes over a lock with this pid from an earlier process (a restarted container); waits on a lock being written", () => {
    const out = join(dir, "restarted");
    mkdirSync(out);
    writeFileSync(
      join(out, LOCK_FILE),
      `${JSON.stringify({ pid: process.pid, host: hostname(), since: "2026-01-01T00:00:00Z", token: "earlier" })}\n`,
    );
    claimRunFolder(out)();
    // An empty lock file is one being written: held while young, stale once old.
    writeFileSync(join(out, LOCK_FILE), "");
    assert.throws(() => claimRunFolder(out), /a litmus audit that is starting is writing this folder/);
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(out, LOCK_FILE), old, old);
    claimRunFolder(out)();
  });

  it("refuses a folder of other files (exit 2 from audit), and a file in place of the folder", async () => {
    const out = join(dir, "photos");
    mkdirSync(out);
    writeFileSync(join(out, "holiday.jpg"), "not a run");
    assert.throws(() => claimRunFolder(out), /holds other files and no litmus run \(run\.sqlite\)/);
    const r = await runLitmus(["audit", "--out", out, "--limit", "2", "--n", "0", "--quiet"]);
    assert.equal(r.code, 2);
    assert.match(oneLineError(r) ?? "", /photos: the folder holds other files/);
    assert.deepEqual(readFileSync(join(out, "holiday.jpg"), "utf8"), "not a run");
    const file = join(dir, "a-file");
    writeFileSync(file, "x");
    assert.throws(() => claimRunFolder(file), /not a folder/);
  });
});
