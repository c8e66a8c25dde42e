import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { analyzeProblem } from "../../src/perturb/index.js";
import { numberSwap, priceEdit } from "../../src/probes/number-swap.js";
import type { Problem } from "../../src/types/index.js";
import { createRng } from "../../src/util/rng.js";

function problem(question: string, answer: string): Problem {
  const finalAnswer = answer.split("#### ")[1] ?? "";
  return { id: "t:1", source: "t", line: 1, question, answer, finalAnswer, hash: "x" };
}

const apply = (probe: ReturnType<typeof numberSwap>, p: Problem, seed = 1) =>
  probe.apply(analyzeProblem(p), createRng(seed));

describe("number-swap", () => {
  it("makes one- and two-quantity variants whose answers are recomputed", () => {
    const p = problem(
      "Ben buys 4 boxes of 6 pencils and gives away 5 pencils.",
      "He buys 4*6=<<4*6=24>>24 pencils.\nHe keeps 24-5=<<24-5=19>>19 pencils.\n#### 19",
    );
    const out = apply(numberSwap(), p);
    assert.deepEqual(
      out.variants.map((v) => v.kind),
      ["one-quantity", "two-quantities"],
    );
    for (const v of out.variants) {
      const [boxes, each, given] = (v.question.match(/\d+/g) ?? []).map(Number) as [number, number, number];
      assert.equal(v.expected, String(boxes * each - given), v.question);
      assert.ok(v.solution.endsWith(`#### ${v.expected}`));
    }
  });

  it("is deterministic for a seed and varies across seeds", () => {
    const p = problem(
      "Ben buys 40 boxes of 60 pencils and gives away 50 pencils.",
      "He buys 40*60=<<40*60=2400>>2400 pencils.\nHe keeps 2400-50=<<2400-50=2350>>2350 pencils.\n#### 2350",
    );
    assert.deepEqual(apply(numberSwap(), p, 7), apply(numberSwap(), p, 7));
    const questions = new Set([1, 2, 3, 4, 5].map((s) => apply(numberSwap(), p, s).variants[0]?.question));
    assert.ok(questions.size > 1);
  });

  it("names why it made no variant", () => {
    const noNumbers = problem("Ann has one cat.", "She has <<1=1>>1 cat.\n#### 1");
    assert.equal(apply(numberSwap(), noNumbers).reason, "unannotated_value");
    const onlyOne = problem("Ann has 1 cat and one dog.", "She has 1+1=<<1+1=2>>2 pets.\n#### 2");
    assert.equal(apply(numberSwap(), onlyOne).reason, "no_perturbable_quantity");
    const threshold = problem(
      "Each of 3 kids gets a prize if they score over 20 points. Each scored 25 points.",
      "All 3 scored over 20, so 3*1=<<3*1=3>>3 prizes.\n#### 3",
    );
    assert.equal(apply(numberSwap(), threshold).reason, "conditional_logic");
    const ambiguous = problem(
      "A tutor charges $60 an hour and works 2 hours. How many minutes does she work, per dollar?",
      "She works 2*60=<<2*60=120>>120 minutes.\nShe earns 2*60=<<2*60=120>>120 dollars.\nPer dollar: 120/120=<<120/120=1>>1\n#### 1",
    );
    const out = apply(numberSwap(), ambiguous);
    assert.equal(out.variants.filter((v) => v.edits.some((e) => e.before === "$60")).length, 0);
  });

  it("keeps whole counts whole and the answer different", () => {
    const p = problem(
      "12 cookies are shared equally by 4 kids.",
      "Each kid gets 12/4=<<12/4=3>>3 cookies.\n#### 3",
    );
    for (let seed = 1; seed <= 20; seed++) {
      for (const v of apply(numberSwap(), p, seed).variants) {
        assert.ok(Number.isInteger(Number(v.expected)), v.question);
        assert.notEqual(v.expected, "3");
      }
    }
  });
});

