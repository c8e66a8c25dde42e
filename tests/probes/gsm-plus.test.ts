/**
 * The GSM-Plus-style probes (`digit-expansion`, `decimal`) and `--instances` on made-up problems.
 * Every expected answer below was worked out by hand from the variant's numbers.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { analyzeProblem } from "../../src/perturb/index.js";
import { decimal } from "../../src/probes/decimal.js";
import { digitExpansion } from "../../src/probes/digit-expansion.js";
import { numberSwap } from "../../src/probes/number-swap.js";
import { parseProbeList } from "../../src/probes/registry.js";
import { runProbes } from "../../src/probes/run.js";
import type { Probe, ProbeVariant } from "../../src/probes/types.js";
import { createRng } from "../../src/util/rng.js";
import { makeProblem } from "./fixtures.js";

const variantsOf = (probe: Probe, question: string, answer: string, seed = 1): ProbeVariant[] =>
  probe.apply(analyzeProblem(makeProblem(question, answer)), createRng(seed)).variants;

/** Edit -> expected, sorted, for comparing with hand-made tables. */
const table = (vs: readonly ProbeVariant[]) =>
  vs.map((v) => `${v.edits.map((e) => `${e.before}->${e.after}`).join(",")} = ${v.expected}`).sort();

const PENCILS = {
  q: "Ben buys 4 boxes of 6 pencils and gives away 5 pencils. How many pencils does he keep?",
  a: "He buys 4*6=<<4*6=24>>24 pencils.\nHe keeps 24-5=<<24-5=19>>19 pencils.\n#### 19",
};

describe("digit-expansion", () => {
  it("scales one quantity by 10, 100 or 1000 and recomputes (negative results refused)", () => {
    const out = variantsOf(digitExpansion({ instances: 20 }), PENCILS.q, PENCILS.a);
    // By hand: boxes * pencils - 5; scaling the 5 makes it negative (4*6 - 50 < 0), so refused.
    assert.deepEqual(
      table(out),
      [
        "4->40 = 235",
        "4->400 = 2395",
        "4->4000 = 23995",
        "6->60 = 235",
        "6->600 = 2395",
        "6->6000 = 23995",
      ].sort(),
    );
    for (const v of out) assert.ok(v.solution.endsWith(`#### ${v.expected}`));
  });

  it("keeps whole results whole and groups large numbers", () => {
    const out = variantsOf(
      digitExpansion({ instances: 20 }),
      "A baker has 60 cookies and puts them in bags of 6. How many bags does she fill?",
      "She fills 60/6=<<60/6=10>>10 bags.\n#### 10",
    );
    // By hand: 600/6 = 100, 6000/6 = 1000, 60000/6 = 10000, 60/60 = 1; 60/600 and 60/6000 are no
    // whole number of bags.
    assert.deepEqual(
      table(out),
      ["60->600 = 100", "60->6000 = 1000", "60->60,000 = 10000", "6->60 = 1"].sort(),
    );
  });

  it("refuses what breaks a guard (more than 24 hours a day)", () => {
    const out = variantsOf(
      digitExpansion({ instances: 20 }),
      "Ann sleeps 8 hours a day. How many hours does she sleep in 3 days?",
      "She sleeps 8*3=<<8*3=24>>24 hours.\n#### 24",
    );
    // By hand: 8 * 30 = 240, 8 * 300 = 2400, 8 * 3000 = 24000; 80 hours a day is refused.
    assert.deepEqual(table(out), ["3->30 = 240", "3->300 = 2400", "3->3000 = 24000"].sort());
  });
});

