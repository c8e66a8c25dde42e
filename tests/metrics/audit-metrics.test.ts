import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  checkThresholds,
  DEFAULT_THRESHOLDS,
  problemVerdict,
  scoreCompletion,
  staleAnswerRate,
  summarizeDataset,
  summarizeUnits,
} from "../../src/metrics/index.js";
import type { ScoredCompletion } from "../../src/types/audit.js";

/** A completion on problem `p` (original answer `orig`); `variant` null for the original. */
function sc(
  p: string,
  orig: string,
  variant: string | null,
  expected: string,
  answer: string | null,
  sampleIndex: number | null = null,
  probe = variant === null ? "original" : "number-swap",
): ScoredCompletion {
  return {
    problemId: p,
    variantId: variant,
    probe,
    sampleIndex,
    answer,
    expected,
    originalAnswer: orig,
    answerChanged: expected !== orig,
    correct: answer !== null && Number(answer) === Number(expected),
  };
}

describe("tier 1: scoreCompletion", () => {
  const req = {
    stop: ["Question:"],
    expected: "12",
    originalAnswer: "10",
    answerChanged: true,
    variantId: "p/v",
  };
  it("marks a correct answer, a stale answer, and no answer", () => {
    assert.deepEqual(
      { ...scoreCompletion(" 6*2=12\n#### 12", req), extraction: undefined },
      { extraction: undefined, correct: true, stale: false },
    );
    const stale = scoreCompletion(" It is 10.\n\nQuestion: 12 more?", req);
    assert.equal(stale.extraction.answer, "10");
    assert.deepEqual([stale.correct, stale.stale], [false, true]);
    const none = scoreCompletion(" no idea", req);
    assert.deepEqual(
      [none.extraction.answer, none.extraction.rule, none.correct, none.stale],
      [null, null, false, false],
    );
  });
  it("is never stale on the original or on answer-preserving variants", () => {
    assert.equal(scoreCompletion("#### 10", { ...req, variantId: null }).stale, false);
    assert.equal(scoreCompletion("#### 10", { ...req, answerChanged: false }).stale, false);
  });
});

describe("stale-answer rate", () => {
  it("counts original answers on answer-changing variants, with a Wilson interval", () => {
    const cs = [
      sc("p1", "10", "p1/v", "12", "10"),
      sc("p1", "10", "p1/v", "12", "10.0", 0),
      sc("p1", "10", "p1/v", "12", "12", 1),
      sc("p1", "10", "p1/w", "10", "10"), // answer-preserving: not counted
      sc("p1", "10", null, "10", "10"), // original: not counted
      sc("p2", "5", "p2/v", "7", null),
    ];
    const out = staleAnswerRate(cs);
    assert.equal(out.rate.successes, 2);
    assert.equal(out.rate.total, 4);
    assert.equal(out.rate.value, 0.5);
    assert.ok(out.rate.ci && out.rate.ci[0] < 0.5 && out.rate.ci[1] > 0.5);
  });

  it("chance baseline: how often other problems' variants get this problem's original answer", () => {
    const cs = [
      // p1: original 10; its one variant completion is stale.
      sc("p1", "10", "p1/v", "12", "10"),
      // p2: original 20; 4 completions, one says 10 (p1's original), none says 20.
      sc("p2", "20", "p2/v", "25", "10", 0),
      sc("p2", "20", "p2/v", "25", "25", 1),
      sc("p2", "20", "p2/v", "25", "3", 2),
      sc("p2", "20", "p2/v", "25", "4", 3),
      // p3: original 10 too: its completions are not chance evidence for p1 (they could be stale).
      sc("p3", "10", "p3/v", "11", "10"),
      // p4: expected 10 is a correct answer there, not coincidence.
      sc("p4", "7", "p4/v", "10", "10"),
    ];
    const out = staleAnswerRate(cs);
    // p1 and p3 (a = 10): qualifying = p2's 4 completions, 1 of them says 10 -> 1/4 each.
    // p2's 4 completions (a = 20): qualifying = p1, p3, p4 (3), none says 20 -> 0 each.
    // p4 (a = 7): qualifying = the 6 others, none says 7 -> 0.
    assert.equal(out.baseline, (1 / 4 + 1 / 4) / 7);
    assert.equal(out.rate.successes, 2);
    assert.equal(out.lift, 2 / 7 / ((1 / 4 + 1 / 4) / 7));
  });

  it("no answer-changing completions: empty rate, no baseline", () => {
    const out = staleAnswerRate([sc("p1", "10", null, "10", "10")]);
    assert.equal(out.rate.total, 0);
    assert.equal(out.rate.value, null);
    assert.equal(out.baseline, null);
    assert.equal(out.lift, null);
  });
});

