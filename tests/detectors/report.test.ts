import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { computeDetectorScores, detectorMetrics } from "../../src/detectors/report.js";
import type { Backend, ScoreRequest } from "../../src/runner/types.js";
import type { Problem, Variant } from "../../src/types/index.js";

const problem = (id: string): Problem =>
  ({
    id,
    source: "t",
    line: 1,
    question: `Q ${id}?`,
    answer: "A\n#### 1",
    finalAnswer: "1",
    hash: id,
  }) as Problem;
const variant = (p: string, probe: string, changed: boolean): Variant =>
  ({
    id: `${p}/${probe}/k/0`,
    problemId: p,
    probe,
    kind: "k",
    question: `V ${p} ${probe}?`,
    edits: [],
    expected: "1",
    originalAnswer: "1",
    solution: "B\n#### 1",
    answerChanged: changed,
    seed: 1,
  }) as Variant;

/** Originals score -1 per token, variants -2 (two tokens each, sigma 1, mu -1.5). */
const backend: Backend = {
  id: "fake",
  generate: async () => [],
  score: async (reqs: ScoreRequest[]) =>
    reqs.map((r) => {
      const lp = r.text.startsWith("Q") ? -1 : -2;
      return {
        requestId: r.id,
        tokenIds: [1, 2],
        logprobs: [lp, lp],
        meanLogprob: [-1.5, -1.5],
        varLogprob: [1, 1],
      };
    }),
  close: async () => {},
};

describe("detector report", () => {
  it("likelihood gaps, CDD per label and flat metrics", async () => {
    const problems = [problem("p1"), problem("p2")];
    const variants = [
      variant("p1", "newline", false),
      variant("p1", "number-swap", true),
      variant("p2", "newline", false),
    ];
    const c = (
      problemId: string,
      variantId: string | null,
      probe: string,
      sampleIndex: number | null,
      text: string,
    ) => ({
      problemId,
      variantId,
      probe,
      sampleIndex,
      text,
    });
    const completions = [
      c("p1", null, "original", null, "the answer is 5"),
      c("p1", null, "original", 0, "the answer is 5"),
      c("p1", null, "original", 1, "the answer is 5"),
      c("p1", "p1/newline/k/0", "newline", null, "one two three four"),
      c("p1", "p1/newline/k/0", "newline", 0, "five six seven eight"),
      c("p1", "p1/newline/k/0", "newline", 1, "nine ten eleven twelve"),
    ];
    const r = await computeDetectorScores({ problems, variants, completions }, backend, { resamples: 200 });
    const p1 = r.problems[0]!;
    assert.equal(p1.original!.perToken, -1);
    assert.equal(p1.original!.minKPlusPlus, 0.5); // (-1 - -1.5) / 1
    assert.equal(p1.neighbours[0]!.minKPlusPlus, -0.5);
    assert.equal(p1.gap, 1);
    assert.equal(p1.gapAnswerPreserving, 1);
    assert.equal(p1.gapAnswerChanging, 1);
    assert.equal(p1.cddOriginal!.peakedness, 1);
    assert.equal(p1.cddVariantMean, 0);
    assert.deepEqual(p1.evidence, ["likelihood-gap", "min-k++-top", "cdd-peaked"]);
    assert.equal(r.gap!.all.mean, 1);
    assert.equal(r.gap!.all.signTest.pValue, 0.25); // 2 of 2 positive
    assert.equal(r.cdd.byLabel["original"]!.flagged.value, 1);
    assert.equal(r.cdd.byLabel["newline"]!.flagged.value, 0);
    assert.equal(r.settings.cdd.units, "words");
    const m = detectorMetrics(r);
    assert.equal(m["detector.min_k.original"], -1);
    assert.equal(m["detector.min_k.newline"], -2);
    assert.equal(m["detector.gap"], 1);
    assert.equal(m["detector.exchangeability_p"], null);
    // Without a backend: CDD only.
    const textOnly = await computeDetectorScores({ problems, variants, completions }, null);
    assert.equal(textOnly.likelihood, null);
    assert.equal(textOnly.problems[0]!.evidence.join(), "cdd-peaked");
  });
});

