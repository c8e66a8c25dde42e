/**
 * Issue 19 review: digit-expansion (and number-swap) made impossible problems: a part of a group
 * larger than the group, percentages over 100%, a chance multiplied past 100%. The guards
 * `part_exceeds_group`, `percent_over_100`, `probability_over_1` and `multiplied_chance_over_100`
 * (src/perturb/sensible.ts) refuse them. Made-up problems first (answers worked out by hand), then
 * the GSM8K test lines the review named, each variant checked against its own question's numbers.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { resolveDataset } from "../../src/data/index.js";
import { analyzeProblem } from "../../src/perturb/index.js";
import { digitExpansion } from "../../src/probes/digit-expansion.js";
import { parseProbeList } from "../../src/probes/registry.js";
import { runProbes } from "../../src/probes/run.js";
import type { ProbeOutcome } from "../../src/probes/types.js";
import type { Problem, Variant } from "../../src/types/index.js";
import { createRng } from "../../src/util/rng.js";
import { sharedGsm8kFile } from "../helpers/data-fixtures.js";
import { makeProblem } from "./fixtures.js";

const expand = (question: string, answer: string): ProbeOutcome =>
  digitExpansion({ instances: 50 }).apply(analyzeProblem(makeProblem(question, answer)), createRng(1));
const table = (o: ProbeOutcome) =>
  o.variants.map((v) => `${v.edits.map((e) => `${e.before}->${e.after}`).join(",")} = ${v.expected}`).sort();

describe("guards against impossible variants (made-up problems, digit-expansion)", () => {
  it('"N of which" stays within the count before it', () => {
    const o = expand(
      "Ann has 8 kittens, 3 of which are black. Each black kitten gets 5 treats. How many treats do the black kittens get?",
      "The black kittens get 3*5=<<3*5=15>>15 treats.\n#### 15",
    );
    // By hand: 3 -> 30, 300, 3000 black kittens of 8: impossible. The treats scale: 3 * 50 = 150, ...
    assert.deepEqual(table(o), ["5->50 = 150", "5->500 = 1500", "5->5000 = 15000"]);
    assert.equal(o.refused?.["part_exceeds_group"], 3);
  });

  it("a percentage of a whole stays at most 100", () => {
    const o = expand(
      "Tim has 20 marbles. He lends 4 marbles to Sam. What percentage of his marbles does Sam have?",
      "That is 4/20*100 = <<4/20*100=20>>20 percent.\n#### 20",
    );
    // By hand: 4/200 * 100 = 2; 4/2000 and 4/20000 give fractions of a percent (not whole, refused);
    // 40, 400 or 4000 of 20 marbles give 200%, 2000%, 20000%: refused.
    assert.deepEqual(table(o), ["20->200 = 2"]);
    assert.equal(o.refused?.["percent_over_100"], 3);
  });

  it("a probability asked as a fraction stays at most 1", () => {
    const o = expand(
      "A bag has 10 marbles. 3 marbles are red. What is the probability that a marble drawn is red?",
      "It is 3/10 = <<3/10=0.3>>0.3.\n#### 0.3",
    );
    // By hand: 30/10, 300/10, 3000/10 are above 1: refused. 3/1000 and 3/10000 have more than two
    // decimal places; 3/100 = 0.03 is kept (no rounding of 0.03 to a whole, tenths or cents is 0.3).
    assert.deepEqual(table(o), ["10->100 = 0.03"]);
    assert.equal(o.refused?.["probability_over_1"], 3);
  });

  it("a stated chance times a multiplier stays at most 100%", () => {
    const o = expand(
      "Mark has a 20% chance of winning a prize in each game, and Ann is 3 times more likely to win than Mark. If Ann plays 10 games, how many prizes does she expect to win?",
      "Ann's chance is 20*3 = <<20*3=60>>60 percent.\nShe expects 10*60/100 = <<10*60/100=6>>6 prizes.\n#### 6",
    );
    // By hand: 10 -> 100, 1000, 10000 games at 60% give 60, 600, 6000 prizes; 30, 300 or 3000 times
    // a 20% chance is above 100%: refused.
    assert.deepEqual(table(o), ["10->100 = 60", "10->1000 = 600", "10->10,000 = 6000"].sort());
    assert.equal(o.refused?.["multiplied_chance_over_100"], 3);
  });
});

/** Number words a variant of line 1153 may write its multiplier with. */
const WORDS = new Map(
  "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty"
    .split(" ")
    .map((w, i) => [w, i + 1] as [string, number]),
);
WORDS.set("thirty", 30).set("three hundred", 300).set("three thousand", 3000);
const num = (text: string): number => WORDS.get(text.toLowerCase()) ?? Number(text.replace(/,/g, ""));