describe("verdicts", () => {
  const solvedOriginal = [sc("p", "10", null, "10", "10")];
  it("unsolved when the original fails, whatever the variants do", () => {
    const v = problemVerdict("p", [sc("p", "10", null, "10", "9"), sc("p", "10", "p/v", "12", "10")]);
    assert.equal(v.verdict, "unsolved");
  });
  it("memorized when the stale answer dominates the answer-changing variants", () => {
    const v = problemVerdict("p", [
      ...solvedOriginal,
      sc("p", "10", "p/v", "12", "10"),
      sc("p", "10", "p/v", "12", "10", 0),
      sc("p", "10", "p/v", "12", "12", 1),
    ]);
    assert.equal(v.verdict, "memorized");
    assert.equal(v.staleShare, 2 / 3);
  });
  it("not memorized at an even split with the correct answer", () => {
    const v = problemVerdict("p", [
      ...solvedOriginal,
      sc("p", "10", "p/v", "12", "10"),
      sc("p", "10", "p/v", "12", "12", 0),
    ]);
    assert.equal(v.verdict, "robust");
  });
  it("fragile when an answer-preserving variant fails; robust otherwise", () => {
    const fragile = problemVerdict("p", [
      ...solvedOriginal,
      sc("p", "10", "p/nl", "10", "10", null, "newline"),
      sc("p", "10", "p/rn", "10", "8", null, "rename"),
    ]);
    assert.equal(fragile.verdict, "fragile");
    assert.deepEqual(fragile.failedVariants, ["p/rn"]);
    assert.equal(
      problemVerdict("p", [...solvedOriginal, sc("p", "10", "p/nl", "10", "10")]).verdict,
      "robust",
    );
  });
  it("thresholds are configurable", () => {
    const cs = [
      ...solvedOriginal,
      sc("p", "10", "p/v", "12", "10"),
      sc("p", "10", "p/v", "12", "2", 0),
      sc("p", "10", "p/v", "12", "1", 1),
    ];
    assert.equal(problemVerdict("p", cs).verdict, "robust");
    assert.equal(
      problemVerdict("p", cs, { ...DEFAULT_THRESHOLDS, memorizedMinStaleShare: 0.3 }).verdict,
      "memorized",
    );
    assert.equal(
      checkThresholds({ ...DEFAULT_THRESHOLDS, variantFailBelow: 1.5 }),
      "variantFailBelow must be in [0, 1], got 1.5",
    );
    assert.equal(checkThresholds(DEFAULT_THRESHOLDS), null);
  });
});

describe("tiers 2 and 3", () => {
  const cs: ScoredCompletion[] = [];
  // 4 problems; original greedy right on p0..p2; number-swap variant right only on p3.
  for (let i = 0; i < 4; i++) {
    const p = `p${i}`;
    cs.push(sc(p, "10", null, "10", i < 3 ? "10" : "1"));
    for (let j = 0; j < 4; j++) cs.push(sc(p, "10", null, "10", j < i ? "10" : "0", j));
    cs.push(sc(p, "10", `${p}/v`, "20", i === 3 ? "20" : "10"));
    for (let j = 0; j < 4; j++) cs.push(sc(p, "10", `${p}/v`, "20", j === 0 ? "20" : "10", j));
  }

  it("reduces each prompt to greedy correctness and pass@k", () => {
    const units = summarizeUnits(cs);
    assert.equal(units.length, 8);
    const p2 = units.find((u) => u.problemId === "p2" && u.variantId === null);
    assert.deepEqual(p2, {
      problemId: "p2",
      variantId: null,
      probe: "original",
      greedyCorrect: true,
      samples: 4,
      correctSamples: 2,
      passAtK: { 1: 0.5, 2: 1 - (1 - 2 / 3) * (1 - 2 / 4), 3: 1, 4: 1 },
    });
  });

  it("summarises the data set per probe with paired drop, stale rate and verdicts", () => {
    const s = summarizeDataset(cs, { ks: [1, 2, 8], bootstrap: { seed: 9, resamples: 1000 } });
    assert.deepEqual(
      s.probes.map((p) => p.probe),
      ["original", "number-swap"],
    );
    const [orig, swap] = s.probes as [NonNullable<(typeof s.probes)[0]>, NonNullable<(typeof s.probes)[0]>];
    assert.equal(orig.greedyAccuracy.value, 0.75);
    assert.equal(orig.passAtK[1]?.value, (0 + 0.25 + 0.5 + 0.75) / 4);
    assert.equal(orig.passAtK[8]?.value, null, "no unit has 8 samples");
    assert.equal(orig.drop, null);
    assert.equal(swap.greedyAccuracy.value, 0.25);
    assert.equal(swap.drop?.drop, 0.5);
    assert.deepEqual(swap.drop?.mcnemar, { b: 3, c: 1, pValue: 0.625 });
    assert.equal(swap.stale?.rate.successes, 3 + 12);
    assert.equal(swap.stale?.rate.total, 20);
    // Pooled original accuracy (greedy + samples): p0 1/5, p1 2/5 (unsolved), p2 3/5, p3 3/5 (solved).
    assert.deepEqual(s.verdictCounts, { memorized: 2, suspect: 0, fragile: 0, robust: 0, unsolved: 2 });
    assert.deepEqual(summarizeDataset(cs, { ks: [1, 2, 8], bootstrap: { seed: 9, resamples: 1000 } }), s);
  });
});
