import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import {
  LITMUS_MINI_PATH,
  LITMUS_MINI_PROBLEMS,
  LITMUS_MINI_SHA256,
  readLitmusMiniSplit,
} from "../../src/data/litmus-mini.js";
import { namedDatasets } from "../../src/data/registry.js";
import { resolveDataset } from "../../src/data/resolve.js";
import { liftProgram } from "../../src/perturb/index.js";
import { parseProbeList } from "../../src/probes/registry.js";
import { runProbes } from "../../src/probes/run.js";

describe("litmus-mini", () => {
  it("is a named data set whose file matches its pinned sha256", async () => {
    assert.ok(namedDatasets.has("litmus-mini"));
    const ds = await resolveDataset("litmus-mini");
    assert.equal(ds.sha256, LITMUS_MINI_SHA256);
    assert.equal(
      createHash("sha256").update(readFileSync(LITMUS_MINI_PATH)).digest("hex"),
      LITMUS_MINI_SHA256,
    );
    assert.equal(ds.problems.length, LITMUS_MINI_PROBLEMS);
    assert.ok(ds.problems.length >= 120);
    assert.equal(ds.problems[0]?.id, "litmus-mini:1");
  });

  it("has 2 to 8 annotated steps per problem, distinct questions, and every topic", async () => {
    const { problems } = await resolveDataset("litmus-mini");
    assert.equal(new Set(problems.map((p) => p.question)).size, problems.length);
    for (const p of problems) {
      const steps = p.answer.match(/<<[^>]*>>/g) ?? [];
      assert.ok(steps.length >= 2 && steps.length <= 8, `${p.id}: ${steps.length} steps`);
    }
    const count = (re: RegExp) => problems.filter((p) => re.test(p.question)).length;
    assert.ok(count(/\$\d/) >= 30, "money");
    assert.ok(count(/\d%/) >= 10, "percentages");
    assert.ok(count(/\d\/\d|\bhalf\b|third|quarter/) >= 10, "fractions");
    assert.ok(count(/\bper\b|\ban hour\b|\ba minute\b|\ba day\b|\bevery\b/) >= 20, "rates");
    assert.ok(count(/\bminutes?\b|\bhours?\b|\bseconds?\b|\d:\d\d/) >= 15, "times");
  });

  it("passes the identity check and yields number-swap and newline variants for every problem", async () => {
    const { problems } = await resolveDataset("litmus-mini");
    const run = runProbes(problems, parseProbeList("number-swap,newline"), 1);
    const failures: string[] = [];
    for (const p of problems) {
      const lift = liftProgram(p.question, p.answer);
      const probes = new Set(run.variants.filter((v) => v.problemId === p.id).map((v) => v.probe));
      if (!lift.ok) failures.push(`${p.id}: identity check failed (${lift.reason})`);
      for (const probe of ["number-swap", "newline"])
        if (!probes.has(probe)) failures.push(`${p.id}: no ${probe} variant`);
    }
    assert.deepEqual(failures, []);
    assert.equal(run.errors.length, 0);
  });

  it("ships a fixed, disjoint, covering leaked/unseen split that follows its documented rule", async () => {
    const { problems } = await resolveDataset("litmus-mini");
    const split = await readLitmusMiniSplit();
    const ids = problems.map((p) => p.id);
    assert.deepEqual([...split.leaked, ...split.unseen].sort(), [...ids].sort());
    assert.equal(new Set([...split.leaked, ...split.unseen]).size, ids.length);
    const key = (id: string) => createHash("sha256").update(`litmus-mini-split-v1:${id}`).digest("hex");
    const order = [...ids].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    const half = Math.ceil(ids.length / 2);
    assert.deepEqual(new Set(split.leaked), new Set(order.slice(0, half)));
  });

  it("loads the leaked and unseen splits with the same ids as in the full set", async () => {
    const split = await readLitmusMiniSplit();
    const all = await resolveDataset("litmus-mini");
    const byId = new Map(all.problems.map((p) => [p.id, p]));
    for (const name of ["leaked", "unseen"] as const) {
      const ds = await resolveDataset("litmus-mini", { split: name });
      assert.deepEqual(
        ds.problems.map((p) => p.id),
        split[name],
      );
      for (const p of ds.problems) assert.equal(p.hash, byId.get(p.id)?.hash);
    }
    await assert.rejects(resolveDataset("litmus-mini", { split: "test" }), /unknown split/);
  });
});