/**
 * For each named line: the numbers a variant's question must keep possible, read from the variant's
 * own text (never from litmus's key), as [part, whole] pairs, and whether its answer is a share
 * (at most 100).
 */
const LINES: Array<{ line: number; pairs: (q: string) => Array<[number, number]>; share: boolean }> = [
  {
    // Two groups, each with a part "of which" has a property; asked as a percentage.
    line: 459,
    pairs: (q) =>
      [...q.matchAll(/([\d,]+) puppies, ([\d,]+) of which/g)].map((m) => [num(m[2] ?? ""), num(m[1] ?? "")]),
    share: true,
  },
  {
    // A count, some "of them" treated and some more: treated ones stay among the count.
    line: 1180,
    pairs: (q) => {
      const m = /([\d,]+) teeth\. .*? drills ([\d,]+) of them and caps ([\d,]+) more/.exec(q);
      assert.ok(m, q);
      const [teeth, drilled, more] = [num(m[1] ?? ""), num(m[2] ?? ""), num(m[3] ?? "")];
      return [
        [drilled, teeth],
        [drilled + (drilled + more), teeth],
      ];
    },
    share: true,
  },
  {
    // Friends called, a part "of them" answering: the part stays within the friends called.
    line: 591,
    pairs: (q) => {
      const m = /calls ([\d,]+) of her friends.* and ([\d,]+) of them/.exec(q);
      assert.ok(m, q);
      return [[num(m[2] ?? ""), num(m[1] ?? "")]];
    },
    share: false,
  },
  {
    // A stated percentage chance and a second one some times more likely: at most 100%.
    line: 1153,
    pairs: (q) => {
      const m = /a ([\d.]+)% chance of winning .* that's ([a-z ]+?|[\d,]+) times more likely/.exec(q);
      assert.ok(m, q);
      return [[Number(m[1]) * num(m[2] ?? ""), 100]];
    },
    share: true,
  },
];

describe("GSM8K test lines the review named: no impossible variant (number-swap, digit-expansion, seeds 1-3)", () => {
  let problems: Map<number, Problem>;
  before(async () => {
    const ds = await resolveDataset(sharedGsm8kFile("test.jsonl"));
    problems = new Map(ds.problems.map((p) => [p.line, p]));
  });

  for (const { line, pairs, share } of LINES) {
    it(`line ${line}`, () => {
      // Enough instances to reach every candidate digit-expansion has and many of number-swap's.
      const probes = parseProbeList("number-swap,digit-expansion", { instances: 40 });
      const seen: Variant[] = [];
      for (const seed of [1, 2, 3]) {
        const run = runProbes([problems.get(line) as Problem], probes, seed);
        assert.deepEqual(run.errors, []);
        seen.push(...run.variants);
      }
      assert.ok(
        seen.some((v) => v.probe === "number-swap"),
        "number-swap still makes variants",
      );
      for (const v of seen) {
        for (const [part, whole] of pairs(v.question))
          assert.ok(part <= whole, `${v.id}: ${part} > ${whole} in "${v.question}"`);
        if (share) assert.ok(Number(v.expected) <= 100, `${v.id}: ${v.expected}% in "${v.question}"`);
      }
    });
  }

  it("the impossible variants the review found are gone", () => {
    const made = (line: number, probe: string, before: string, after: string) =>
      runProbes([problems.get(line) as Problem], parseProbeList(probe, { instances: 500 }), 1).variants.some(
        (v) => v.edits.some((e) => e.before === before && e.after === after),
      );
    assert.equal(made(459, "digit-expansion", "3", "3000"), false);
    assert.equal(made(1180, "digit-expansion", "4", "400"), false);
    assert.equal(made(1180, "digit-expansion", "7", "70"), false);
    assert.equal(made(591, "digit-expansion", "8", "80"), false);
    assert.equal(made(1153, "digit-expansion", "three", "thirty"), false);
    assert.equal(made(1153, "number-swap", "20%", "70%"), false);
    // And a possible one stays: the whole count scaled by 10 (the treated share 5%).
    assert.equal(made(1180, "digit-expansion", "30", "300"), true);
  });
});
