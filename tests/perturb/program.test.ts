import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { execute, type LiftResult, liftProgram, type Program } from "../../src/perturb/program.js";
import { Rational } from "../../src/perturb/rational.js";
import { parseSolution } from "../../src/perturb/solution.js";

function lifted(question: string, answer: string): Program {
  const result = liftProgram(question, answer);
  assert.ok(result.ok, `expected a program, got ${result.ok ? "" : `${result.reason}: ${result.detail}`}`);
  return result.program;
}

function reason(question: string, answer: string): string {
  const result: LiftResult = liftProgram(question, answer);
  assert.equal(result.ok, false, "expected the problem to be refused");
  return result.ok ? "" : result.reason;
}

const index = (program: Program, text: string): number => {
  const q = program.quantities.find((x) => x.text === text);
  assert.ok(q, `no quantity ${text}`);
  return q.index;
};

describe("parseSolution", () => {
  it("reads annotated steps, plain-text steps and the final answer", () => {
    const s = parseSolution("Tom has 5+3=<<5+3=8>>8 cards.\nHe gives away 2, so 8 - 2 = 6 remain.\n#### 6");
    assert.equal(s.steps.length, 2);
    assert.equal(s.steps[0]?.kind, "annotation");
    assert.equal(s.steps[1]?.kind, "plain");
    assert.equal(s.steps[1]?.written.toString(), "6");
    assert.equal(s.final?.value.toString(), "6");
    assert.equal(s.problem, null);
  });

  it("reads prose arithmetic with unit words as a step", () => {
    const s = parseSolution("That is 5 seconds * 60 potatoes / 60 seconds per minute = 5 minutes.\n#### 5");
    assert.equal(s.steps.length, 1);
    assert.deepEqual(
      s.steps[0]?.literals.map((l) => l.text),
      ["5", "60", "60"],
    );
  });

  it("links prose copies of an annotation's operands", () => {
    const s = parseSolution("She pays 3 x 20 = $<<3*20=60>>60.\n#### 60");
    assert.equal(s.steps[0]?.mirrors.length, 2);
    assert.equal(s.prose.length, 0);
  });

  it("reads rounding written in words as a step", () => {
    const s = parseSolution("She needs 27/4 = 6.75 boxes, so she must round 6.75 up to 7 boxes.\n#### 7");
    assert.equal(s.steps.length, 2);
    assert.equal(s.steps[1]?.expr.op, "round");
    assert.equal(s.steps[1]?.written.toString(), "7");
    const p = lifted("Each box holds 4 cups. She has 27 cups to pack.", s.text);
    assert.equal(execute(p, new Map([[1, Rational.of(29)]])).finalValue.toString(), "8");
  });

  it("flags algebra", () => {
    assert.equal(parseSolution("Let x be the cost.\n3x + 4 = 28\nx=<<8=8>>8\n#### 8").problem, "algebra");
  });
});

