/**
 * Paired checkpoint comparison. The simulation: two checkpoints on the same 1,000 problems, where
 * problems differ in difficulty (so both models mostly solve, or miss, the same ones) and the new
 * checkpoint has lost 3 points of accuracy. The paired test (McNemar over the shared prompts)
 * must flag the regression in most simulated worlds; the unpaired comparison of two independent
 * proportions (what `--baseline` did before, from the two summaries' intervals) must miss it in
 * most of them.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compareCheckpoints, holm, type UnitOutcome } from "../../src/metrics/checkpoint.js";
import { normalQuantile, wilsonInterval } from "../../src/metrics/stats.js";
import { createRng } from "../../src/util/rng.js";

const OPTIONS = { alpha: 0.05, resamples: 2000, seed: 1, level: 0.95, ks: [1] };
/** The simulations compare greedy accuracy only (McNemar), without the bootstrap of pass@k. */
const GREEDY_ONLY = { ...OPTIONS, ks: [] };

function unit(problemId: string, correct: boolean, label = "original"): UnitOutcome {
  return {
    problemId,
    unit: label === "original" ? `${problemId}/original` : `${problemId}/${label}/k/abc`,
    label,
    answerChanged: false,
    greedy: correct,
    samples: [correct],
    stale: 0,
    completions: 2,
  };
}

/** A world: base accuracy about 60% over problems of varied difficulty; the current model loses 3 points. */
function world(seed: number): { base: UnitOutcome[]; cur: UnitOutcome[] } {
  const rng = createRng(seed);
  const base: UnitOutcome[] = [];
  const cur: UnitOutcome[] = [];
  const solvedByBase: number[] = [];
  for (let i = 0; i < 1000; i++) {
    // Difficulty: most problems are easy or hard for both models; a few are a coin flip.
    const r = rng.next();
    const p = r < 0.55 ? 0.97 : r < 0.9 ? 0.03 : 0.5;
    const b = rng.next() < p;
    // The current model answers like the baseline, up to its own noise on the coin-flip problems.
    const c = p === 0.5 ? rng.next() < 0.5 : b;
    base.push(unit(`p:${i}`, b));
    cur.push(unit(`p:${i}`, c));
    if (b && c) solvedByBase.push(i);
  }
  // The regression: 30 problems (3 points) both solved, now missed.
  for (let j = 0; j < 30; j++) {
    const k = Math.floor(rng.next() * solvedByBase.length);
    const i = solvedByBase.splice(k, 1)[0] as number;
    cur[i] = unit(`p:${i}`, false);
  }
  return { base, cur };
}

/**
 * The unpaired comparison (what `--baseline` did before, from two summaries): the difference of two
 * accuracies against its standard error, each read off its run's 95% Wilson interval.
 */
function unpairedRegression(base: readonly UnitOutcome[], cur: readonly UnitOutcome[]): boolean {
  const z = normalQuantile(0.975);
  const estimate = (units: readonly UnitOutcome[]) => {
    const right = units.filter((u) => u.greedy).length;
    const [lo, hi] = wilsonInterval(right, units.length) as [number, number];
    return { value: right / units.length, se: (hi - lo) / (2 * z) };
  };
  const b = estimate(base);
  const c = estimate(cur);
  const diff = c.value - b.value;
  return diff < 0 && Math.abs(diff) / Math.hypot(b.se, c.se) > z;
}

