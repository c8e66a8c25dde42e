import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { toGenerateRequest } from "../../src/audit/execute.js";
import { parseGate } from "../../src/audit/gates.js";
import { buildRequests, planBatches } from "../../src/audit/plan.js";
import { formatDuration, ProgressLine } from "../../src/audit/progress.js";
import { compareNatural } from "../../src/audit/records.js";
import { junitXml } from "../../src/audit/report.js";
import { parseShard, selectProblems } from "../../src/audit/selection.js";
import type { AuditSummary } from "../../src/audit/summary.js";
import { parseProblems } from "../../src/data/index.js";
import { parseProbeList } from "../../src/probes/registry.js";
import { runProbes } from "../../src/probes/run.js";
import { BUILTIN_FORMATS, preparePromptFormat } from "../../src/prompts/index.js";
import { InputError } from "../../src/util/errors.js";
import { madeUpJsonl } from "./helpers.js";

const problems = parseProblems(new TextEncoder().encode(madeUpJsonl()), {
  file: "made-up.jsonl",
  source: "made-up",
});
const space = { probes: ["newline", "number-swap"], answerChanging: ["number-swap"], n: 5 };

describe("audit planning", () => {
  it("one greedy and one sampled request per prompt, originals first, ids pin the samples", () => {
    const probes = parseProbeList("newline,number-swap");
    const { variants } = runProbes(problems, probes, 1);
    const qa = preparePromptFormat(BUILTIN_FORMATS.get("qa")!);
    const requests = buildRequests(problems, variants, qa, 3);
    assert.equal(requests.length, (problems.length + variants.length) * 2);
    assert.equal(requests[0]!.id, "made-up:1/original#greedy");
    assert.equal(requests[1]!.id, "made-up:1/original#sampled");
    assert.equal(requests[1]!.n, 3);
    assert.match(requests[0]!.prompt, /^Question: Tom has 3 apples.*\nAnswer:$/s);
    const greedyOnly = buildRequests(problems, variants, qa, 0);
    assert.ok(greedyOnly.every((r) => r.mode === "greedy"));
    // Batches respect the row budget and keep plan order; a big request runs alone.
    const batches = planBatches(requests, 4);
    assert.deepEqual(batches.flat(), requests);
    for (const b of batches)
      assert.ok(b.length === 1 || b.reduce((s, r) => s + (r.mode === "greedy" ? 1 : r.n), 0) <= 4);
  });

  it("few-shot requests name their shared exemplar block; the runner request carries it", () => {
    const { variants } = runProbes(problems, parseProbeList("newline,number-swap"), 1);
    const cot = preparePromptFormat(BUILTIN_FORMATS.get("cot-8shot")!);
    const requests = buildRequests(problems, variants, cot, 2);
    const blocks = new Set(requests.map((r) => r.prompt.slice(0, r.sharedPrefix)));
    assert.equal(blocks.size, 1, "one block for the whole run");
    const [block] = blocks;
    assert.ok(block!.endsWith("The answer is 8.\n\nQ: "), "the block ends where the question starts");
    for (const r of requests) {
      assert.equal(toGenerateRequest(r).sharedPrefix, r.sharedPrefix);
      assert.equal(r.prompt.slice(r.sharedPrefix!).replace(/\nA:$/, "").length > 0, true);
    }
    const qa = buildRequests(problems, variants, preparePromptFormat(BUILTIN_FORMATS.get("qa")!), 2);
    assert.ok(
      qa.every((r) => r.sharedPrefix === undefined && toGenerateRequest(r).sharedPrefix === undefined),
    );
  });

  it("selection: ids keep data-set order, shards are round-robin and cover everything once", () => {
    const sel = selectProblems(problems, { ids: ["made-up:3", "made-up:1"] });
    assert.deepEqual(
      sel.problems.map((p) => p.id),
      ["made-up:1", "made-up:3"],
    );
    assert.throws(() => selectProblems(problems, { ids: ["nope:1"] }), InputError);
    const shards = [1, 2, 3, 4].map(
      (index) => selectProblems(problems, { shard: { index, count: 4 } }).problems,
    );
    assert.deepEqual(
      shards
        .flat()
        .map((p) => p.id)
        .sort(),
      problems.map((p) => p.id).sort(),
    );
    assert.deepEqual(parseShard("2/3"), { index: 2, count: 3 });
    for (const bad of ["0/3", "4/3", "1", "a/b"]) assert.throws(() => parseShard(bad), InputError);
  });

  it("gates parse METRIC OP NUMBER and reject unknown metrics", () => {
    assert.deepEqual(parseGate("stale_rate > 0.05", space), {
      expr: "stale_rate>0.05",
      metric: "stale_rate",
      op: ">",
      threshold: 0.05,
    });
    assert.equal(parseGate("pass@5.original<0.3", space).metric, "pass@5.original");
    assert.equal(parseGate("drop.newline>=.1", space).threshold, 0.1);
    assert.equal(parseGate("verdict.memorized!=0", space).op, "!=");
    for (const bad of [
      "pass@6.original<1",
      "drop.original>0",
      "stale_rate.newline>0",
      "nope<1",
      "stale_rate",
      "accuracy.x<1",
    ]) {
      assert.throws(() => parseGate(bad, space), InputError, bad);
    }
  });

  it("junit escapes names and messages; natural order; progress text", () => {
    const metrics = {
      "accuracy.original": 0.5,
      "drop.newline": 0.1,
      "drop_ci_low.newline": 0.05,
      "drop_ci_high.newline": 0.15,
      stale_rate: 0.3,
    };
    const xml = junitXml([{ name: "a<b", failed: true, value: 1, message: 'x "y" & z' }], {
      metrics,
    } as unknown as AuditSummary);
    assert.match(xml, /<testsuites name="litmus" tests="3" failures="1">/);
    assert.match(xml, /<testsuite name="litmus.audit.metrics" tests="2" failures="0" errors="0">/);
    assert.match(xml, /name="drop\.newline"><system-out>0\.1000 \[0\.0500, 0\.1500\]<\/system-out>/);
    assert.match(xml, /name="accuracy\.original"><system-out>0\.5000<\/system-out>/);
    assert.match(xml, /name="a&lt;b"/);
    assert.match(xml, /<failure message="x &quot;y&quot; &amp; z">/);
    assert.ok(compareNatural("p:2/x/0", "p:10/x/0") < 0);
    assert.equal(formatDuration(3725), "1h02m");
    const line = new ProgressLine(null, [], 3, 5, 10);
    assert.match(line.text(), /problems 3\/3 {2}generations 5\/10 \(50\.0%\)/);
  });

  it("progress in a log: a line per phase and at most every interval, rate and ETA", () => {
    let clock = 0;
    const written: string[] = [];
    const requests = buildRequests(
      problems.slice(0, 2),
      [],
      preparePromptFormat(BUILTIN_FORMATS.get("qa")!),
      0,
    );
    const line = new ProgressLine(
      { sink: { write: (t) => void written.push(t) }, mode: "log", intervalMs: 30_000, now: () => clock },
      requests,
      2,
      0,
      2,
    );
    line.phase("generating");
    clock = 10_000;
    line.batch({ requests: [requests[0]!], recorded: 1, tokens: 100 });
    assert.equal(written.length, 1, "no second line within 30 s");
    clock = 40_000;
    line.batch({ requests: [requests[1]!], recorded: 1, tokens: 20 });
    assert.equal(written.length, 2);
    assert.match(
      written[1]!,
      /^audit: generating {2}problems 2\/2 {2}generations 2\/2 \(100\.0%\) {2}3\.0 tok\/s {2}elapsed 40s {2}ETA 0s\n$/,
    );
    line.phase("detectors");
    line.stepProgress({ phase: "likelihood", done: 3, total: 8 });
    clock = 80_000;
    line.stepProgress({ phase: "likelihood", done: 8, total: 8 });
    line.end();
    assert.deepEqual(written.slice(2), [
      "audit: detectors  generations 2/2  elapsed 40s\n",
      "audit: detectors  generations 2/2  elapsed 1m20s  (likelihood 8/8)\n",
    ]);
  });
});