describe("liftProgram", () => {
  it("binds operands to quantities, derived forms, steps and constants", () => {
    const p = lifted(
      "A lamp costs $40. The price rises by 150%, and Mia buys half a dozen lamps for 3 hours of work.",
      "The rise is 40*1.5=<<40*1.5=60>>60 dollars.\nThe new price is 40+60=<<40+60=100>>100.\nHalf a dozen is 12/2=<<12/2=6>>6 lamps.\nShe pays 6*100=<<6*100=600>>600.\nShe works 3*60=<<3*60=180>>180 minutes.\nPer minute: 600/180=<<600/180=3.33>>3.33\n#### 3.33",
    );
    const rise = p.steps[0]?.operands[1];
    assert.deepEqual(rise, [{ type: "quantity", quantity: index(p, "150%"), form: "percent-fraction" }]);
    assert.deepEqual(p.steps[1]?.operands[1]?.[0], { type: "step", step: 0 });
    assert.ok(p.steps[4]?.operands[1]?.some((s) => s.type === "constant" && s.value.toString() === "60"));
    assert.equal(p.steps[5]?.roundedTo, 2);
    assert.equal(execute(p, new Map()).finalValue.toString(), "3.33");
  });

  it("reproduces every annotation with the original values (identity)", () => {
    const p = lifted(
      "Sam bakes 4 trays of 12 cookies and eats 5.",
      "He bakes 4*12=<<4*12=48>>48 cookies.\nHe has 48-5=<<48-5=43>>43 left.\n#### 43",
    );
    const run = execute(p, new Map());
    assert.deepEqual(
      run.stepValues.map((v) => v.toString()),
      ["48", "43"],
    );
    assert.equal(run.finalValue.toString(), "43");
  });

  it("recomputes with changed quantities", () => {
    const p = lifted(
      "Sam bakes 4 trays of 12 cookies and eats 5.",
      "He bakes 4*12=<<4*12=48>>48 cookies.\nHe has 48-5=<<48-5=43>>43 left.\n#### 43",
    );
    const run = execute(p, new Map([[index(p, "4"), Rational.of(6)]]));
    assert.equal(run.finalValue.toString(), "67");
  });

  it("gives each refusal its reason code", () => {
    assert.equal(reason("Ann has 3 pens.", "She has 3 pens."), "no_final_answer");
    assert.equal(reason("Ann has 3 pens.", "So <<3**2=9>>9\n#### 9"), "annotation_unparseable");
    assert.equal(reason("Ann has 3 pens and 4 cups.", "Let x be it.\nx = 3 + 4\n#### 7"), "algebra");
    assert.equal(reason("Ann has 3 pens and 4 cups.", "Total 3+4=<<3+4=8>>8\n#### 8"), "annotation_mismatch");
    assert.equal(
      reason("Ann has 3 pens and 4 cups.", "Total 3+57=<<3+57=60>>60\n#### 60"),
      "unbound_operand",
    );
    assert.equal(
      reason("Ann has 30 pens and 40 cups.", "She keeps <<30=30>>30\n#### 30"),
      "unannotated_value",
    );
    assert.equal(
      reason("Ann has 3 pens and 4 cups.", "Total 3+4=<<3+4=7>>7\n#### 97"),
      "final_answer_unbound",
    );
    assert.equal(reason("Ann has 3 pens and 0 cups.", "Per cup 3/0=<<3/0=0>>0\n#### 0"), "division_by_zero");
  });

  it("refuses to guess when a question number equals a constant the solution uses", () => {
    // 60 is both the price and the minutes in an hour: changing the price changes which is which.
    const p = lifted(
      "A tutor charges $60 for 2 hours. How much per minute?",
      "2 hours is 2*60=<<2*60=120>>120 minutes.\nPer minute: 60/120=<<60/120=0.5>>0.5\n#### 0.5",
    );
    assert.throws(() => execute(p, new Map([[index(p, "$60"), Rational.of(90)]])), /different|differ/);
    // Changing the hours is unambiguous.
    assert.equal(execute(p, new Map([[index(p, "2"), Rational.of(3)]])).finalValue.toString(), "1/3");
  });

  it("lets two equal numbers trade places when the result cannot tell them apart", () => {
    const p = lifted("Max runs 3 laps 3 times a day.", "He runs 3*3=<<3*3=9>>9 laps.\n#### 9");
    const run = execute(p, new Map([[0, Rational.of(5)]]));
    assert.equal(run.finalValue.toString(), "15");
  });
});

describe("a solution with no readable step", () => {
  // Made-up problems whose worked solutions use a notation the engine does not parse ("50(.50)").
  it("is refused even when a question number, or a value computed from them, matches the answer", () => {
    const sum = liftProgram(
      "A farm has 40 cows and 10 pigs. How many animals are there?",
      "Animals:40(1)+10(1)=50 animals\n#### 50",
    );
    assert.equal(sum.ok, false);
    assert.equal(!sum.ok && sum.reason, "final_answer_unbound");
    // 5 is also the denominator of "a fifth": changing it would give a wrong answer.
    const chain = liftProgram(
      "A shop sells 50 hats. Half of them are red. A fifth of the red hats have a feather. How many red hats have a feather?",
      "Red:50(.50)=25\nFeather:25(.20)=5 hats\n#### 5",
    );
    assert.equal(chain.ok, false);
    assert.match(!chain.ok ? chain.detail : "", /no solution step could be read/);
  });
});