describe("CDD with a completion cut at --max-completion-bytes", () => {
  // Token keys one character each: a sample one character off the greedy is within alpha * l
  // (0.05 x 25 = 1.25 tokens) but, as one word, a whole word off in words.
  const long = "a".repeat(25);
  const near = `${"a".repeat(24)}b`;
  const c = (problemId: string, sampleIndex: number | null, text: string, truncated = false) => ({
    problemId,
    variantId: null,
    probe: "original",
    sampleIndex,
    text,
    ...(truncated ? { truncated: true } : { tokens: [...text] }),
  });
  const problems = [problem("p1"), problem("p2"), problem("p3")];
  const whole = [
    c("p1", null, long),
    c("p1", 0, near),
    c("p1", 1, near),
    c("p2", null, long),
    c("p2", 0, near),
    c("p2", 1, "zzzz zzzz zzzz zzzz zzzz"),
    c("p3", null, long),
    c("p3", 0, long),
    c("p3", 1, near),
  ];

  it("leaves the cut completion out, counts it, and measures every other prompt in tokens as before", async () => {
    const base = await computeDetectorScores({ problems, variants: [], completions: whole }, null, {
      resamples: 200,
    });
    // p2's sample 1 cut: its text is partial and it has no tokens.
    const cut = whole.map((x) =>
      x.problemId === "p2" && x.sampleIndex === 1 ? c("p2", 1, "zzzz zzzz zz", true) : x,
    );
    const r = await computeDetectorScores({ problems, variants: [], completions: cut }, null, {
      resamples: 200,
    });
    assert.equal(base.settings.cdd.units, "tokens");
    assert.equal(r.settings.cdd.units, "tokens");
    assert.equal(base.cdd.truncatedLeftOut, 0);
    assert.equal(r.cdd.truncatedLeftOut, 1);
    // p1 and p3: the same figures, solved by hand: distances 1 and 1 (p1), 0 and 1 (p3), all within 1.25.
    assert.deepEqual(r.problems[0]!.cddOriginal, base.problems[0]!.cddOriginal);
    assert.deepEqual(r.problems[2]!.cddOriginal, base.problems[2]!.cddOriginal);
    assert.deepEqual(r.problems[0]!.cddOriginal!.distances, [1, 1]);
    assert.deepEqual(r.problems[2]!.cddOriginal!.distances, [0, 1]);
    assert.equal(r.problems[0]!.cddOriginal!.peakedness, 1);
    // p2 compares the sample it has (one character off): one distance, peakedness 1 (was 1/2).
    assert.deepEqual(r.problems[1]!.cddOriginal!.distances, [1]);
    assert.equal(r.problems[1]!.cddOriginal!.peakedness, 1);
    assert.equal(base.problems[1]!.cddOriginal!.peakedness, 0.5);
  });

  it("a cut greedy completion leaves its prompt without CDD, the others unchanged", async () => {
    const base = await computeDetectorScores({ problems, variants: [], completions: whole }, null, {
      resamples: 200,
    });
    const cut = whole.map((x) =>
      x.problemId === "p3" && x.sampleIndex === null ? c("p3", null, "aaa", true) : x,
    );
    const r = await computeDetectorScores({ problems, variants: [], completions: cut }, null, {
      resamples: 200,
    });
    assert.equal(r.problems[2]!.cddOriginal, null);
    assert.deepEqual(r.problems[0]!.cddOriginal, base.problems[0]!.cddOriginal);
    assert.deepEqual(r.problems[1]!.cddOriginal, base.problems[1]!.cddOriginal);
    assert.equal(r.settings.cdd.units, "tokens");
  });
});
