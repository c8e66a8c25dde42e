import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  countVerdicts,
  type ProblemVerdict,
  SUSPECT_MIN_EVIDENCE,
  withDetectorEvidence,
} from "../../src/metrics/index.js";

const verdict = (problemId: string, v: ProblemVerdict["verdict"]): ProblemVerdict => ({
  problemId,
  verdict: v,
  originalAccuracy: v === "unsolved" ? 0 : 1,
  staleShare: v === "memorized" ? 1 : 0,
  failedVariants: v === "fragile" ? [`${problemId}/newline-0`] : [],
});

describe("verdicts with detector evidence", () => {
  const verdicts = [
    verdict("a", "robust"),
    verdict("b", "fragile"),
    verdict("c", "robust"),
    verdict("d", "memorized"),
    verdict("e", "unsolved"),
    verdict("f", "robust"),
  ];
  const evidence = new Map<string, string[]>([
    ["a", ["likelihood-gap", "min-k++-top"]],
    ["b", ["likelihood-gap", "cdd-peaked"]],
    ["c", ["likelihood-gap"]],
    ["d", ["cdd-peaked"]],
    ["e", ["likelihood-gap", "min-k++-top", "cdd-peaked"]],
  ]);

  it("makes solved, behaviourally clean problems with enough flags suspect, and nothing else", () => {
    assert.equal(SUSPECT_MIN_EVIDENCE, 2);
    const out = withDetectorEvidence(verdicts, evidence);
    assert.deepEqual(
      out.map((v) => v.verdict),
      ["suspect", "suspect", "robust", "memorized", "unsolved", "robust"],
    );
    assert.deepEqual(out[3]!.evidence, ["cdd-peaked"], "a memorized verdict carries its corroboration");
    assert.deepEqual(out[5]!.evidence, [], "no flags recorded as none");
    assert.deepEqual(countVerdicts(out), { memorized: 1, suspect: 2, fragile: 0, robust: 2, unsolved: 1 });
  });

  it("takes the evidence bar as a parameter and leaves its input alone", () => {
    const strict = withDetectorEvidence(verdicts, evidence, 3);
    assert.equal(strict.filter((v) => v.verdict === "suspect").length, 0);
    assert.equal(verdicts[0]!.verdict, "robust");
    assert.equal(verdicts[0]!.evidence, undefined);
  });
});
