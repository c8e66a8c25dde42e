import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { loadProblems } from "../../src/data/problems.js";
import { cutAtStop } from "../../src/extract/index.js";
import { BUILTIN_FORMATS, COT_8SHOT } from "../../src/prompts/index.js";
import { findStop } from "../../src/runner/stopping.js";
import { sharedGsm8kFile } from "../helpers/data-fixtures.js";

/** The formats whose answer is read from the text (`code` is judged by tests/audit/code-format). */
const TEXT_FORMATS = [...BUILTIN_FORMATS.values()].filter((f) => f.answerFrom !== "code");

/** Where the runner cuts (stopping.ts) and where extraction cuts (extract) must agree. */
function cut(text: string, stop: readonly string[]): string {
  const at = findStop(text, stop);
  const runner = at < 0 ? text : text.slice(0, at);
  assert.equal(cutAtStop(text, stop), runner, "the runner and extraction cut at the same place");
  return runner;
}

// Made-up continuations (never GSM8K text) of the kinds a base model such as phi-1.5 writes after
// its answer: a new question, a textbook exercise, blank lines before something else, an
// end-of-text marker written as text.
const RAMBLES = [
  "\n\nQuestion: A farmer has 12 cows and buys 3 more. How many cows does he have?\nAnswer: 15",
  "\nQ: Ann has 2 pens. How many pens do 3 such girls have?",
  "\n\nExercise 2: Sara reads 4 pages a day. How many pages does she read in a week?",
  "\nExercises:\n1. What is 7 + 8?",
  "\n\n\n\nChapter 3: Fractions. A fraction has a numerator",
  "<|endoftext|>Once upon a time there were 9 ducks.",
];

describe("the built-in formats' stop strings", () => {
  let solutions: string[];
  before(async () => {
    const train = await loadProblems(sharedGsm8kFile("train.jsonl"), "gsm8k-train");
    const test = await loadProblems(sharedGsm8kFile("test.jsonl"), "gsm8k-test");
    solutions = [...train, ...test].map((p) => p.answer);
  });

  for (const format of TEXT_FORMATS) {
    it(`${format.name}: never cut a worked GSM8K solution (blank lines between steps included)`, () => {
      assert.ok(solutions.length > 8000);
      assert.ok(
        solutions.some((s) => s.includes("\n\n")),
        "some solutions have blank lines: the stops must leave them",
      );
      const completions = [
        ...solutions.map((s) => ` ${s}`),
        // The format's own worked answers, as the model is shown them.
        ...(COT_8SHOT.exemplars.kind === "inline"
          ? COT_8SHOT.exemplars.exemplars.map((e) => ` ${e.answer}`)
          : []),
      ];
      const cutOnes = completions.filter((c) => cut(c, format.stop) !== c);
      assert.deepEqual(cutOnes.slice(0, 3), [], `${cutOnes.length} answers cut`);
    });

    it(`${format.name}: end a completion that runs on into the next question where the answer ends`, () => {
      const answer = " Tom has 3 + 4 = 7 apples.\n\nSo the answer is 7.\n#### 7";
      for (const ramble of RAMBLES) {
        const kept = cut(answer + ramble, format.stop);
        assert.equal(kept.trimEnd(), answer, JSON.stringify(ramble));
      }
    });
  }

  it("the earliest stop string wins wherever the stop strings are listed", () => {
    const text = " 7\nExercise 1: 3 + 3\n\nQuestion: next";
    assert.equal(findStop(text, ["Question:", "\nExercise"]), text.indexOf("\nExercise"));
    assert.equal(findStop(text, ["\nExercise", "Question:"]), text.indexOf("\nExercise"));
  });
});
