import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sha256Hex } from "../../src/data/hash.js";
import { toJsonl } from "../../src/perturb-io/output.js";
import { parseProbeList } from "../../src/probes/registry.js";
import { runProbes } from "../../src/probes/run.js";
import type { Probe } from "../../src/probes/types.js";
import { deriveSeed } from "../../src/util/rng.js";
import { madeUpProblems, makeProblem } from "./fixtures.js";

const ALL = "newline,number-swap,price-edit,rename";

/** A probe that returns fixed variants, to test what the runner does with them. */
function fakeProbe(name: string, changesAnswer: boolean, expected: string[] | Error): Probe {
  return {
    name,
    changesAnswer,
    params: {},
    apply: () => {
      if (expected instanceof Error) throw expected;
      return {
        variants: expected.map((e) => ({ kind: "k", question: "Q?", edits: [], expected: e, solution: "S" })),
      };
    },
  };
}

describe("runProbes", () => {
  it("gives byte-identical JSONL for the same seed and different values for another", () => {
    const problems = madeUpProblems();
    const a = toJsonl(runProbes(problems, parseProbeList(ALL), 7).variants);
    const b = toJsonl(runProbes(madeUpProblems(), parseProbeList(ALL), 7).variants);
    assert.equal(a, b);
    const c = runProbes(problems, parseProbeList(ALL), 8).variants;
    const swapped = (text: string) =>
      text
        .split("\n")
        .filter((line) => line.includes('"probe":"number-swap"'))
        .map((line) => JSON.parse(line).expected);
    assert.notDeepEqual(swapped(a), swapped(toJsonl(c)));
  });

  it("orders variants by problem, then probe, with ids, seeds and answers filled in", () => {
    const problems = madeUpProblems();
    const probes = parseProbeList("rename,newline,number-swap");
    const { variants } = runProbes(problems, probes, 3);
    const order = (id: string) => problems.findIndex((p) => p.id === id);
    const probeOrder = (name: string) => probes.findIndex((p) => p.name === name);
    for (let i = 1; i < variants.length; i++) {
      const [prev, cur] = [variants[i - 1], variants[i]] as [(typeof variants)[0], (typeof variants)[0]];
      const key = (v: typeof prev) => order(v.problemId) * 10 + probeOrder(v.probe);
      assert.ok(key(prev) <= key(cur), `${prev.id} before ${cur.id}`);
    }
    const ids = variants.map((v) => v.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const v of variants) {
      // Content-addressed: the id ends in the first 10 hex digits of the question's sha256.
      assert.equal(v.id, `${v.problemId}/${v.probe}/${v.kind}/${sha256Hex(v.question).slice(0, 10)}`);
      assert.equal(v.seed, deriveSeed(3, v.probe, v.problemId));
      assert.equal(v.answerChanged, v.probe === "number-swap");
      assert.equal(v.answerChanged, v.expected !== v.originalAnswer);
    }
    const pizza = variants.filter((v) => v.problemId === "made-up:1");
    assert.ok(pizza.every((v) => v.originalAnswer === "36"));
    assert.ok(pizza.some((v) => v.probe === "number-swap" && v.kind === "one-quantity"));
  });

  it("counts coverage per probe and the reasons problems could not be lifted", () => {
    const { stats } = runProbes(madeUpProblems(), parseProbeList(ALL), 1);
    assert.equal(stats.problems, 6);
    assert.equal(stats.identity_ok, 5);
    assert.deepEqual(stats.reasons, { algebra: 1 });
    assert.deepEqual(Object.keys(stats.probes), ["newline", "number-swap", "price-edit", "rename"]);
    assert.equal(stats.probes["newline"]?.problems_with_variant, 6);
    // The algebra problem has no program to swap numbers in.
    assert.equal(stats.probes["number-swap"]?.reasons["algebra"], 1);
    // The stickers and the pages problems have no money amount.
    assert.equal(stats.probes["price-edit"]?.reasons["no_money_amount"], 2);
    for (const p of Object.values(stats.probes)) {
      const without = Object.values(p.reasons).reduce((a, b) => a + b, 0);
      assert.equal(p.problems_with_variant + without, 6);
    }
  });

  it("drops a variant whose answer contradicts its probe, and counts it", () => {
    const problem = makeProblem("Ann has 2 cats and 3 dogs. How many pets?", "2 + 3 = <<2+3=5>>5\n#### 5");
    const probes = [
      fakeProbe("claims-change", true, ["5.0", "6"]),
      fakeProbe("claims-same", false, ["7"]),
      fakeProbe("bad-number", true, ["1/3"]),
    ];
    const { variants, stats } = runProbes([problem], probes, 1);
    assert.deepEqual(
      variants.map((v) => [v.probe, v.expected, v.answerChanged]),
      [["claims-change", "6", true]],
    );
    assert.equal(stats.probes["claims-change"]?.guarded, 1);
    assert.deepEqual(stats.probes["claims-same"]?.reasons, { guard_rejected: 1 });
    assert.deepEqual(stats.probes["bad-number"]?.reasons, { guard_rejected: 1 });
  });

  it("reports a probe that throws without losing the other probes' variants", () => {
    const problem = makeProblem("Ann has 2 cats. Ben has 3. How many cats?", "2 + 3 = <<2+3=5>>5\n#### 5");
    const run = runProbes(
      [problem],
      [fakeProbe("broken", true, new Error("boom")), ...parseProbeList("newline")],
      1,
    );
    assert.deepEqual(run.errors, [{ problemId: "made-up:1", probe: "broken", message: "boom" }]);
    assert.deepEqual(run.stats.probes["broken"]?.reasons, { probe_error: 1 });
    assert.ok(run.variants.length > 0 && run.variants.every((v) => v.probe === "newline"));
  });

  it("never emits an answer-changing variant with the original answer", () => {
    for (let seed = 0; seed < 30; seed++) {
      for (const v of runProbes(madeUpProblems(), parseProbeList("number-swap,price-edit"), seed).variants) {
        assert.notEqual(v.expected, v.originalAnswer, v.id);
      }
    }
  });
});
