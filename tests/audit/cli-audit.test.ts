import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { oneLineError, runLitmus } from "../cli/run-litmus.js";
import { makeTempDir, writeFixture } from "../helpers/data-fixtures.js";
import { madeUpJsonl, samplesOf, summaryWithoutTimes, TINY } from "./helpers.js";

/** End to end on the real tiny phi model (random weights: garbage answers, real plumbing). */
describe("litmus audit on the tiny phi model", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let dataset: string;
  let run: string;
  const common = (out: string, extra: string[] = []) => [
    "audit",
    "--model",
    TINY,
    "--dataset",
    dataset,
    "--probes",
    "newline,number-swap,rename",
    "--n",
    "2",
    "--k",
    "1,2",
    "--max-new-tokens",
    "5",
    "--batch-size",
    "6",
    "--threads",
    "1",
    "--resamples",
    "500",
    "--out",
    out,
    ...extra,
  ];

  before(async () => {
    ({ dir, cleanup } = await makeTempDir("litmus-audit-cli-"));
    dataset = await writeFixture(dir, "made-up.jsonl", madeUpJsonl());
    run = join(dir, "run");
  });
  after(() => cleanup());

  it("adds the contamination detectors to summary.json with --detectors", async () => {
    const out = join(dir, "run-detectors");
    const r = await runLitmus(common(out, ["--detectors", "--budget", "8"]));
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    assert.ok(s.detectors, "summary.detectors");
    const original = s.detectors.likelihood.original;
    assert.ok(Number.isFinite(original.min_k_plus_plus.mean), "Min-K%++ of the originals");
    assert.ok(original.min_k.mean < 0, "Min-K% is a mean of log-probabilities");
    assert.ok(Object.keys(s.metrics).some((k) => k.startsWith("detector.")));
    // The detectors change no completion: the samples equal a run without them.
    const plain = join(dir, "run-plain");
    assert.equal((await runLitmus(common(plain))).code, 0);
    assert.equal(samplesOf(out), samplesOf(plain));
  });

  it("writes the store, summary.json, samples.jsonl, summary.md and junit.xml (exit 0)", async () => {
    const r = await runLitmus(common(run));
    assert.equal(r.code, 0, r.stderr);
    for (const f of ["run.sqlite", "summary.json", "samples.jsonl", "summary.md", "junit.xml"]) {
      assert.ok(existsSync(join(run, f)), f);
    }
    assert.match(r.stdout, /^label\s+prompts\s+greedy/m);
    // stderr is not a terminal here: progress comes as log lines, one per phase, in order.
    const logLines = r.stderr.trimEnd().split("\n");
    assert.ok(
      logLines.every((l) => l.startsWith("audit: ")),
      r.stderr,
    );
    const phases = logLines.map((l) => /^audit: ([a-z ]+?) {2}/.exec(l)?.[1]);
    assert.deepEqual(
      [...new Set(phases)],
      ["generating", "summarizing", "writing exports", "writing report", "done"],
    );
    assert.match(logLines[0] ?? "", /^audit: generating {2}problems 0\/\d+ {2}generations 0\/\d+ \(0\.0%\)/);
    assert.ok(!r.stderr.includes("\r") && !r.stderr.includes("\u001b"), "no terminal control codes in a log");
    const s = JSON.parse(readFileSync(join(run, "summary.json"), "utf8"));
    assert.equal(s.schema, "litmus/audit-summary");
    assert.equal(s.schema_version, 1);
    assert.equal(s.complete, true);
    const c = s.manifest.config;
    assert.equal(c.executionProvider, "cpu");
    assert.match(c.modelFiles["model.onnx"], /^[0-9a-f]{64}$/);
    assert.match(c.dataset.sha256, /^[0-9a-f]{64}$/);
    assert.match(c.onnxruntimeVersion, /^\d+\.\d+/);
    assert.deepEqual(c.probes, ["newline", "number-swap", "rename"]);
    assert.equal(c.decoding.n, 2);
    assert.ok(s.manifest.started_at <= s.manifest.finished_at);
    const lines = samplesOf(run).trim().split("\n");
    assert.equal(lines.length, s.counts.completions);
    const greedy = lines.map((l) => JSON.parse(l)).filter((l) => l.sample_index === null);
    assert.equal(greedy.length * 3, lines.length, "one greedy and two samples per prompt");
    assert.deepEqual(
      s.decode_path,
      { path: "slot-cache", reason: null },
      "the fixture decodes over a slot cache",
    );
    assert.match(r.stdout, /^decoded over a slot cache$/m);
  });

  it("counts the tokens each completion generated, greedy and sampled apart, in summary.json and the reports", () => {
    const s = JSON.parse(readFileSync(join(run, "summary.json"), "utf8"));
    const samples = samplesOf(run)
      .trim()
      .split("\n")
      .map(
        (l) => JSON.parse(l) as { sample_index: number | null; token_count: number; finish_reason: string },
      );
    for (const kind of ["greedy", "sampled"] as const) {
      const mine = samples.filter((x) => (x.sample_index === null) === (kind === "greedy"));
      const total = mine.reduce((sum, x) => sum + x.token_count, 0);
      assert.ok(mine.length > 0 && total > 0);
      assert.deepEqual(s.counts.generated_tokens[kind], {
        completions: mine.length,
        total,
        mean: total / mine.length,
      });
    }
    const finish = samples.reduce<Record<string, number>>((m, x) => {
      m[x.finish_reason] = (m[x.finish_reason] ?? 0) + 1;
      return m;
    }, {});
    for (const [reason, n] of Object.entries(finish)) assert.equal(s.counts.finish_reasons[reason], n);
    const g = s.counts.generated_tokens.greedy;
    const words = `greedy ${g.mean.toFixed(1)} (${g.total} in all)`;
    for (const f of ["report.md", "report.html"])
      assert.ok(readFileSync(join(run, f), "utf8").includes(words), `${f} says ${words}`);
  });

  it("a few-shot template's exemplar block is prefilled once (--verbose says so); the same completions without it", async () => {
    const template = await writeFixture(
      dir,
      "one-shot.json",
      JSON.stringify({
        template: "{exemplars}Question: {question}\nAnswer:",
        exemplars: [{ question: "Tom has 2 apples and buys 3 more. How many?", answer: "5" }],
        stop: ["Question:"],
      }),
    );
    const cached = join(dir, "run-shared-prefix");
    const whole = join(dir, "run-whole-prefill");
    const extra = ["--prompt-template", template, "--verbose"];
    const a = await runLitmus(common(cached, extra));
    assert.equal(a.code, 0, a.stderr);
    const note =
      /^litmus: 1 shared prefix \((\d+) tokens\) prefilled once; (\d+) prompts started from it/m.exec(
        a.stderr,
      );
    assert.ok(note, a.stderr);
    const rows = samplesOf(cached)
      .split("\n")
      .filter((l) => l.trim() !== "").length;
    assert.ok(Number(note[2]) > 0 && Number(note[2]) <= rows, `${note[2]} prompts of ${rows} completions`);
    const b = await runLitmus(common(whole, extra), { LITMUS_SHARED_PREFIX: "0" });
    assert.equal(b.code, 0, b.stderr);
    assert.doesNotMatch(b.stderr, /shared prefix/);
    const greedy = (d: string) =>
      samplesOf(d)
        .split("\n")
        .filter((l) => l.includes('"sample_index":null'));
    assert.ok(greedy(cached).length > 0);
    assert.deepEqual(greedy(cached), greedy(whole), "the same greedy completions either way");
  });

  it("LITMUS_KV_SLICES=0 with --verbose: says and records present.* fed back, with the same samples", async () => {
    const out = join(dir, "run-plain-path");
    const r = await runLitmus(common(out, ["--verbose"]), { LITMUS_KV_SLICES: "0" });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /^litmus: loaded .*phi-tiny on cpu: decoding with present\.\* fed back each step \(the slot cache is turned off/m,
    );
    const s = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    assert.deepEqual(s.decode_path, {
      path: "present-feedback",
      reason: "the slot cache is turned off (sliceKv: false, or LITMUS_KV_SLICES=0)",
    });
    // Greedy completions agree; a sampled token can differ where a draw falls within rounding of a
    // boundary (the paths sum attention in another order), which is why the path is recorded.
    const greedyLines = (d: string) =>
      samplesOf(d)
        .split("\n")
        .filter((l) => l.includes('"sample_index":null'));
    assert.ok(greedyLines(run).length > 0);
    assert.deepEqual(
      greedyLines(out),
      greedyLines(run),
      "both decode paths give the same greedy completions",
    );
    // A resume that generates nothing records nothing: the run is still decoded one way.
    assert.equal((await runLitmus(common(out, ["--quiet"]))).code, 0);
    assert.equal(
      JSON.parse(readFileSync(join(out, "summary.json"), "utf8")).decode_path.path,
      "present-feedback",
    );
  });

  it("run again: nothing generated, byte-identical exports", async () => {
    const before = samplesOf(run);
    const summary = summaryWithoutTimes(run);
    const r = await runLitmus(common(run, ["--quiet"]));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "", "--quiet: no progress");
    assert.equal(samplesOf(run), before);
    assert.deepEqual(summaryWithoutTimes(run), summary);
  });

  it("refuses another configuration in the run folder (exit 2, one clear line)", async () => {
    const r = await runLitmus(common(run, ["--temperature", "0.7"]));
    assert.equal(r.code, 2);
    assert.match(oneLineError(r) ?? "", /different configuration \(decoding\.temperature: 0\.8 -> 0\.7\)/);
    // The detectors change verdicts: adding them to a finished run is another configuration too.
    const withDetectors = await runLitmus(common(run, ["--detectors"]));
    assert.equal(withDetectors.code, 2);
    assert.match(oneLineError(withDetectors) ?? "", /detectors\.enabled: false -> true/);
  });

  it("gates: exit 1 when one fails, 0 when all pass, 2 for an unknown metric; junit has one case per gate", async () => {
    const failing = await runLitmus(
      common(run, ["--fail-on", "pass@1.original<0.30", "--fail-on", "stale_rate>0.5"]),
    );
    assert.equal(failing.code, 1, failing.stderr);
    const junit = readFileSync(join(run, "junit.xml"), "utf8");
    const [gatesSuite, metricsSuite] = junit.split('<testsuite name="litmus.audit.metrics"');
    assert.equal((gatesSuite?.match(/<testcase /g) ?? []).length, 2);
    assert.equal((junit.match(/<failure /g) ?? []).length, 1);
    // A test case per probe metric too: accuracy and pass@1, pass@2 of every label, at least.
    for (const label of ["original", "newline", "number-swap", "rename"])
      for (const head of ["accuracy", "pass@1", "pass@2"])
        assert.match(metricsSuite ?? "", new RegExp(`name="${head}\\.${label}"`));
    const md = readFileSync(join(run, "summary.md"), "utf8");
    assert.match(md, /^## litmus audit: phi-tiny on data-[0-9a-f]{8}\n\n\*\*1 of 2 gates failed\.\*\*/);
    assert.doesNotMatch(md, /!\[/, "no image in a job summary");
    assert.match(failing.stdout, /^verdict: /m);
    assert.match(readFileSync(join(run, "summary.md"), "utf8"), /1 of 2 gates failed/);
    const passing = await runLitmus(
      common(run, ["--fail-on", "no_answer_rate>1", "--baseline", join(run, "summary.json")]),
    );
    assert.equal(passing.code, 0, passing.stderr);
    assert.match(passing.stdout, /gate pass {2}baseline:accuracy\.original/);
    // A baseline made with other probe parameters (K = 1 against --instances 3) is not paired
    // silently: one line naming them, exit 2, before any model time.
    const threeInstances = await runLitmus(
      common(join(dir, "three-instances"), ["--instances", "3", "--baseline", join(run, "summary.json")]),
    );
    assert.equal(threeInstances.code, 2, threeInstances.stderr);
    assert.match(
      oneLineError(threeInstances) ?? "",
      /--baseline .*: the runs used other probe parameters \(number-swap: .* vs .*"instances":3.*\); pass --baseline-allow-partial/,
    );
    assert.doesNotMatch(threeInstances.stderr, /\n\s+at /, "no stack trace");
    const unknown = await runLitmus(common(run, ["--fail-on", "drop.nope>0.1"]));
    assert.equal(unknown.code, 2);
    assert.match(oneLineError(unknown) ?? "", /unknown probe "nope"/);
  });

  it("refuses a run folder made with the format's earlier stop strings, naming them", async () => {
    // A folder written before the qa format stopped at more than "Question:" (its stored config).
    const older = join(dir, "older-stops");
    cpSync(run, older, { recursive: true });
    const db = new Database(join(older, "run.sqlite"));
    const row = db.prepare("SELECT config FROM manifest WHERE id = 1").get() as { config: string };
    const config = JSON.parse(row.config);
    assert.ok(config.promptFormat.spec.stop.length > 1, "the qa format now has several stop strings");
    config.promptFormat.spec.stop = ["Question:"];
    db.prepare("UPDATE manifest SET config = ? WHERE id = 1").run(JSON.stringify(config));
    db.close();
    const r = await runLitmus(common(older));
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      oneLineError(r) ?? "",
      /different configuration \(promptFormat\.spec\.stop: \["Question:"\] -> \["Question:",/,
    );
  });

  it("exit 3 when the run itself fails (an export cannot be written)", async () => {
    const broken = join(dir, "broken");
    cpSync(run, broken, { recursive: true });
    // samples.jsonl becomes a non-empty folder: the atomic rename over it fails.
    const target = join(broken, "samples.jsonl");
    rmSync(target);
    mkdirSync(join(target, "x"), { recursive: true });
    const r = await runLitmus(common(broken));
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /^litmus: error: /m);
  });

  it("shards 1/2 and 2/2 merged equal the unsharded run; mismatched shards are refused", async () => {
    const a = join(dir, "shard-a");
    const b = join(dir, "shard-b");
    assert.equal((await runLitmus(common(a, ["--shard", "1/2"]))).code, 0);
    assert.equal((await runLitmus(common(b, ["--shard", "2/2"]))).code, 0);
    const merged = join(dir, "merged");
    const m = await runLitmus(["merge", a, b, "--out", merged]);
    assert.equal(m.code, 0, m.stderr);
    assert.deepEqual(summaryWithoutTimes(merged), summaryWithoutTimes(run));
    assert.equal(samplesOf(merged), samplesOf(run));
    const other = join(dir, "shard-other");
    assert.equal((await runLitmus(common(other, ["--shard", "2/2", "--seed", "2"]))).code, 0);
    const bad = await runLitmus(["merge", a, other, "--out", join(dir, "bad-merge")]);
    assert.equal(bad.code, 2);
    assert.match(oneLineError(bad) ?? "", /different configuration .*seeds/);
  });
});
