import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { analyzeProblem } from "../../src/perturb/index.js";
import { distractor } from "../../src/probes/distractor.js";
import { DISTRACTOR_TEMPLATES } from "../../src/probes/distractor-templates.js";
import { runProbes } from "../../src/probes/run.js";
import { createRng } from "../../src/util/rng.js";
import { makeProblem } from "./fixtures.js";

const SOLUTION = "Tom has 3 + 4 = <<3+4=7>>7 apples.\n#### 7";
const QUESTION = "Tom has 3 apples. Ann gives him 4 more apples. How many apples does Tom have now?";

const apply = (question: string, answer: string, seed: number) =>
  distractor().apply(analyzeProblem(makeProblem(question, answer)), createRng(seed));

/** The sentence a variant inserted, found by comparing texts (not through the probe's edit). */
function inserted(original: string, variant: string): { sentence: string; at: number } {
  let at = 0;
  while (at < original.length && original[at] === variant[at]) at++;
  // The common prefix may run into the inserted sentence ("How ..." inserted before "How ..."):
  // back off to the word start, since an insertion begins a sentence.
  while (at > 0 && variant[at - 1] !== " ") at--;
  const extra = variant.length - original.length;
  assert.equal(variant.slice(0, at) + variant.slice(at + extra), original, "only an insertion");
  return { sentence: variant.slice(at, at + extra).trim(), at };
}

