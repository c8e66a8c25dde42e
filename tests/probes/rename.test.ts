import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { analyzeProblem } from "../../src/perturb/index.js";
import { FIRST_NAMES, namesOfGender, WORD_NAMES } from "../../src/probes/names.js";
import { rename } from "../../src/probes/rename.js";
import type { ProbeOutcome } from "../../src/probes/types.js";
import { createRng } from "../../src/util/rng.js";
import { makeProblem } from "./fixtures.js";

const run = (question: string, answer: string, seed = 1): ProbeOutcome =>
  rename().apply(analyzeProblem(makeProblem(question, answer)), createRng(seed));

const SEEDS = Array.from({ length: 60 }, (_, i) => i + 1);

describe("rename probe", () => {
  const question =
    "Janet has 5 apples. Janet\u2019s brother gives her 3 more, and Janet's mom gives her 2. How many apples does Janet have?";
  const answer =
    "Janet has 5 + 3 = <<5+3=8>>8 apples from her brother.\nJanet's total is 8 + 2 = <<8+2=10>>10.\n#### 10";

  it("replaces every occurrence, possessives included, in question and solution", () => {
    for (const seed of SEEDS) {
      const [variant, ...rest] = run(question, answer, seed).variants;
      assert.ok(variant);
      assert.equal(rest.length, 0);
      const replacement = variant.edits[0]?.after as string;
      assert.equal(variant.edits.length, 4);
      for (const edit of variant.edits) assert.deepEqual([edit.before, edit.after], ["Janet", replacement]);
      assert.equal(variant.question, question.replaceAll("Janet", replacement));
      assert.equal(variant.solution, answer.replaceAll("Janet", replacement));
      assert.ok(
        variant.question.includes(`${replacement}\u2019s brother`) &&
          variant.question.includes(`${replacement}'s mom`),
      );
      assert.equal(variant.expected, "10");
      assert.equal(variant.kind, "first-name");
    }
  });

  it("picks a replacement of the same gender", () => {
    const genders = new Set<string>();
    for (const seed of SEEDS) {
      const variant = run(
        "Carlos has 4 dogs and Sam has 2. How many dogs do they have?",
        "4 + 2 = <<4+2=6>>6\n#### 6",
        seed,
      ).variants[0];
      assert.ok(variant);
      const before = variant.edits[0]?.before as string;
      const after = variant.edits[0]?.after as string;
      assert.equal(FIRST_NAMES.get(after), FIRST_NAMES.get(before), `${before} -> ${after}`);
      genders.add(FIRST_NAMES.get(before) as string);
    }
    // Both people get renamed across seeds (Carlos male, Sam neutral).
    assert.deepEqual([...genders].sort(), ["male", "neutral"]);
  });

  it("never picks a name that already occurs in the question or solution", () => {
    // Every female name but two is in the text, so a collision would be likely if allowed.
    const female = namesOfGender("female");
    const free = new Set(female.slice(0, 2));
    const others = female.slice(2);
    const q = `Anna met ${others.join(", ")}. How many people met?`;
    const a = `They are ${others.length} + 1 = <<${others.length}+1=${others.length + 1}>>${others.length + 1} people.\n#### ${others.length + 1}`;
    for (const seed of SEEDS) {
      const variant = run(q, a, seed).variants[0];
      assert.ok(variant);
      const after = variant.edits[0]?.after as string;
      assert.ok(free.has(after), `${after} is not one of the unused names`);
    }
  });

  it("writes a bare possessive `James'` as the new name's possessive", () => {
    for (const seed of SEEDS.slice(0, 20)) {
      const variant = run(
        "James' dog eats 2 cans a day. How many cans does James' dog eat in 3 days?",
        "2 * 3 = <<2*3=6>>6\n#### 6",
        seed,
      ).variants[0];
      assert.ok(variant);
      const after = variant.edits[0]?.after as string;
      assert.match(after, /^[A-Z][a-z]+(?:s'|'s)$/);
      assert.equal(variant.question.includes("James"), false);
      assert.equal(variant.question.split(`${after} dog`).length, 3);
    }
  });

  it("ignores names that are also common words", () => {
    for (const word of [
      "Will",
      "Mark",
      "Bill",
      "June",
      "May",
      "April",
      "Rose",
      "Grace",
      "Hope",
      "Joy",
      "Faith",
      "Sky",
      "Page",
      "Summer",
      "Art",
      "Pat",
    ]) {
      assert.equal(FIRST_NAMES.has(word), false, word);
      assert.ok(WORD_NAMES.has(word), word);
    }
    const outcome = run(
      "Will has 3 pens and Mark has 2. Will they share them in May?",
      "3 + 2 = <<3+2=5>>5\n#### 5",
    );
    assert.deepEqual(outcome, { variants: [], reason: "no_name" });
  });

  it("leaves a name alone where it is a surname or part of a compound", () => {
    const title = run(
      "Mr. James sells 4 hats. James also sells 2 caps. How many items?",
      "4 + 2 = <<4+2=6>>6\n#### 6",
    );
    assert.deepEqual(title, { variants: [], reason: "name_not_renamable" });
    const compound = run("Mary-Kate has 4 hats. Mary has 2. How many hats?", "4 + 2 = <<4+2=6>>6\n#### 6");
    assert.deepEqual(compound, { variants: [], reason: "name_not_renamable" });
  });

  it("renames only whole words", () => {
    const inside = run("DeSean and Mariana have 4 and 3 pens. How many pens?", "4 + 3 = <<4+3=7>>7\n#### 7");
    assert.deepEqual(inside, { variants: [], reason: "no_name" });
    for (const seed of SEEDS.slice(0, 10)) {
      const variant = run(
        "Ann and Annabel have 4 and Anne 3. How many do Ann and Anne have?",
        "4 + 3 = <<4+3=7>>7\n#### 7",
        seed,
      ).variants[0];
      assert.ok(variant);
      assert.ok(variant.question.includes("Annabel"));
      const before = variant.edits[0]?.before;
      assert.ok(before === "Ann" || before === "Anne");
      assert.equal(variant.edits.length, 2);
    }
  });

  it("is deterministic for a seed and varies across seeds", () => {
    const first = run(question, answer, 5);
    assert.deepEqual(run(question, answer, 5), first);
    const replacements = new Set(
      SEEDS.map((seed) => run(question, answer, seed).variants[0]?.edits[0]?.after),
    );
    assert.ok(replacements.size > 5, `only ${replacements.size} different replacements`);
  });

  it("lists each name once, with one gender", () => {
    const all = [...namesOfGender("female"), ...namesOfGender("male"), ...namesOfGender("neutral")];
    assert.equal(new Set(all).size, all.length);
    assert.equal(all.length, FIRST_NAMES.size);
    for (const name of all) assert.match(name, /^[A-Z][a-z]+$/);
  });
});
