import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { liftProgram, type Program } from "../../src/perturb/program.js";
import { scanQuantities } from "../../src/perturb/quantities.js";
import { Rational } from "../../src/perturb/rational.js";
import { rewriteProblem } from "../../src/perturb/rewrite.js";
import { checkSensible } from "../../src/perturb/sensible.js";
import { valueOptions } from "../../src/perturb/values.js";

const PIZZA_Q =
  "Leo orders 3 pizzas at $12.50 each and a salad for $6. He pays with a $50 bill. How much change does he get?";
const PIZZA_A =
  "The pizzas cost 3 * $12.50 = $<<3*12.5=37.5>>37.50.\nWith the salad he spends 37.50 + 6 = $<<37.5+6=43.5>>43.50.\nHis change is 50 - 43.50 = $<<50-43.5=6.5>>6.50.\n#### 6.5";

function program(question: string, answer: string): Program {
  const result = liftProgram(question, answer);
  assert.ok(result.ok);
  return result.program;
}

describe("rewriteProblem", () => {
  it("recomputes a pizza-price edit and rewrites the whole solution", () => {
    const p = program(PIZZA_Q, PIZZA_A);
    const price = p.quantities.find((q) => q.text === "$12.50");
    assert.ok(price);
    const result = rewriteProblem(p, new Map([[price.index, Rational.parse("13.25") as Rational]]));
    assert.ok(result.ok);
    // By hand: 3 * 13.25 = 39.75; + 6 = 45.75; 50 - 45.75 = 4.25.
    assert.equal(result.value.expected.toString(), "4.25");
    assert.equal(
      result.value.question,
      "Leo orders 3 pizzas at $13.25 each and a salad for $6. He pays with a $50 bill. How much change does he get?",
    );
    assert.equal(
      result.value.solution,
      "The pizzas cost 3 * $13.25 = $<<3*13.25=39.75>>39.75.\nWith the salad he spends 39.75 + 6 = $<<39.75+6=45.75>>45.75.\nHis change is 50 - 45.75 = $<<50-45.75=4.25>>4.25.\n#### 4.25",
    );
    assert.deepEqual(result.value.edits, [{ start: 23, end: 29, before: "$12.50", after: "$13.25" }]);
  });

  it("keeps number words as words in the question", () => {
    const p = program("Ivy has five boxes of 8 crayons.", "She has 5*8=<<5*8=40>>40 crayons.\n#### 40");
    const five = p.quantities.find((q) => q.text === "five");
    assert.ok(five);
    const result = rewriteProblem(p, new Map([[five.index, Rational.of(7)]]));
    assert.ok(result.ok);
    assert.equal(result.value.question, "Ivy has seven boxes of 8 crayons.");
    assert.equal(result.value.solution, "She has 7*8=<<7*8=56>>56 crayons.\n#### 56");
  });

  it("writes thousands separators where the original had them", () => {
    const p = program(
      "A house costs $80,000 and repairs cost $20,000.",
      "Total is 80,000+20,000=$<<80000+20000=100000>>100,000\n#### 100000",
    );
    const result = rewriteProblem(p, new Map([[0, Rational.of(90000)]]));
    assert.ok(result.ok);
    assert.equal(result.value.question, "A house costs $90,000 and repairs cost $20,000.");
    assert.equal(result.value.solution, "Total is 90,000+20,000=$<<90000+20000=110000>>110,000\n#### 110000");
  });

  it("writes space-grouped amounts back with spaces, in the question and the solution", () => {
    const p = program(
      "A boat costs $250 000. The dealer adds a 4% fee and a $12 000 trailer. How much does Ana pay in all?",
      "The fee is $250 000 x 4/100 = $10 000.\nAna pays $250 000 + $10 000 + $12 000 = $<<250000+10000+12000=272000>>272000.\n#### 272000",
    );
    assert.deepEqual(
      p.quantities.map((q) => q.text),
      ["$250 000", "4%", "$12 000"],
    );
    const result = rewriteProblem(p, new Map([[0, Rational.of(1500000)]]));
    assert.ok(result.ok);
    // By hand: the fee is 4% of 1,500,000 = 60,000; 1,500,000 + 60,000 + 12,000 = 1,572,000.
    assert.equal(result.value.expected.toString(), "1572000");
    assert.equal(
      result.value.question,
      "A boat costs $1 500 000. The dealer adds a 4% fee and a $12 000 trailer. How much does Ana pay in all?",
    );
    assert.equal(
      result.value.solution,
      "The fee is $1 500 000 x 4/100 = $60 000.\nAna pays $1 500 000 + $60 000 + $12 000 = $<<1500000+60000+12000=1572000>>1572000.\n#### 1572000",
    );
    // A value under a thousand needs no separator.
    const small = rewriteProblem(p, new Map([[2, Rational.of(900)]]));
    assert.ok(small.ok);
    assert.match(small.value.question, /and a \$900 trailer/);
    assert.match(small.value.solution, /\$10 000 \+ \$900 = \$<<250000\+10000\+900=260900>>260900/);
  });

  it("refuses a value that cannot be written as the text writes it", () => {
    const p = program("Split 12 cakes among 4 kids.", "Each gets 12/4=<<12/4=3>>3 cakes.\n#### 3");
    const result = rewriteProblem(p, new Map([[1, Rational.of(7)]]));
    assert.equal(result.ok, false);
    assert.equal(result.ok ? "" : result.reason, "unwritable_value");
  });
});

describe("checkSensible", () => {
  it("rejects fractional counts, negatives and unchanged answers", () => {
    const p = program("Tom has 10 pens and gives away 4.", "He keeps 10-4=<<10-4=6>>6 pens.\n#### 6");
    const run = (n: number) => {
      const r = rewriteProblem(p, new Map([[1, Rational.of(n)]]));
      assert.ok(r.ok);
      return checkSensible(p, r.value.execution);
    };
    assert.equal(run(12), "negative_value");
    assert.equal(run(10), "zero_value");
    assert.equal(run(5), null);
    const share = program(
      "Tom shares 12 pens equally among 4 friends.",
      "Each gets 12/4=<<12/4=3>>3 pens.\n#### 3",
    );
    const half = rewriteProblem(share, new Map([[0, Rational.of(10)]]));
    assert.ok(half.ok);
    assert.equal(checkSensible(share, half.value.execution), "fractional_count");
  });
});

describe("valueOptions", () => {
  it("keeps the kind, the decimals and the roundness of a quantity", () => {
    const [price] = scanQuantities("It costs $2.50.");
    assert.ok(price);
    const prices = valueOptions(price);
    assert.ok(prices.length > 3);
    assert.ok(prices.every((v) => (v.decimalPlaces() ?? 9) <= 2 && !v.equals(price.value)));
    const [big] = scanQuantities("They sold 80,000 bags.");
    assert.ok(big);
    assert.ok(valueOptions(big).every((v) => v.isInteger() && Number(v.num) % 10000 === 0));
    const [share] = scanQuantities("About 90% of them came.");
    assert.ok(share);
    assert.ok(valueOptions(share).every((v) => v.compare(Rational.of(100)) < 0));
    const [word] = scanQuantities("She has nine cats.");
    assert.ok(word);
    assert.ok(
      valueOptions(word).every((v) => v.compare(Rational.of(20)) <= 0 && v.compare(Rational.ONE) > 0),
    );
  });
});
