import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { calibrateRun } from "../../src/calibrate/calibrate.js";
import { runLitmus } from "../cli/run-litmus.js";
import { makeTempDir, writeFixture } from "../helpers/data-fixtures.js";

/** A made-up run folder: 3 leaked and 3 unseen problems, some scores missing. */
function fakeSummary(dataset = "synthetic") {
  const ids = ["p:1", "p:2", "p:3", "p:4", "p:5", "p:6", "p:7"];
  const stale = [1, 0.5, null, 0, 0.5, 0, 0.2];
  return {
    schema: "litmus/audit-summary",
    schema_version: 1,
    manifest: { config: { dataset: { name: dataset, sha256: "x" }, modelFiles: {} } },
    verdicts: ids.map((id, i) => ({ problem_id: id, stale_share: stale[i], original_accuracy: 1 })),
    detectors: {
      problems: ids.map((id, i) => ({
        problem_id: id,
        original: i === 0 ? null : { min_k: -i, min_k_plus_plus: i, zlib_ratio: 0 },
        gap: i < 3 ? 2 : 1,
        cdd_original: null,
      })),
    },
  };
}

const samples = [
  // p:1 original right, its one variant wrong -> drop 1; p:4 both right -> 0.
  { problem_id: "p:1", variant_id: null, correct: true },
  { problem_id: "p:1", variant_id: "p:1/v", correct: false },
  { problem_id: "p:4", variant_id: null, correct: true },
  { problem_id: "p:4", variant_id: "p:4/v", correct: true },
  { problem_id: "p:4", variant_id: "p:4/w", correct: true },
  { problem_id: "p:5", variant_id: null, correct: false },
];

describe("calibrateRun on a made-up run", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let splitPath: string;
  before(async () => {
    ({ dir, cleanup } = await makeTempDir("litmus-calibrate-"));
    await writeFixture(dir, "summary.json", JSON.stringify(fakeSummary()));
    await writeFixture(dir, "samples.jsonl", samples.map((s) => JSON.stringify(s)).join("\n") + "\n");
    splitPath = await writeFixture(
      dir,
      "split.json",
      JSON.stringify({ leaked: ["p:1", "p:2", "p:3", "p:99"], unseen: ["p:4", "p:5", "p:6"] }),
    );
  });
  after(() => cleanup());

  it("computes each score's AUROC over the problems that have it and counts the rest", async () => {
    const r = await calibrateRun(dir, { split: splitPath, resamples: 200 });
    assert.equal(r.split.leaked_in_run, 3);
    assert.equal(r.split.unseen_in_run, 3);
    assert.equal(r.split.run_not_in_split, 1); // p:7
    const stale = r.detectors["stale_rate"]!;
    // leaked [1, 0.5] vs unseen [0, 0.5, 0]: 1 -> 3; 0.5 -> 2 + 0.5 = 5.5 / 6.
    assert.equal(stale.auroc, 5.5 / 6);
    assert.equal(stale.n_leaked, 2);
    assert.equal(stale.missing_leaked, 1);
    assert.equal(r.detectors["neighbourhood_gap"]!.auroc, 1);
    // min_k = -i: leaked (i = 1, 2) lower than unseen (i = 3..5)? unseen i = 3, 4, 5 -> -3, -4, -5: leaked higher.
    assert.equal(r.detectors["min_k"]!.auroc, 1);
    assert.equal(r.detectors["min_k"]!.missing_leaked, 1);
    assert.equal(r.detectors["min_k_plus_plus"]!.auroc, 0);
    assert.equal(r.detectors["zlib_ratio"]!.auroc, 0.5);
    const drop = r.detectors["accuracy_drop"]!;
    assert.deepEqual([drop.auroc, drop.n_leaked, drop.n_unseen], [1, 1, 1]);
    const cdd = r.detectors["cdd_peakedness"]!;
    assert.deepEqual([cdd.auroc, cdd.ci, cdd.n_leaked, cdd.missing_unseen], [null, null, 0, 3]);
  });

  it("needs --split for a data set without a bundled split", async () => {
    await assert.rejects(calibrateRun(dir), /--split FILE is required/);
    const res = await runLitmus(["calibrate", dir]);
    assert.equal(res.code, 2);
  });

  it("CLI --json prints {detectors: {score: {auroc, ci, n_leaked, n_unseen}}} and writes the chart", async () => {
    const out = join(dir, "cal");
    const res = await runLitmus([
      "calibrate",
      dir,
      "--split",
      splitPath,
      "--json",
      "--out",
      out,
      "--resamples",
      "100",
    ]);
    assert.equal(res.code, 0, res.stderr);
    const j = JSON.parse(res.stdout);
    assert.equal(j.detectors.stale_rate.auroc, 5.5 / 6);
    assert.equal(j.detectors.stale_rate.ci.length, 2);
    assert.equal(j.detectors.stale_rate.n_leaked, 2);
    assert.equal(j.detectors.stale_rate.n_unseen, 3);
    for (const f of ["calibration.json", "calibration.md", "auroc.png"])
      assert.ok(existsSync(join(out, f)), f);
    const png = readFileSync(join(out, "auroc.png"));
    assert.equal(png.subarray(1, 4).toString(), "PNG");
  });
});