describe("distractor probe", () => {
  it("inserts one sentence right before the question sentence and keeps the solution and key", () => {
    for (let seed = 1; seed <= 30; seed++) {
      const outcome = apply(QUESTION, SOLUTION, seed);
      const [v] = outcome.variants;
      assert.ok(v, `seed ${seed}: ${outcome.reason}`);
      assert.equal(v.kind, "irrelevant-sentence");
      assert.equal(v.expected, "7");
      assert.equal(v.solution, SOLUTION);
      const { sentence, at } = inserted(QUESTION, v.question);
      assert.equal(at, QUESTION.indexOf("How many"), "placed at the start of the question sentence");
      assert.match(sentence, /^[A-Z][^.?!]*\d[^.?!]*\.$/, "one sentence with a number");
      assert.ok(v.question.includes(`${sentence} How many apples`));
    }
  });

  it("speaks of the problem's person", () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= 40; seed++) {
      const v = apply(QUESTION, SOLUTION, seed).variants[0];
      assert.ok(v);
      const sentence = inserted(QUESTION, v.question).sentence;
      seen.add(sentence.replace(/\d+/g, "N"));
      assert.ok(/\b(?:Tom|Ann)\b/.test(sentence) || /\ba neighbor\b/.test(sentence), sentence);
    }
    assert.ok(seen.size >= 4, `templates vary with the seed: ${[...seen].join(" | ")}`);
  });

  it("is seeded: the same seed gives the same sentence", () => {
    const a = apply(QUESTION, SOLUTION, 5).variants[0]?.question;
    const b = apply(QUESTION, SOLUTION, 5).variants[0]?.question;
    assert.equal(a, b);
    const problems = [makeProblem(QUESTION, SOLUTION)];
    const first = runProbes(problems, [distractor()], 9).variants;
    const again = runProbes(problems, [distractor()], 9).variants;
    assert.deepEqual(first, again);
  });

  it("never uses a number the problem or its solution holds", () => {
    // Every number from 2 to 15 is in the problem (solution annotations included), leaving few free.
    const question =
      "Tom has 2 red, 4 blue, 5 green, 6 gold, 8 pink and 9 grey marbles. He buys 10 more and gets 11 from Ann. How many marbles does Tom have?";
    const answer =
      "He had 2 + 4 + 5 + 6 + 8 + 9 = <<2+4+5+6+8+9=34>>34.\nThen 34 + 10 + 11 = <<34+10+11=55>>55.\nSo 3 + 7 + 12 + 13 + 14 + 15 = <<3+7+12+13+14+15=64>>64 is not used.\n#### 55";
    const numbers = new Set((question + answer).match(/\d+/g)?.map(Number));
    let made = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const v = apply(question, answer, seed).variants[0];
      if (!v) continue;
      made++;
      const n = Number(inserted(question, v.question).sentence.match(/\d+/)?.[0]);
      assert.ok(!numbers.has(n), `seed ${seed}: ${n} is a number of the problem`);
    }
    assert.ok(made > 0, "some template still has a free number");
  });

  it("never counts what the question asks about", () => {
    const question =
      "Tom has 3 apples and 5 cookies. Ann gives him 2 more books. How many books does Tom have?";
    const answer = "Tom has 2 books.\n#### 2";
    for (let seed = 1; seed <= 30; seed++) {
      const v = apply(question, answer, seed).variants[0];
      assert.ok(v);
      assert.doesNotMatch(inserted(question, v.question).sentence, /\bbooks?\b/);
    }
    // "How long" asks for a time: no template counting years, times or days.
    const long = "Tom walks 3 blocks to school. It takes him 12 minutes. How long does he walk in 5 days?";
    const longAnswer = "He walks 12 * 5 = <<12*5=60>>60 minutes.\n#### 60";
    let made = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const v = apply(long, longAnswer, seed).variants[0];
      if (!v) continue;
      made++;
      assert.doesNotMatch(inserted(long, v.question).sentence, /\b(?:years|times|days|minutes)\b/);
    }
    assert.ok(made > 0);
  });

  it("keeps away from topics the problem is about (a neighbour it counts, last year)", () => {
    const question =
      "Last year Tom's neighbor had 3 cats and 4 apples. This year he has twice as many cats. How many cats does he have?";
    const answer = "He has 3 * 2 = <<3*2=6>>6 cats.\n#### 6";
    let made = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const v = apply(question, answer, seed).variants[0];
      if (!v) continue;
      made++;
      assert.doesNotMatch(inserted(question, v.question).sentence, /neighbor|Last|cats/);
    }
    assert.ok(made > 0);
  });

  it("refuses with a named reason, counted per template by the guards", () => {
    assert.equal(
      apply("How many apples does Tom have if he has 3?", "He has 3.\n#### 3", 1).reason,
      "no_statement_before_question",
    );
    assert.equal(
      apply("A box holds 3 kg. How many kg do 2 boxes hold?", "2 * 3 = <<2*3=6>>6\n#### 6", 1).reason,
      "no_name_or_noun",
    );
    // Every topic of the bank is in this problem: each template is refused and counted.
    const everything =
      "Tom's neighbor has a favorite pet and a friend who lives away, read books last summer, visited a zoo, lives in a town for a year, and a pack of apples across town. Tom has 3 apples. How many apples does Tom have?";
    const outcome = apply(everything, "He has 3.\n#### 3", 1);
    assert.equal(outcome.reason, "no_template_fits");
    const refused = outcome.refused ?? {};
    const total = Object.values(refused).reduce((a, b) => a + b, 0);
    assert.equal(total, DISTRACTOR_TEMPLATES.length, JSON.stringify(refused));
    assert.ok((refused["distractor_topic_in_problem"] ?? 0) > 0);
  });

  it("its bank never negates (a negation could contradict a stated fact) and every sentence has a number", () => {
    for (const t of DISTRACTOR_TEMPLATES) {
      assert.doesNotMatch(t.text, /\b(?:not|never|no|none|nobody|nothing|n't)\b|n't/i, t.id);
      assert.ok(t.text.includes("{n}"), t.id);
      assert.ok(t.text.includes("{name") || t.text.includes("{noun}"), `${t.id} speaks of the problem`);
      assert.ok(t.range[0] >= 2 && t.range[0] <= t.range[1], t.id);
    }
  });

  it("makes answer-keeping variants through the runner (no stale answer possible)", () => {
    const run = runProbes([makeProblem(QUESTION, SOLUTION)], [distractor()], 1);
    assert.equal(run.stats.probes["distractor"]?.problems_with_variant, 1);
    const [v] = run.variants;
    assert.equal(v?.answerChanged, false);
    assert.equal(v?.expected, v?.originalAnswer);
    assert.match(v?.id ?? "", /^made-up:1\/distractor\/irrelevant-sentence\/[0-9a-f]{10}$/);
  });
});
