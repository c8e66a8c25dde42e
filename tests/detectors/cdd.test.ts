import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cdd, textUnits, tokenEditDistance } from "../../src/detectors/cdd.js";

describe("CDD", () => {
  it("token edit distance (fast-levenshtein path and the DP path for large ids)", () => {
    assert.equal(tokenEditDistance([1, 2, 3], [1, 2, 3]), 0);
    assert.equal(tokenEditDistance([1, 2, 3], [1, 3]), 1);
    assert.equal(tokenEditDistance([1, 2, 3], [4, 5, 6, 7]), 4);
    // Ids in the surrogate block map outside it and stay one character each.
    assert.equal(tokenEditDistance([0xd800, 0xdc00], [0xd800, 0xdc01]), 1);
    assert.equal(tokenEditDistance([70000, 1, 2], [70000, 2]), 1);
  });

  it("identical samples: peakedness 1, flagged", () => {
    const g = [5, 6, 7, 8];
    const r = cdd(g, [g, g, g]);
    assert.deepEqual(r.distances, [0, 0, 0]);
    assert.equal(r.peakedness, 1);
    assert.equal(r.flagged, true);
  });

  it("counts samples within alpha * longest length", () => {
    // Longest sample 20 tokens; alpha 0.1 -> distance <= 2 counts.
    const g = Array.from({ length: 20 }, (_, i) => i);
    const s1 = [...g]; // 0
    const s2 = [...g.slice(0, 18), 100, 101]; // 2
    const s3 = [...g.slice(0, 17), 100, 101, 102]; // 3
    const s4 = Array.from({ length: 20 }, (_, i) => 200 + i); // 20
    const r = cdd(g, [s1, s2, s3, s4], { alpha: 0.1, xi: 0.5 });
    assert.deepEqual(r.distances, [0, 2, 3, 20]);
    assert.equal(r.maxLength, 20);
    assert.equal(r.peakedness, 0.5);
    assert.equal(r.flagged, false); // 0.5 is not > 0.5
    // Defaults: alpha 0.05 -> limit 1: only s1; 1/4 > 0.01 -> flagged.
    const d = cdd(g, [s1, s2, s3, s4]);
    assert.equal(d.peakedness, 0.25);
    assert.equal(d.flagged, true);
    // All far: peakedness 0, not flagged.
    assert.equal(cdd(g, [s4, s4]).flagged, false);
  });

  it("compares only the first maxTokens tokens", () => {
    const g = Array.from({ length: 150 }, (_, i) => i);
    const s = [...g.slice(0, 100), ...Array.from({ length: 50 }, () => 9999)];
    const r = cdd(g, [s]);
    assert.deepEqual(r.distances, [0]);
    assert.equal(r.maxLength, 100);
    assert.equal(cdd(g, [s], { maxTokens: 150 }).distances[0], 50);
    assert.equal(cdd(g, []).peakedness, 0);
  });

  it("word units for text-only completions", () => {
    const vocab = new Map<string, number>();
    assert.deepEqual(textUnits("She has 3 apples.", vocab), [0, 1, 2, 3, 4]);
    assert.deepEqual(textUnits("She has 4 apples", vocab), [0, 1, 5, 3]);
  });
});
