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
    // By hand: set 1 = p1 right, p2 right, p3 wrong -> 2/3; set 2 = p1 wrong, p2 right -> 1/2.
    assert.deepEqual(
      one.sets.map((x) => [x.instance, x.problems, x.correct]),
      [
        [1, 3, 2],
        [2, 2, 1],
      ],
    );
    assert.ok(Math.abs(one.mean - 7 / 12) < 1e-12);
    // Sample sd of {2/3, 1/2}: both 1/12 from the mean, sqrt(2 / 144 / 1).
    assert.ok(Math.abs((one.sd as number) - Math.sqrt(1 / 72)) < 1e-12);
    assert.equal(one.min, 0.5);
    assert.ok(Math.abs(one.max - 2 / 3) < 1e-12);
    assert.equal(one.problems, 3);
    assert.equal(one.short, 1, "p3 has one instance of two");
    assert.deepEqual(one.original, { problems: 3, correct: 2, accuracy: 2 / 3 });
    // Kinds stay apart: two-quantities has p1 alone, right twice, one set each.
    const two = s.distributions[1];
    assert.equal(two?.kind, "two-quantities");
    assert.deepEqual(
      two?.sets.map((x) => x.accuracy),
      [1, 1],
    );
    assert.equal(two?.sd, 0);
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

  it("reads K from the probes' parameters", () => {
    assert.equal(requestedInstances({ newline: { kinds: [] }, "number-swap": { instances: 20 } }), 20);
    assert.equal(requestedInstances({ newline: {} }), 1);
  });
});