describe("paired checkpoint comparison", () => {
  it("one problem, or three, can never make a significant difference", () => {
    for (const n of [1, 3]) {
      const base: UnitOutcome[] = [];
      const cur: UnitOutcome[] = [];
      for (let i = 0; i < n; i++) {
        // Ten variants each, all solved before and all missed now.
        for (let v = 0; v < 10; v++) {
          base.push({ ...unit(`p:${i}`, true, "newline"), unit: `p:${i}/newline/k/${v}` });
          cur.push({ ...unit(`p:${i}`, false, "newline"), unit: `p:${i}/newline/k/${v}` });
        }
      }
      const acc = compareCheckpoints(base, cur, OPTIONS).figures.find((f) => f.metric === "accuracy.newline");
      assert.ok(acc && acc.diff === -1 && !acc.regression, `${n} problems: p ${acc?.p}`);
      assert.ok((acc?.p ?? 0) >= 0.25, `${n} problems: p ${acc?.p}`);
    }
  });

  it("Holm: adjusted p-values are step-down multiples, monotone in p", () => {
    assert.deepEqual(holm([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06]);
    assert.deepEqual(holm([0.5]), [0.5]);
  });

  it("detects a 3-point regression that the unpaired comparison misses (200 simulated worlds)", () => {
    let paired = 0;
    let unpaired = 0;
    const worlds = 200;
    for (let s = 1; s <= worlds; s++) {
      const { base, cur } = world(s);
      const figure = compareCheckpoints(base, cur, GREEDY_ONLY).figures.find(
        (f) => f.metric === "accuracy.original",
      );
      assert.ok(figure);
      if (figure.regression) paired++;
      if (unpairedRegression(base, cur)) unpaired++;
    }
    assert.ok(paired >= 0.9 * worlds, `paired test flagged ${paired} of ${worlds}`);
    assert.ok(unpaired <= 0.5 * worlds, `unpaired test flagged ${unpaired} of ${worlds}`);
  });

  it("flags nothing when the checkpoints are the same model (false alarms near alpha)", () => {
    let alarms = 0;
    for (let s = 1; s <= 200; s++) {
      const { base } = world(s);
      // The same model run again: only the coin-flip problems change, both ways alike.
      const rng = createRng(1000 + s);
      const again = base.map((u) =>
        unit(u.problemId, u.greedy === true ? rng.next() < 0.98 : rng.next() < 0.02),
      );
      const figure = compareCheckpoints(base, again, GREEDY_ONLY).figures.find(
        (f) => f.metric === "accuracy.original",
      );
      if (figure?.regression) alarms++;
    }
    assert.ok(alarms <= 0.05 * 200 + 5, `${alarms} false alarms of 200`);
  });

  it("pairs prompts by id: drops, stale rates and pass@k by paired bootstrap; counts what is not shared", () => {
    const base: UnitOutcome[] = [];
    const cur: UnitOutcome[] = [];
    for (let i = 0; i < 200; i++) {
      base.push(unit(`p:${i}`, true), { ...unit(`p:${i}`, i % 2 === 0, "newline") });
      // The current model breaks on newline variants: the drop grows from 0.5 to 1.
      cur.push(unit(`p:${i}`, true), { ...unit(`p:${i}`, false, "newline") });
    }
    base.push(unit("only-base", true));
    cur.push(unit("only-cur", true), unit("only-cur-2", false));
    const result = compareCheckpoints(base, cur, OPTIONS);
    assert.deepEqual(result.shared, { problems: 200, units: 400 });
    assert.deepEqual(result.onlyBaseline, { problems: 1, units: 1 });
    assert.deepEqual(result.onlyCurrent, { problems: 2, units: 2 });
    const drop = result.figures.find((f) => f.metric === "drop.newline");
    assert.ok(drop && drop.test === "sign-flip");
    assert.equal(drop.baseline, 0.5);
    assert.equal(drop.current, 1);
    assert.ok(drop.regression && drop.ci && drop.ci[0] > 0, JSON.stringify(drop));
    // Variants are tested per problem (a problem's variants are not independent), originals by McNemar.
    const acc = result.figures.find((f) => f.metric === "accuracy.newline");
    assert.equal(acc?.test, "sign-flip");
    assert.equal(acc?.regression, true);
    assert.ok((acc?.adjustedP ?? 1) >= (acc?.p ?? 0), "Holm never lowers a p-value");
    const original = result.figures.find((f) => f.metric === "accuracy.original");
    assert.equal(original?.regression, false);
    assert.equal(original?.p, 1);
  });
});
