/**
 * Issue 19 review: an answer-changing variant whose original answer is a rounding of its new one
 * ($693.50 -> 694), would score a model that rounds or drops cents as
 * "stale". Every answer-changing probe refuses such variants (src/probes/stale-evidence.ts).
 * Expected answers below were worked out by hand.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { resolveDataset } from "../../src/data/index.js";
import { analyzeProblem, Rational } from "../../src/perturb/index.js";
import { decimal } from "../../src/probes/decimal.js";
import { priceEdit } from "../../src/probes/number-swap.js";
import { parseProbeList } from "../../src/probes/registry.js";
import { runProbes } from "../../src/probes/run.js";
import { ambiguousStaleEvidence } from "../../src/probes/stale-evidence.js";
import type { Problem } from "../../src/types/index.js";
import { createRng } from "../../src/util/rng.js";
import { sharedGsm8kFile } from "../helpers/data-fixtures.js";
import { makeProblem } from "./fixtures.js";

const r = (text: string) => Rational.parse(text) as Rational;
/**
 * Whether `original` is `answer` shortened to a whole number, tenths or hundredths (round half away
 * from zero, floor, ceil, truncate), in plain floating-point arithmetic, independent of Rational.
 */
const isRounding = (original: string, answer: string): boolean => {
  const x = Number(answer);
  const o = Number(original);
  return [1, 10, 100].some((f) => {
    const v = x * f;
    const shortened = [
      Math.floor(v + 1e-9),
      Math.ceil(v - 1e-9),
      Math.sign(v) * Math.floor(Math.abs(v) + 0.5 + 1e-9),
      Math.trunc(v + Math.sign(v) * 1e-9),
    ];
    return shortened.some((s) => Math.abs(s / f - o) < 1e-9);
  });
};

describe("stale evidence rules", () => {
  it("names roundings, floors, ceilings and truncations of the new answer", () => {
    assert.equal(ambiguousStaleEvidence(r("694"), r("693.5")), "original_answer_is_a_rounding");
    assert.equal(ambiguousStaleEvidence(r("243"), r("242.25")), "original_answer_is_a_rounding"); // ceil
    assert.equal(ambiguousStaleEvidence(r("110"), r("109.5")), "original_answer_is_a_rounding");
    assert.equal(ambiguousStaleEvidence(r("11"), r("11.75")), "original_answer_is_a_rounding"); // floor
    assert.equal(ambiguousStaleEvidence(r("-3"), r("-3.5")), "original_answer_is_a_rounding"); // toward zero
    // Tenths and cents: 6.75 floored (or truncated) to tenths is 6.7; 2.875 rounded to cents is 2.88.
    assert.equal(ambiguousStaleEvidence(r("6.7"), r("6.75")), "original_answer_is_a_rounding");
    assert.equal(ambiguousStaleEvidence(r("2.88"), r("2.875")), "original_answer_is_a_rounding");
  });

  it("leaves answers no rounding makes equal (however close), and the unchanged answer to the guards", () => {
    // Close, but giving 219.3 for 219.8 (or 6.7 for 6.8, 0.3 for 0.03) is the original answer itself.
    assert.equal(ambiguousStaleEvidence(r("219.3"), r("219.8")), null);
    assert.equal(ambiguousStaleEvidence(r("6.7"), r("6.8")), null);
    assert.equal(ambiguousStaleEvidence(r("0.3"), r("0.03")), null);
    assert.equal(ambiguousStaleEvidence(r("694"), r("695")), null);
    assert.equal(ambiguousStaleEvidence(r("694"), r("692.75")), null);
    assert.equal(ambiguousStaleEvidence(r("219.3"), r("220.3")), null);
    assert.equal(ambiguousStaleEvidence(r("12"), r("12")), null);
  });
});

describe("answer-changing probes refuse ambiguous stale evidence", () => {
  it("decimal: keeps only new answers at least one away from the original", () => {
    const outcome = decimal({ instances: 50 }).apply(
      analyzeProblem(
        makeProblem(
          "A pen costs $3 and a notebook costs $5. How much do 2 pens and a notebook cost?",
          "Two pens cost 2*3=$<<2*3=6>>6.\nWith the notebook: 6+5=$<<6+5=11>>11.\n#### 11",
        ),
      ),
      createRng(1),
    );
    // By hand: 2 * pen + notebook, original 11. $3 -> 2.25, 2.5, 2.75, 3.25, 3.5, 3.75 gives 9.5, 10,
    // 10.5, 11.5, 12, 12.5; $5 -> 4.25 .. 5.75 gives 10.25 .. 11.75. 10.5, 11.5 and every notebook
    // price round to (or floor or ceil to) 11: refused.
    const table = outcome.variants
      .map((v) => `${v.edits.map((e) => `${e.before}->${e.after}`).join(",")} = ${v.expected}`)
      .sort();
    assert.deepEqual(
      table,
      ["$3->$2.25 = 9.5", "$3->$2.50 = 10", "$3->$3.50 = 12", "$3->$3.75 = 12.5"].sort(),
    );
    assert.equal(outcome.refused?.["original_answer_is_a_rounding"], 8);
  });

  it("price-edit: no variant whose original answer is its new answer rounded", () => {
    const outcome = priceEdit({ instances: 200 }).apply(
      analyzeProblem(
        makeProblem(
          "A pen costs $2.50 and a notebook costs $4.20. How much do a pen and a notebook cost?",
          "They cost 2.50+4.20=$<<2.50+4.20=6.70>>6.70.\n#### 6.7",
        ),
      ),
      createRng(1),
    );
    // $2.50 -> $2.55 would make 6.75, floored to tenths 6.70; $2.50 -> $2.60 makes 6.80 (kept).
    assert.ok(outcome.variants.length > 10, `${outcome.variants.length} variants`);
    for (const v of outcome.variants) assert.ok(!isRounding("6.7", v.expected), `${v.expected}`);
  });
});

describe("GSM8K test lines 12, 27, 512 (decimal made 693.5 for 694, 242.25 for 243, 109.5 for 110)", () => {
  let problems: Map<number, Problem>;
  before(async () => {
    const ds = await resolveDataset(sharedGsm8kFile("test.jsonl"));
    problems = new Map(ds.problems.map((p) => [p.line, p]));
  });

  for (const line of [12, 27, 512]) {
    it(`line ${line}: no variant's original answer is its new answer rounded`, () => {
      const probes = parseProbeList("decimal,price-edit,number-swap", { instances: 500 });
      for (const seed of [1, 2, 3]) {
        const run = runProbes([problems.get(line) as Problem], probes, seed);
        assert.ok(
          run.variants.some((v) => v.probe === "decimal"),
          `line ${line}: a decimal variant is still made`,
        );
        for (const v of run.variants) {
          assert.ok(
            !isRounding(v.originalAnswer, v.expected),
            `${v.id}: ${v.originalAnswer} -> ${v.expected}`,
          );
        }
      }
    });
  }
});
