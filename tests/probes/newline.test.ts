import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { analyzeProblem } from "../../src/perturb/index.js";
import { canonicalAnswer } from "../../src/probes/answer.js";
import { newline } from "../../src/probes/newline.js";
import type { ProbeVariant } from "../../src/probes/types.js";
import type { Edit } from "../../src/types/index.js";
import { createRng } from "../../src/util/rng.js";
import { makeProblem } from "./fixtures.js";

const run = (question: string, answer = "Three plus two is 3 + 2 = <<3+2=5>>5.\n#### 5") =>
  newline().apply(analyzeProblem(makeProblem(question, answer)), createRng(1));

const byKind = (variants: ProbeVariant[]): Record<string, string> =>
  Object.fromEntries(variants.map((v) => [v.kind, v.question]));

/** Rebuilds a text from its edits by hand, independent of the probe's own helper. */
function reconstruct(original: string, edits: Edit[]): string {
  let out = "";
  let at = 0;
  for (const e of [...edits].sort((a, b) => a.start - b.start)) {
    assert.equal(
      original.slice(e.start, e.end),
      e.before,
      "an edit's `before` is the original text at its span",
    );
    assert.ok(e.start >= at, "edits do not overlap");
    out += original.slice(at, e.start) + e.after;
    at = e.end;
  }
  return out + original.slice(at);
}

describe("newline probe", () => {
  it("breaks after every sentence and before the question, and has nothing to collapse", () => {
    const question =
      "Tom has 3 apples. Mr. Lee gives him 2.5 more at $1.50 each. How many apples does Tom have now?";
    const outcome = run(question);
    assert.deepEqual(byKind(outcome.variants), {
      "sentence-breaks":
        "Tom has 3 apples.\nMr. Lee gives him 2.5 more at $1.50 each.\nHow many apples does Tom have now?",
      "break-before-question":
        "Tom has 3 apples. Mr. Lee gives him 2.5 more at $1.50 each.\nHow many apples does Tom have now?",
    });
    const breaks = outcome.variants.find((v) => v.kind === "sentence-breaks");
    assert.deepEqual(breaks?.edits, [
      { start: 17, end: 18, before: " ", after: "\n" },
      { start: 59, end: 60, before: " ", after: "\n" },
    ]);
  });

  it("collapses double spaces and line breaks, keeping existing breaks between sentences", () => {
    const question = "Ann buys 4 pens.  Each pen costs $2.\nHow much does she pay?";
    const outcome = run(question);
    assert.deepEqual(byKind(outcome.variants), {
      "sentence-breaks": "Ann buys 4 pens.\nEach pen costs $2.\nHow much does she pay?",
      "collapse-whitespace": "Ann buys 4 pens. Each pen costs $2. How much does she pay?",
    });
    const collapse = outcome.variants.find((v) => v.kind === "collapse-whitespace");
    assert.deepEqual(collapse?.edits, [
      { start: 16, end: 18, before: "  ", after: " " },
      { start: 36, end: 37, before: "\n", after: " " },
    ]);
  });

  it("breaks before the last sentence with a question mark, not a trailing instruction", () => {
    const outcome = run("Ben has 4 cats. How many legs do they have? Answer in legs.");
    assert.equal(
      byKind(outcome.variants)["break-before-question"],
      "Ben has 4 cats.\nHow many legs do they have? Answer in legs.",
    );
  });

  it("makes no variant of a one-sentence question with plain spacing", () => {
    const outcome = run("How many legs do 3 cats have?");
    assert.deepEqual(outcome.variants, []);
    assert.equal(outcome.reason, "nothing_to_reformat");
  });

  it("keeps the answer and the solution, and needs no lifted program", () => {
    const answer = "Let x be the cats.\nx + 2 = 5\nx = 5 - 2 = <<5-2=3>>3\n#### $1,003.50";
    const problem = makeProblem("Ann has some cats. With 2 more she has 5. How many cats?", answer);
    const analyzed = analyzeProblem(problem);
    assert.equal(analyzed.lift.ok, false);
    const outcome = newline().apply(analyzed, createRng(1));
    assert.equal(outcome.variants.length, 2);
    for (const v of outcome.variants) {
      assert.equal(v.expected, "1003.5");
      assert.equal(v.solution, answer);
    }
  });

  it("records edits that rebuild every variant from the original", () => {
    const questions = [
      "Tom has 3 apples.  He buys 2 more.\n\nHow many now?",
      "A box holds 12 eggs. Dr. Kim buys 3 boxes.\tShe breaks 2. How many eggs are whole?",
      'Ann said, "I have 9 pens." Ben has 4. How many pens in all?',
    ];
    for (const question of questions) {
      for (const v of run(question).variants) {
        assert.ok(v.edits.length > 0);
        assert.equal(reconstruct(question, v.edits), v.question, `${v.kind} of ${JSON.stringify(question)}`);
        assert.notEqual(v.question, question);
        // Reformatting touches whitespace only.
        assert.equal(v.question.replace(/\s+/g, ""), question.replace(/\s+/g, ""));
      }
    }
  });
});

describe("canonicalAnswer", () => {
  it("writes answers as exact decimals without currency or separators", () => {
    assert.equal(canonicalAnswer("18"), "18");
    assert.equal(canonicalAnswer("$1,200.50"), "1200.5");
    assert.equal(canonicalAnswer("-3"), "-3");
    assert.equal(canonicalAnswer("7.00"), "7");
    assert.equal(canonicalAnswer("ten"), null);
    assert.equal(canonicalAnswer(""), null);
  });
});
