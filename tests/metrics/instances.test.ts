import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type InstanceOutcome, requestedInstances, summarizeInstances } from "../../src/metrics/instances.js";

const o = (problemId: string, kind: string, instance: number, correct: boolean): InstanceOutcome => ({
  problemId,
  probe: "number-swap",
  kind,
  instance,
  correct,
});

describe("instance sets", () => {
  it("gives each set's accuracy, their mean and spread, the originals and each problem's accuracy", () => {
    const outcomes = [
      o("p3", "one-quantity", 1, false),
      o("p1", "one-quantity", 1, true),
      o("p1", "one-quantity", 2, false),
      o("p2", "one-quantity", 2, true),
      o("p2", "one-quantity", 1, true),
      o("p1", "two-quantities", 1, true),
      o("p1", "two-quantities", 2, true),
    ];
    const originals = new Map([
      ["p1", true],
      ["p2", true],
      ["p3", false],
    ]);
    const s = summarizeInstances(outcomes, originals, 2, {
      problems: ["p1", "p2", "p3"],
      probes: ["number-swap"],
    });
    const one = s.distributions[0];
    assert.ok(one);
    assert.equal(one.kind, "one-quantity");
    // By hand: p3 has one instance of two, so the sets are over p1 and p2 alone (the problems with
    // both): set 1 = p1 right, p2 right -> 2/2; set 2 = p1 wrong, p2 right -> 1/2.
    assert.deepEqual(
      one.sets.map((x) => [x.instance, x.problems, x.correct]),
      [
        [1, 2, 2],
        [2, 2, 1],
      ],
    );
    assert.equal(one.mean, 0.75);
    // Sample sd of {1, 1/2}: both 1/4 from the mean, sqrt(2 / 16 / 1).
    assert.ok(Math.abs((one.sd as number) - Math.sqrt(1 / 8)) < 1e-12);
    assert.equal(one.min, 0.5);
    assert.equal(one.max, 1);
    assert.equal(one.problems, 3);
    assert.equal(one.full, 2);
    assert.equal(one.short, 1, "p3 has one instance of two");
    // The originals over the same two problems: both right.
    assert.deepEqual(one.original, { problems: 2, correct: 2, accuracy: 1 });
    // p3 apart: its one instance wrong, its original wrong.
    assert.deepEqual(one.shortProblems, {
      problems: 1,
      instances: 1,
      correct: 0,
      accuracy: 0,
      original: { problems: 1, correct: 0, accuracy: 0 },
    });
    // Kinds stay apart: two-quantities has p1 alone, right twice, one set each.
    const two = s.distributions[1];
    assert.equal(two?.kind, "two-quantities");
    assert.deepEqual(
      two?.sets.map((x) => x.accuracy),
      [1, 1],
    );
    assert.equal(two?.sd, 0);
    assert.deepEqual(two?.original, { problems: 1, correct: 1, accuracy: 1 });
    assert.deepEqual(two?.shortProblems, {
      problems: 0,
      instances: 0,
      correct: 0,
      accuracy: null,
      original: { problems: 0, correct: 0, accuracy: 0 },
    });
    assert.deepEqual(
      s.problems.map((p) => [p.problemId, p.kind, p.instances, p.correct]),
      [
        ["p1", "one-quantity", 2, 1],
        ["p1", "two-quantities", 2, 2],
        ["p2", "one-quantity", 2, 2],
        ["p3", "one-quantity", 1, 0],
      ],
    );
  });

  it("has no sets when no problem has all K, and reports the short ones apart", () => {
    const s = summarizeInstances(
      [o("p1", "one-quantity", 1, true), o("p2", "one-quantity", 1, false), o("p2", "one-quantity", 2, true)],
      new Map([
        ["p1", false],
        ["p2", true],
      ]),
      3,
      { problems: ["p1", "p2"], probes: ["number-swap"] },
    );
    const d = s.distributions[0];
    assert.ok(d);
    assert.deepEqual(
      [d.sets, d.mean, d.sd, d.min, d.max, d.full, d.short],
      [[], null, null, null, null, 0, 2],
    );
    // By hand: 3 instances, 2 right; originals p1 wrong, p2 right.
    assert.deepEqual(d.shortProblems, {
      problems: 2,
      instances: 3,
      correct: 2,
      accuracy: 2 / 3,
      original: { problems: 2, correct: 1, accuracy: 0.5 },
    });
  });

  it("reads K from the probes' parameters", () => {
    assert.equal(requestedInstances({ newline: { kinds: [] }, "number-swap": { instances: 20 } }), 20);
    assert.equal(requestedInstances({ newline: {} }), 1);
  });
});
