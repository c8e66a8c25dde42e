import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pairingProblem } from "../../src/audit/baseline.js";
import { mergeRuns } from "../../src/audit/merge.js";
import { runAudit } from "../../src/audit/run.js";
import { SqliteRunStore } from "../../src/store/index.js";
import { InputError } from "../../src/util/errors.js";
import { makeTempDir, writeFixture } from "../helpers/data-fixtures.js";
import { shoppingProblems } from "../probes/fixtures.js";
import {
  auditOptions,
  MADE_UP,
  MemorizingBackend,
  madeUpJsonl,
  mockDeps,
  samplesOf,
  summaryWithoutTimes,
} from "./helpers.js";

describe("runAudit with a mock backend", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let dataset: string;
  before(async () => {
    ({ dir, cleanup } = await makeTempDir("litmus-audit-"));
    dataset = await writeFixture(dir, "made-up.jsonl", madeUpJsonl());
  });
  after(() => cleanup());

  it("stores every completion and measures memorization", async () => {
    const out = join(dir, "full");
    const backend = new MemorizingBackend(MADE_UP);
    const result = await runAudit(auditOptions(dataset, out), { failOn: [] }, mockDeps(backend));
    const s = result.summary;
    assert.equal(s.complete, true);
    assert.equal(s.counts.problems, MADE_UP.length);
    assert.equal(s.counts.completions, s.counts.expected_completions);
    // One greedy + n = 4 samples per prompt, every prompt.
    assert.equal(s.counts.completions, (s.counts.requests / 2) * 5);
    assert.equal(backend.completions, s.counts.completions);
    assert.equal(s.metrics["accuracy.original"], 1);
    assert.equal(
      s.metrics["stale_rate.number-swap"] !== null && (s.metrics["stale_rate.number-swap"] as number) > 0.4,
      true,
    );
    assert.equal(s.metrics["accuracy.number-swap"], 0);
    assert.ok((s.metrics["drop.number-swap"] as number) > 0.9);
    assert.ok(s.verdict_counts["memorized"]! > 0);
    // pass@k for every k <= n, with intervals.
    const original = s.probes[0]!;
    assert.equal(original.probe, "original");
    assert.deepEqual(Object.keys(original["pass_at_k"] as object), ["1", "2", "3", "4"]);
    // Samples: one line per completion with the required fields.
    const lines = samplesOf(out)
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, s.counts.completions);
    for (const key of [
      "problem_id",
      "variant_id",
      "probe",
      "sample_index",
      "prompt",
      "completion",
      "answer",
      "expected",
      "correct",
    ]) {
      assert.ok(key in lines[0]!, key);
    }
    assert.equal(lines[0]!["sample_index"], null);
    assert.equal(lines[0]!["variant_id"], null);
    // Re-derivable from the store alone: summary metrics were saved into it.
    const store = SqliteRunStore.openDir(out);
    assert.equal(store.metrics().find((m) => m.name === "accuracy.original")?.value, 1);
    store.close();
  });

  it("resumes after crashes: nothing lost or duplicated, the same files as an uninterrupted run", async () => {
    const full = join(dir, "full");
    const out = join(dir, "crashed");
    let generated = 0;
    for (let attempt = 0; attempt < 4; attempt++) {
      const backend = new MemorizingBackend(MADE_UP, 2);
      await assert.rejects(
        runAudit(auditOptions(dataset, out), { failOn: [] }, mockDeps(backend)),
        /simulated crash/,
      );
      generated += backend.completions;
    }
    const last = new MemorizingBackend(MADE_UP);
    const result = await runAudit(auditOptions(dataset, out), { failOn: [] }, mockDeps(last));
    assert.equal(result.resumed, true);
    assert.ok(generated > 0 && last.completions < result.summary.counts.completions);
    assert.deepEqual(summaryWithoutTimes(out), summaryWithoutTimes(full));
    assert.equal(samplesOf(out), samplesOf(full));
    // A finished run run again generates nothing and rewrites the same exports.
    const again = new MemorizingBackend(MADE_UP);
    await runAudit(auditOptions(dataset, out), { failOn: [] }, mockDeps(again));
    assert.equal(again.completions, 0);
    assert.equal(samplesOf(out), samplesOf(full));
  });

  it("refuses a different configuration in an existing run folder", async () => {
    const out = join(dir, "full");
    await assert.rejects(
      runAudit(
        auditOptions(dataset, out, { temperature: 0.5 }),
        { failOn: [] },
        mockDeps(new MemorizingBackend(MADE_UP)),
      ),
      (err: unknown) => err instanceof InputError && /decoding\.temperature: 0\.8 -> 0\.5/.test(err.message),
    );
  });

  it("evaluates gates and flags regressions against a baseline", async () => {
    const out = join(dir, "full");
    const r = await runAudit(
      auditOptions(dataset, out),
      { failOn: ["stale_rate>0.05", "accuracy.original<0.5", "drop.rename>0.5"] },
      mockDeps(new MemorizingBackend(MADE_UP)),
    );
    assert.deepEqual(
      r.gates.map((g) => [g.name, g.failed]),
      [
        ["stale_rate>0.05", true],
        ["accuracy.original<0.5", false],
        ["drop.rename>0.5", false],
      ],
    );
    const junit = readFileSync(join(out, "junit.xml"), "utf8");
    const gatesSuite = junit.split('<testsuite name="litmus.audit.metrics"')[0] ?? "";
    assert.equal((gatesSuite.match(/<testcase /g) ?? []).length, 3);
    assert.equal((junit.match(/<failure /g) ?? []).length, 1);
    assert.match(readFileSync(join(out, "summary.md"), "utf8"), /1 of 3 gates failed/);
  });

  it("--baseline pairs an earlier checkpoint's run prompt by prompt and flags its regressions", async () => {
    const full = join(dir, "full");
    // 40 problems, so that a regression can stand out among some twenty figures (Holm).
    const shopping = shoppingProblems(40);
    const many = await writeFixture(dir, "shopping.jsonl", shopping.map((p) => JSON.stringify(p)).join("\n"));
    const good = join(dir, "good");
    await runAudit(auditOptions(many, good), { failOn: [] }, mockDeps(new MemorizingBackend(shopping)));
    // A worse checkpoint: it has forgotten every original answer.
    const forgetful = new MemorizingBackend(shopping.map((p) => ({ ...p, answer: "#### 123456" })));
    const worse = await runAudit(
      auditOptions(many, join(dir, "worse")),
      { failOn: [], baseline: good },
      mockDeps(forgetful),
    );
    const gate = (name: string) => worse.gates.find((g) => g.name === name);
    assert.equal(
      gate("baseline:accuracy.original")?.failed,
      true,
      gate("baseline:accuracy.original")?.message,
    );
    assert.match(gate("baseline:accuracy.original")?.message ?? "", /McNemar b = \d+, c = 0/);
    assert.equal(gate("baseline:shared")?.failed, false);
    assert.match(gate("baseline:shared")?.message ?? "", /compared on 40 shared problems/);
    // The same checkpoint against itself (its summary.json names its folder): nothing regresses.
    const same = await runAudit(
      auditOptions(dataset, full),
      { failOn: [], baseline: join(full, "summary.json") },
      mockDeps(new MemorizingBackend(MADE_UP)),
    );
    assert.ok(same.gates.length > 3 && same.gates.every((g) => !g.failed), JSON.stringify(same.gates));
    // Other probes cannot be paired in full: refused before any model time, unless partial is allowed.
    const other = auditOptions(dataset, join(dir, "other-probes"), { probes: "newline,number-swap" });
    await assert.rejects(
      runAudit(other, { failOn: [], baseline: full }, mockDeps(new MemorizingBackend(MADE_UP))),
      (err: unknown) =>
        err instanceof InputError && /different probes .*--baseline-allow-partial/.test(err.message),
    );
    // A baseline run under a format whose stop strings have since changed: named, not just "another".
    const stored = JSON.parse(readFileSync(join(full, "summary.json"), "utf8")).manifest.config;
    const olderStops = structuredClone(stored);
    olderStops.promptFormat.spec.stop = olderStops.promptFormat.spec.stop.slice(0, 1);
    assert.equal(pairingProblem(stored, stored), null);
    // The same probes with other parameters (--instances 3 against a K = 1 baseline).
    const threeInstances = structuredClone(stored);
    threeInstances.probeParams["number-swap"].instances = 3;
    const why = pairingProblem(threeInstances, stored) ?? "";
    assert.match(
      why,
      /^the runs used other probe parameters \(number-swap: \{[^;]*\} vs \{[^;]*"instances":3[^;]*\}\)$/,
    );
    assert.doesNotMatch(why.split(" vs ")[0] ?? "", /instances/, "the baseline's K = 1 records no instances");
    assert.equal(
      pairingProblem(stored, olderStops),
      `the runs used another prompt format (${stored.promptFormat.name} differs in stop)`,
    );
    const partial = await runAudit(
      other,
      { failOn: [], baseline: full, baselineAllowPartial: true },
      mockDeps(new MemorizingBackend(MADE_UP)),
    );
    assert.match(
      partial.gates.find((g) => g.name === "baseline:shared")?.message ?? "",
      /compared on \d+ shared problems/,
    );
  });

  it("refuses unknown metrics before loading the model", async () => {
    for (const gate of [
      "foo>1",
      "drop.nope>0.1",
      "pass@9.original<0.3",
      "stale_rate.newline>0",
      "stale_rate>>1",
    ]) {
      await assert.rejects(
        runAudit(
          auditOptions(dataset, join(dir, "never")),
          { failOn: [gate] },
          mockDeps(new MemorizingBackend(MADE_UP)),
        ),
        InputError,
        gate,
      );
    }
  });

  it("sharded then merged equals unsharded", async () => {
    const shards = [1, 2, 3].map((i) => join(dir, `shard-${i}`));
    for (const [i, out] of shards.entries()) {
      await runAudit(
        auditOptions(dataset, out, { shard: { index: i + 1, count: 3 } }),
        { failOn: [] },
        mockDeps(new MemorizingBackend(MADE_UP)),
      );
    }
    const merged = join(dir, "merged");
    await mergeRuns(shards, merged);
    assert.deepEqual(summaryWithoutTimes(merged), summaryWithoutTimes(join(dir, "full")));
    assert.equal(samplesOf(merged), samplesOf(join(dir, "full")));
    await assert.rejects(mergeRuns(shards.slice(0, 2), join(dir, "m2")), /missing shard\(s\) 3\/3/);
    await assert.rejects(mergeRuns([shards[0]!, shards[0]!, shards[1]!], join(dir, "m3")), /both shard 1\/3/);
    await assert.rejects(mergeRuns([shards[0]!, join(dir, "full")], join(dir, "m4")), /not a shard/);
  });

  it("refuses to resume a run planned differently (requests this plan does not make)", async () => {
    const out = join(dir, "foreign");
    await runAudit(auditOptions(dataset, out), { failOn: [] }, mockDeps(new MemorizingBackend(MADE_UP)));
    // Another engine would have planned other variant ids: simulate one stored request of those.
    const store = SqliteRunStore.openDir(out);
    const [request] = store.requests();
    store.putRequests([{ ...request!, id: `${request!.id}-from-another-build` }]);
    store.close();
    await assert.rejects(
      runAudit(auditOptions(dataset, out), { failOn: [] }, mockDeps(new MemorizingBackend(MADE_UP))),
      (err: unknown) =>
        err instanceof InputError &&
        /holds a run planned differently \(request .*-from-another-build/.test(err.message),
    );
    // A scratch folder starts afresh instead, and ends like a fresh run.
    const result = await runAudit(
      auditOptions(dataset, out, { replaceDifferentRun: true }),
      { failOn: [] },
      mockDeps(new MemorizingBackend(MADE_UP)),
    );
    assert.equal(result.resumed, false);
    assert.equal(samplesOf(out), samplesOf(join(dir, "full")));
  });

  it("seeds: --seed redraws samples with the variants fixed, --probe-seed redraws variants", async () => {
    const variantsOf = async (out: string, overrides: Parameters<typeof auditOptions>[2]) => {
      await runAudit(
        auditOptions(dataset, out, overrides),
        { failOn: [] },
        mockDeps(new MemorizingBackend(MADE_UP)),
      );
      const store = SqliteRunStore.openDir(out);
      try {
        return { variants: store.variants(), seeds: store.manifest()?.config.seeds };
      } finally {
        store.close();
      }
    };
    const a = await variantsOf(join(dir, "seed-5"), { seed: 5 });
    const b = await variantsOf(join(dir, "seed-6"), { seed: 6 });
    const c = await variantsOf(join(dir, "probe-seed-7"), { seed: 5, probeSeed: 7 });
    assert.deepEqual(a.seeds, { run: 5, probes: 1, bootstrap: 1 });
    assert.deepEqual(c.seeds, { run: 5, probes: 7, bootstrap: 1 });
    assert.deepEqual(b.variants, a.variants, "another --seed: the same variants");
    const questionOf = new Map(a.variants.map((v) => [v.id, v.question]));
    const changed = c.variants.filter((v) => v.probe === "number-swap" && !questionOf.has(v.id));
    assert.ok(changed.length > 0, "another --probe-seed: other number swaps, under other ids");
    // An id names one question whatever seed made it.
    for (const v of c.variants) if (questionOf.has(v.id)) assert.equal(v.question, questionOf.get(v.id));
  });
});