describe("decimal", () => {
  it("changes time or money to a decimal, never the count of days", () => {
    const out = variantsOf(
      decimal({ instances: 50 }),
      "Tom works 3 hours a day and earns $12 an hour. How much does he earn in 5 days?",
      "He earns 3*12=$<<3*12=36>>36 a day.\nIn 5 days he earns 36*5=$<<36*5=180>>180.\n#### 180",
    );
    // By hand: hours * rate * 5; 3 hours is small enough to become a part of an hour too.
    assert.deepEqual(
      table(out),
      [
        "3 hours->1/2 hour = 30",
        "3 hours->1/4 hour = 15",
        "3 hours->3/4 hour = 45",
        "3->2.25 = 135",
        "3->2.5 = 150",
        "3->2.75 = 165",
        "3->3.25 = 195",
        "3->3.5 = 210",
        "3->3.75 = 225",
        "$12->$11.25 = 168.75",
        "$12->$11.50 = 172.5",
        "$12->$11.75 = 176.25",
        "$12->$12.25 = 183.75",
        "$12->$12.50 = 187.5",
        "$12->$12.75 = 191.25",
      ].sort(),
    );
  });

  it("writes a part of a unit as a fraction with the singular noun, and refuses fractional counts", () => {
    const out = variantsOf(
      decimal({ instances: 50 }),
      "A ribbon is 6 feet long. Each bow needs 2 feet of ribbon. How many bows can Amy make?",
      "Amy can make 6/2=<<6/2=3>>3 bows.\n#### 3",
    );
    // By hand: 6 feet / a bow's length must be a whole number of bows: 6/1.5 = 4, 6/(1/2) = 12,
    // 6/(3/4) = 8, 6/(1/4) = 24; every other candidate (6 -> 5.25 .. 6.75, 2 -> 1.25 .. 2.75
    // other than 1.5) leaves part of a bow.
    assert.deepEqual(
      table(out),
      ["2 feet->1/2 foot = 12", "2 feet->1/4 foot = 24", "2 feet->3/4 foot = 8", "2->1.5 = 4"].sort(),
    );
    const half = out.find((v) => v.expected === "12") as ProbeVariant;
    assert.match(half.question, /Each bow needs 1\/2 foot of ribbon\./);
  });

  it("never changes people or whole things, and says why", () => {
    const outcome = decimal().apply(
      analyzeProblem(
        makeProblem(
          "Mia has 4 friends and gives each friend 3 apples. How many apples does she give?",
          "She gives 4*3=<<4*3=12>>12 apples.\n#### 12",
        ),
      ),
      createRng(1),
    );
    assert.equal(outcome.variants.length, 0);
    assert.equal(outcome.reason, "no_divisible_quantity");
  });
});

describe("--instances", () => {
  it("makes distinct, numbered instances whose first is the variant made without it", () => {
    const q = "Ben buys 40 boxes of 60 pencils and gives away 50 pencils. How many pencils does he keep?";
    const a =
      "He buys 40*60=<<40*60=2400>>2400 pencils.\nHe keeps 2400-50=<<2400-50=2350>>2350 pencils.\n#### 2350";
    const one = variantsOf(numberSwap(), q, a, 3);
    const many = variantsOf(numberSwap({ instances: 12 }), q, a, 3);
    for (const kind of ["one-quantity", "two-quantities"]) {
      const mine = many.filter((v) => v.kind === kind);
      assert.equal(mine.length, 12, kind);
      assert.deepEqual(
        mine.map((v) => v.instance),
        Array.from({ length: 12 }, (_, i) => i + 1),
      );
      assert.equal(new Set(mine.map((v) => v.question)).size, 12, "distinct questions");
      assert.equal(mine[0]?.question, one.find((v) => v.kind === kind)?.question);
      for (const v of mine) {
        // Recomputed by hand from the variant's own numbers: boxes * pencils - given.
        const [boxes, each, given] = (v.question.match(/\d+/g) ?? []).map(Number) as [number, number, number];
        assert.equal(v.expected, String(boxes * each - given), v.question);
        assert.notEqual(v.expected, "2350");
      }
    }
    assert.equal(one[0]?.instance, undefined, "no instance number without --instances");
  });

  it("counts problems that allow fewer than K, and records K in the probe's parameters", () => {
    const problems = [
      makeProblem(PENCILS.q, PENCILS.a, 1),
      makeProblem(
        PENCILS.q.replace("4 boxes", "7 boxes"),
        PENCILS.a
          .replace(/4\*6=<<4\*6=24>>24/, "7*6=<<7*6=42>>42")
          .replace(/24-5=<<24-5=19>>19/, "42-5=<<42-5=37>>37")
          .replace("#### 19", "#### 37"),
        2,
      ),
    ];
    const probes = parseProbeList("newline,digit-expansion", { instances: 5 });
    assert.deepEqual(
      probes[0]?.params,
      parseProbeList("newline")[0]?.params,
      "answer-keeping probes unchanged",
    );
    assert.equal(probes[1]?.params["instances"], 5);
    const run = runProbes(problems, probes, 1);
    // Six sensible expansions each (see above): 5 taken, both problems full.
    assert.deepEqual(run.stats.probes["digit-expansion"]?.instances, {
      requested: 5,
      full: 2,
      short: 0,
      made: 10,
    });
    const seven = runProbes(problems, parseProbeList("digit-expansion", { instances: 7 }), 1);
    assert.deepEqual(seven.stats.probes["digit-expansion"]?.instances, {
      requested: 7,
      full: 0,
      short: 2,
      made: 12,
    });
    assert.equal(new Set(seven.variants.map((v) => v.id)).size, 12, "ids unique");
  });
});
