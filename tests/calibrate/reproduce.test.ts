import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { auditFlags, PHI15_PROBES, presetSettings } from "../../src/calibrate/presets.js";
import { TINY } from "../audit/helpers.js";
import { type CliResult, runLitmus } from "../cli/run-litmus.js";
import { makeTempDir, sharedGsm8kFile } from "../helpers/data-fixtures.js";

describe("phi15-probes preset settings", () => {
  it("are the 2023 probes: GSM8K test, qa, newline/number-swap/price-edit, greedy + 10 at T 0.8, top-p 1, 256 tokens", () => {
    assert.deepEqual(PHI15_PROBES.settings, {
      dataset: "gsm8k",
      split: "test",
      format: "qa",
      probes: "newline,number-swap,price-edit",
      n: 10,
      ks: [1, 5, 10],
      temperature: 0.8,
      topP: 1,
      topK: 0,
      maxNewTokens: 256,
      seed: 1,
    });
  });

  it("apply overrides, drop the split of a data set file and k > n", () => {
    const { settings, overrides } = presetSettings("phi15-probes", {
      dataset: "x.jsonl",
      n: 3,
      "max-new-tokens": 16,
    });
    assert.deepEqual(overrides, ["dataset", "n", "maxNewTokens"]);
    assert.equal(settings.split, "");
    assert.deepEqual(settings.ks, [1]);
    assert.ok(!auditFlags("m", "o", settings).includes("--split"));
    assert.deepEqual(presetSettings("phi15-probes", {}).settings, PHI15_PROBES.settings);
  });
});

/** End to end on the runner's tiny test model (random weights): real plumbing, garbage answers. */
describe("litmus reproduce phi15-probes on phi-tiny", { timeout: 5 * 60_000 }, () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let run: string;
  let res: CliResult;
  before(async () => {
    ({ dir, cleanup } = await makeTempDir("litmus-reproduce-"));
    run = join(dir, "run");
    const start = Date.now();
    res = await runLitmus([
      "reproduce",
      "phi15-probes",
      "--model",
      TINY,
      "--dataset",
      sharedGsm8kFile("test.jsonl"),
      "--limit",
      "2",
      "--max-new-tokens",
      "8",
      "--threads",
      "1",
      "--out",
      run,
      "--quiet",
    ]);
    process.stderr.write(`reproduce on phi-tiny: ${((Date.now() - start) / 1000).toFixed(1)} s\n`);
  });
  after(() => cleanup());

  it("runs the audit, writes the report and prints the exact settings", () => {
    assert.ok(res.code === 0 || res.code === 1, `exit ${res.code}: ${res.stderr}`);
    assert.match(res.stdout, /litmus reproduce phi15-probes/);
    assert.match(res.stdout, /"temperature":0\.8,"topP":1,"topK":0,"maxNewTokens":8/);
    assert.match(res.stdout, /overridden: dataset, maxNewTokens/);
    for (const f of ["run.sqlite", "summary.json", "samples.jsonl", "report.html", "preset.json"])
      assert.ok(existsSync(join(run, f)), f);
  });

  it("records the preset's settings in the run's manifest", () => {
    const s = JSON.parse(readFileSync(join(run, "summary.json"), "utf8"));
    const c = s.manifest.config;
    assert.deepEqual(c.decoding, { n: 10, temperature: 0.8, topP: 1, topK: 0, maxNewTokens: 8 });
    assert.deepEqual(c.probes, ["newline", "number-swap", "price-edit"]);
    assert.equal(c.promptFormat.name, "qa");
    assert.deepEqual(c.ks, [1, 5, 10]);
    assert.equal(c.selection.limit, 2);
    assert.equal(c.seeds.run, 1);
    assert.equal(s.counts.problems, 2);
    assert.equal(s.complete, true);
    const preset = JSON.parse(readFileSync(join(run, "preset.json"), "utf8"));
    assert.equal(preset.preset, "phi15-probes");
    assert.deepEqual(preset.overrides, ["dataset", "maxNewTokens"]);
    assert.equal(preset.settings.n, 10);
  });

  it("greedy plus 10 samples for every prompt", () => {
    const rows = readFileSync(join(run, "samples.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map(
        (l) =>
          JSON.parse(l) as { request_id: string; sample_index: number | null; variant_id: string | null },
      );
    const units = new Set(rows.map((r) => r.variant_id ?? "original"));
    assert.ok(units.size >= 3, "originals and variants");
    assert.equal(rows.length, 11 * new Set(rows.map((r) => r.request_id.replace(/#.*/, ""))).size);
  });

  it("refuses settings the preset fixes (exit 2)", async () => {
    const r = await runLitmus(["reproduce", "phi15-probes", "--model", TINY, "--temperature", "0.2"]);
    assert.equal(r.code, 2);
  });
});