describe("price-edit", () => {
  it("changes only money amounts", () => {
    const p = problem("A pizza costs $12 and Leo buys 3 pizzas.", "He pays 12*3=$<<12*3=36>>36.\n#### 36");
    const out = apply(priceEdit(), p);
    assert.equal(out.variants.length, 1);
    const v = out.variants[0];
    assert.ok(v);
    assert.equal(v.edits.length, 1);
    assert.match(v.edits[0]?.before ?? "", /^\$/);
    assert.equal(Number(v.expected), Number(v.edits[0]?.after.slice(1)) * 3);
  });

  it("finds the one workable price past the seeded rounds, and lets $8.50 become $17.00", () => {
    // 17 / price must stay a whole number of boxes: of the prices near $8.50 only $17.00 works.
    const p = problem(
      "Mia has $50. She buys a meal for $12, 5 pens at $3 each and 4 pads at $1.50 each, and spends the rest on boxes at $8.50 each. How many boxes does she buy?",
      "The pens cost 3*5=$<<3*5=15>>15.\nThe pads cost 1.5*4=$<<1.5*4=6>>6.\nShe spends 12+15+6=$<<12+15+6=33>>33.\nShe has 50-33=$<<50-33=17>>17 left.\nShe buys 17/8.5=<<17/8.5=2>>2 boxes.\n#### 2",
    );
    for (let seed = 1; seed <= 5; seed++) {
      const out = apply(priceEdit(), p, seed);
      const v = out.variants[0];
      assert.ok(v, `seed ${seed}: ${out.reason}`);
      // By hand: every price edit that keeps the boxes whole; check the arithmetic of each.
      const prices = (v.question.match(/\$[\d.]+/g) ?? []).map((x) => Number(x.slice(1)));
      const [cash, meal, pen, pad, box] = prices as [number, number, number, number, number];
      assert.equal(Number(v.expected), (cash - meal - 5 * pen - 4 * pad) / box, v.question);
      assert.ok(Number.isInteger(Number(v.expected)));
    }
  });

  it("moves amounts written alike together when the solution cannot tell them apart", () => {
    const p = problem(
      "Each table orders 2 meals at $5 each and a $5 drink. There are 6 tables a night, 2 nights a week. What do they take a week?",
      "Meals cost 2*5=$<<2*5=10>>10.\nA table pays 10+5=$<<10+5=15>>15.\nA night brings 6*15=$<<6*15=90>>90.\nA week brings 90*2=$<<90*2=180>>180.\n#### 180",
    );
    const out = apply(priceEdit(), p);
    const v = out.variants[0];
    assert.ok(v, out.reason);
    assert.equal(v.edits.length, 2);
    assert.equal(v.edits[0]?.after, v.edits[1]?.after);
    const price = Number(v.edits[0]?.after.slice(1));
    assert.equal(Number(v.expected), 6 * 3 * price * 2);
    // number-swap changes one quantity per one-quantity variant and never ties amounts.
    for (const n of apply(numberSwap(), p).variants.filter((x) => x.kind === "one-quantity")) {
      assert.equal(n.edits.length, 1);
    }
  });

  it("edits a price written with space-grouped thousands and keeps that style", () => {
    const p = problem(
      "Ben sells his car for $40 000. He pays a 5% fee and repays a $12 000 loan. How much does he keep?",
      "The fee is $40 000 x 5/100 = $2 000.\nHe pays $2 000 + $12 000 = $14 000 in all.\nHe keeps $40 000 - $14 000 = $26 000.\n#### 26000",
    );
    for (let seed = 1; seed <= 5; seed++) {
      const out = apply(priceEdit(), p, seed);
      const v = out.variants[0];
      assert.ok(v, `seed ${seed}: ${out.reason}`);
      assert.equal(v.edits.length, 1);
      assert.match(v.edits[0]?.after ?? "", /^\$\d{1,3}(?: \d{3})+$/);
      // By hand: keeps price - (price * 5/100 + loan).
      const [price, loan] = [...v.question.matchAll(/\$(\d{1,3}(?: \d{3})*)/g)].map((m) =>
        Number((m[1] as string).replace(/ /g, "")),
      ) as [number, number];
      assert.equal(Number(v.expected), price - (price * 0.05 + loan), v.question);
      assert.ok(
        v.solution.endsWith(
          `= $${Number(v.expected).toLocaleString("en-US").replace(/,/g, " ")}.\n#### ${v.expected}`,
        ),
      );
    }
  });

  it("says when there is no money amount", () => {
    const p = problem("Leo buys 3 boxes of 5 pens.", "He has 3*5=<<3*5=15>>15 pens.\n#### 15");
    assert.equal(apply(priceEdit(), p).reason, "no_money_amount");
  });
});
