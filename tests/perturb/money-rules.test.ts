/**
 * The binding and rewriting rules that let price edits through where the text settles them, and the
 * refusals they must keep. Every problem here is made up.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { execute, liftProgram, type Program, tryExecute } from "../../src/perturb/program.js";
import { Rational } from "../../src/perturb/rational.js";
import { rewriteProblem } from "../../src/perturb/rewrite.js";
import { checkSensible } from "../../src/perturb/sensible.js";

function lifted(question: string, answer: string): Program {
  const result = liftProgram(question, answer);
  assert.ok(result.ok, `expected a program, got ${result.ok ? "" : `${result.reason}: ${result.detail}`}`);
  return result.program;
}

const index = (program: Program, text: string, occurrence = 0): number => {
  const q = program.quantities.filter((x) => x.text === text)[occurrence];
  assert.ok(q, `no quantity ${text}`);
  return q.index;
};

const edit = (program: Program, text: string, value: string) =>
  new Map([[index(program, text), Rational.parse(value) as Rational]]);

describe("days of a named month", () => {
  it("reads 30 for June and 31 for May or March, where the month is named", () => {
    const june = lifted(
      "A stall sells 40 buns a day at $3 each. How much does it take in June?",
      "Each day it takes 40*3=$<<40*3=120>>120.\nIn June it takes 120*30=$<<120*30=3600>>3600.\n#### 3600",
    );
    assert.equal(execute(june, edit(june, "$3", "5")).finalValue.toString(), "6000");
    const may = lifted(
      "Ada feeds 4 cats $2 of food a day. How much does she spend in the month of May?",
      "A day costs 4*2=$<<4*2=8>>8.\nMay costs 8*31=$<<8*31=248>>248.\n#### 248",
    );
    assert.equal(execute(may, edit(may, "$2", "3")).finalValue.toString(), "372");
  });

  it("does not read a month into the modal verb", () => {
    const result = liftProgram(
      "You may buy 4 pens at $2 each.",
      "They cost 4*2=$<<4*2=8>>8, and 8*31=<<8*31=248>>248.\n#### 248",
    );
    assert.equal(result.ok ? "lifted" : result.reason, "unbound_operand");
  });
});

describe("money times money", () => {
  // The supplies come to $20.00, the same value as the 20 candles.
  const Q =
    "Wax costs $15.00 and wicks cost $5.00. Cal makes and sells 20 candles for $3.00 each. What is his profit?";
  const A =
    "Supplies cost 15+5 = $<<15+5=20.00>>20.00\nHe sells them for 3*20 = $<<3*20=60.00>>60.00\nHis profit is 60-20 = $<<60-20=40.00>>40.00\n#### 40";

  it("drops the reading that multiplies a price by an amount of money", () => {
    const p = lifted(Q, A);
    // `3*20` is $3.00 times the 20 candles, not times the $20.00 of supplies.
    assert.equal(p.readings?.length, 1);
    // By hand: supplies $30.00, sales 20 * $3.00 = $60.00, profit $30.
    assert.equal(execute(p, edit(p, "$15.00", "25.00")).finalValue.toString(), "30");
  });

  it("keeps every reading where the question prices something per dollar", () => {
    const p = lifted(Q.replace("each.", "each, and pays 1 cent per dollar of sales."), A);
    assert.equal(p.readings?.length, 2);
    assert.equal(tryExecute(p, edit(p, "$15.00", "25.00")), null);
  });

  it("drops a reading that makes money out of a constant where a price could stand", () => {
    const p = lifted(
      "A bike is 40% cheaper than a car. The car costs $100. What do both cost?",
      "The bike is 40/100 * 100 = $<<40/100*100=40>>40 cheaper.\nIt costs 100 - 40 = $<<100-40=60>>60.\nBoth cost 100 + 60 = $<<100+60=160>>160.\n#### 160",
    );
    // By hand: the car at $200 makes the bike $120, both $320.
    assert.equal(execute(p, edit(p, "$100", "200")).finalValue.toString(), "320");
  });
});

describe("what prose numbers show", () => {
  it("rewrites a `$` amount in prose as the result it shows, not a constant of the same value", () => {
    const p = lifted(
      "Two friends spend $400 a month on food. In a four-week month, what does Kim pay a week if Lee pays 60%?",
      "They spend $400/4=$<<400/4=100>>100 a week.\nKim pays 100-60=<<100-60=40>>40%.\nSo she pays $100*(40/100)=$<<100*40/100=40>>40 a week.\n#### 40",
    );
    const result = rewriteProblem(p, edit(p, "$400", "600"));
    assert.ok(result.ok, result.ok ? "" : result.detail);
    // By hand: 600 / 4 = 150 a week, 40% of it is 60.
    assert.equal(result.value.expected.toString(), "60");
    assert.match(result.value.solution, /she pays \$150\*\(40\/100\)/);
  });

  it("rewrites a count in prose as the question's count, not a money result of the same value", () => {
    const p = lifted(
      "A crate holds 8 pears. Pears cost $0.50 each and Bo buys a crate. He works an eight-hour day to pay for 4 crates. What does he earn an hour?",
      "A crate costs 8*0.50=$<<8*0.50=4>>4.\n4 crates cost 4*4=$<<4*4=16>>16.\nOver his eight-hour day he earns 16/8=$<<16/8=2>>2 an hour.\n#### 2",
    );
    const result = rewriteProblem(p, edit(p, "$0.50", "0.75"));
    assert.ok(result.ok, result.ok ? "" : result.detail);
    // By hand: a crate is $6, four are $24, over 8 hours $3 an hour; the day stays eight-hour.
    assert.equal(result.value.expected.toString(), "3");
    assert.match(result.value.solution, /Over his eight-hour day he earns 24\/8=\$<<24\/8=3>>3/);
  });

  it("lets no prose copy name a line's operand when the line shows that value as two things", () => {
    // `.20*20`: the 20 is the $20.00 order, though the line also shows the 20 of 20%.
    const p = lifted(
      "Ann buys 2 pens at $4.00 each and 3 pads at $4.00 each. A 20% fee is added. What does she pay?",
      "The pens cost 2*4 = $<<2*4=8.00>>8.00\nThe pads cost 3*4 = $<<3*4=12.00>>12.00\nIn all 8+12 = $<<8+12=20.00>>20.00\nThe 20% fee on the $20.00 adds .20*20 = $4\nShe pays 20+4 = $<<20+4=24.00>>24.00\n#### 24",
    );
    const fee = p.steps.find((s) => s.syntax.kind === "plain");
    assert.ok(fee);
    assert.ok(
      (fee.operands[1] ?? []).some((s) => s.type === "step"),
      "the order total stays a candidate",
    );
  });
});

describe("sense checks for money", () => {
  it("lets a whole amount of money gain cents, but never a count", () => {
    const p = lifted(
      "Jo earns $15 a day and pays $3 a day for parking. She works 6 hours a day. What does she keep per hour?",
      "She keeps $15 - $3 = $<<15-3=12>>12 a day.\nPer hour that is $12 / 6 = $<<12/6=2>>2.\n#### 2",
    );
    const result = rewriteProblem(p, edit(p, "$15", "30"));
    assert.ok(result.ok);
    assert.equal(checkSensible(p, result.value.execution), null);
    // By hand: (30 - 3) / 6 = 4.50, shown with its cents.
    assert.equal(result.value.expected.toString(), "4.5");
    assert.match(result.value.solution, /= \$<<27\/6=4\.5>>4\.50\./);
    const counts = lifted(
      "Jo has $15 and spends $3. Pens cost $6 each. How many pens can she buy?",
      "She has 15 - 3 = $<<15-3=12>>12 left.\nShe buys 12 / 6 = <<12/6=2>>2 pens.\n#### 2",
    );
    const pens = rewriteProblem(counts, edit(counts, "$15", "30"));
    assert.ok(pens.ok);
    assert.equal(checkSensible(counts, pens.value.execution), "fractional_count");
  });

  it("leaves a result that keeps its value written as it was", () => {
    const p = lifted(
      "Kit buys 2 hats at $7.50 each and a scarf for $5.00. What does she spend?",
      "The hats cost 2*7.50 = $<<2*7.5=15.00>>15.00\nIn all 15+5 = $<<15+5=20.00>>20.00\n#### 20",
    );
    const result = rewriteProblem(p, edit(p, "$5.00", "6.00"));
    assert.ok(result.ok);
    assert.match(result.value.solution, /=15\.00>>15\.00/);
    assert.match(result.value.solution, /15\+6 = \$<<15\+6=21>>21/);
  });
});

describe("money rules, second round", () => {
  it("binds an operand written with `$` in plain arithmetic to an amount, not a count", () => {
    const p = lifted(
      "Pens come 4 to a box and cost $4 a box. Lia has a $1 voucher. How much does one box cost her after the voucher?",
      "One box costs $4-$1 = $3 after the voucher.\n#### 3",
    );
    // The first operand of `$4-$1` is the $4 price, so it follows the price and not the pens per box.
    assert.equal(execute(p, edit(p, "$4", "6")).finalValue.toString(), "5");
  });

  it("does not let one prose number name both operands of `20/100*20`", () => {
    const p = lifted(
      "A lamp costs $20 and its price rises by 20% of the original price every two months. What does it cost after 6 months?",
      "When the price rises by 20%, it rises by 20/100*20 = $<<20/100*20=4>>4\nIn 6 months it rises 6/2 = <<6/2=3>>3 times.\nThat is 3*$4 = $<<3*4=12>>12\nIt costs $20+$12 = $<<20+12=32>>32\n#### 32",
    );
    // The line shows 20% once; the other 20 is the $20 price, which the rise must follow.
    assert.equal(execute(p, edit(p, "$20", "30")).finalValue.toString(), "48");
  });

  it("drops a reading that makes money out of money twice over", () => {
    const p = lifted(
      "A plan has five lines. The main line costs twice as much as each other line. If the main line costs $20, how much does the plan cost?",
      "Each other line costs 20 / 2 = $<<20/2=10>>10.\nThe four other lines cost 4 * 10 = $<<4*10=40>>40.\nThe plan costs $40 + $20 = $<<40+20=60>>60.\n#### 60",
    );
    // 4 could be five minus one or $20 / five; the second times the $10 is money times money.
    assert.equal(execute(p, edit(p, "$20", "40")).finalValue.toString(), "120");
  });

  it("reads a result shown as a number of counted things as no amount of money", () => {
    const p = lifted(
      "Kim invited 20 guests. Each guest eats 2 buns. A bag holds 8 buns and costs $2. How much does she spend on buns?",
      "She needs 2*20=<<2*20=40>>40 buns\nShe buys 40/8=<<40/8=5>>5 bags\nShe spends 5*2=$<<5*2=10>>10\n#### 10",
    );
    // 40 buns is a count: the reading that makes it $2 * 20 guests is dropped.
    assert.equal(execute(p, edit(p, "$2", "3")).finalValue.toString(), "15");
  });

  it("shows a `$` prose number as the amount, not a count of things with the same value", () => {
    const p = lifted(
      "Ann eats one bar a day. A box holds 15 bars and costs $4.00. How much does she spend in 60 days?",
      "In 60 days she needs 60/15 = 4 boxes\nEach box costs $4.00 and she needs 4 boxes, so 4*4 = $<<4*4=16.00>>16.00\n#### 16",
    );
    const r = rewriteProblem(p, edit(p, "$4.00", "5"));
    assert.ok(r.ok, r.ok ? "" : r.detail);
    assert.match(r.value.solution, /Each box costs \$5\.00 and she needs 4 boxes/);
    assert.equal(r.value.expected.toString(), "20");
  });

  it("refuses an amount written with `$` that only a constant could be", () => {
    const result = liftProgram(
      "Max gets $5 a day. He buys 4 gums at 25 cents each a day. How much does he save in 3 days?",
      "4 gums cost 4 * 25 = <<4*25=100>>100 cents\nSince 100 cents = $1 he spends $1 a day.\nHe saves $5 - $1 = $<<5-1=4>>4 a day\nIn 3 days he saves $4 * 3 = $<<4*3=12>>12\n#### 12",
    );
    assert.equal(result.ok, false);
    assert.equal(result.ok ? "" : result.reason, "unbound_operand");
  });
});
