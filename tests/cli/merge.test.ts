import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { makeTempDir } from "../helpers/data-fixtures.js";
import { oneLineError, runLitmus } from "./run-litmus.js";

describe("litmus merge (CLI): shards of the embedded model into one run, with gates", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let shards: string[];

  before(async () => {
    tmp = await makeTempDir();
    shards = [1, 2].map((i) => join(tmp.dir, `shard-${i}`));
    for (const [i, out] of shards.entries()) {
      const r = await runLitmus([
        "audit",
        "--model",
        "models/canary",
        "--dataset",
        "litmus-mini",
        "--limit",
        "4",
        "--n",
        "0",
        "--max-new-tokens",
        "16",
        "--probes",
        "newline,number-swap",
        "--shard",
        `${i + 1}/2`,
        "--out",
        out,
        "--quiet",
      ]);
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(() => tmp.cleanup());

  it("writes the merged report and gate files, and exits 1 when a gate fails", async () => {
    const out = join(tmp.dir, "merged");
    const r = await runLitmus([
      "merge",
      ...shards,
      "--out",
      out,
      "--fail-on",
      "accuracy.original>=0",
      "--fail-on",
      "stale_rate>1",
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /gate FAIL {2}accuracy\.original>=0/);
    assert.match(r.stdout, /gate pass {2}stale_rate>1/);
    for (const f of ["summary.json", "samples.jsonl", "report.html", "summary.md", "junit.xml"])
      assert.ok(existsSync(join(out, f)), f);
    const junit = readFileSync(join(out, "junit.xml"), "utf8");
    assert.match(junit, /<failure/);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as {
      counts: { problems: number };
    };
    assert.equal(summary.counts.problems, 4);
  });

  it("rejects a malformed gate with one line, exit 2", async () => {
    const r = await runLitmus(["merge", ...shards, "--out", join(tmp.dir, "m2"), "--fail-on", "nonsense"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(oneLineError(r) ?? "", /--fail-on "nonsense"/);
  });
});
