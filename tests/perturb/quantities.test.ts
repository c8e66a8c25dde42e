import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { findPlainEquations } from "../../src/perturb/plain-equations.js";
import { evaluateForm, type Quantity, scanQuantities } from "../../src/perturb/quantities.js";

function only(text: string): Quantity {
  const found = scanQuantities(text);
  assert.equal(
    found.length,
    1,
    `expected one quantity in ${JSON.stringify(text)}, got ${found.map((q) => q.text)}`,
  );
  return found[0] as Quantity;
}

describe("scanQuantities", () => {
  it("finds integers and decimals with exact spans", () => {
    const text = "Ann has 12 apples and 2.5 pounds of flour.";
    const [a, b] = scanQuantities(text);
    assert.equal(text.slice(a?.start, a?.end), "12");
    assert.equal(a?.kind, "integer");
    assert.equal(text.slice(b?.start, b?.end), "2.5");
    assert.equal(b?.kind, "decimal");
  });

  it("reads thousands separators and money", () => {
    const q = only("The car costs $1,200.50 today.");
    assert.equal(q.text, "$1,200.50");
    assert.equal(q.value.toString(), "1200.5");
    assert.ok(q.money);
    assert.ok(q.style.separators);
    assert.equal(q.style.decimals, 2);
    assert.equal(only("He saved 2,000 stamps.").value.toString(), "2000");
    assert.ok(only("It costs 30 dollars.").money);
  });

  it("reads an amount with space-grouped thousands after a dollar sign as one number", () => {
    const [house, fee] = scanQuantities("The house costs $1 250 000 and the fee is $12 500.50.");
    assert.equal(house?.text, "$1 250 000");
    assert.equal(house?.value.toString(), "1250000");
    assert.equal(house?.money, true);
    assert.equal(house?.style.separators, true);
    assert.equal(house?.style.spaceGroups, true);
    assert.equal(fee?.text, "$12 500.50");
    assert.equal(fee?.value.toString(), "12500.5");
    assert.equal(fee?.style.decimals, 2);
    // Commas stay commas.
    assert.equal(only("It costs $1,200.").style.spaceGroups, undefined);
  });

  it("never merges space-separated digits that could be two numbers", () => {
    const texts = (t: string) => scanQuantities(t).map((q) => q.text);
    // No dollar sign: a count beside a number, as before.
    assert.deepEqual(texts("She gave 2 000-page books to 3 friends."), ["2", "000", "3"]);
    assert.deepEqual(texts("They counted 450 000 birds."), ["450", "000"]);
    // A dollar sign, but something continues the digits.
    assert.deepEqual(texts("He paid $12 200-kilobyte fees."), ["$12", "200"]);
    assert.deepEqual(texts("He paid $400 0000 in all."), ["$400", "0000"]);
    assert.deepEqual(texts("He paid $400 000 5 times."), ["$400", "000", "5"]);
    assert.deepEqual(texts("He paid $1 000,000 in all."), ["$1", "000,000"]);
    assert.deepEqual(texts("It rose $5 100% in a year."), ["$5", "100%"]);
    assert.deepEqual(texts("It rose $5 100 percent in a year."), ["$5", "100 percent"]);
    assert.deepEqual(texts("It is $2 50 or $2 5000."), ["$2", "50", "$2", "5000"]);
    // Only right after the sign, so "$ 400 000" reads as it always did.
    assert.deepEqual(texts("It costs $ 400 000."), ["$ 400", "000"]);
  });

  it("reads plain-text arithmetic with space-grouped amounts only where each has a dollar sign", () => {
    const [eq] = findPlainEquations("So she keeps $400 000 - $282 000 = $118 000.");
    assert.ok(eq);
    assert.deepEqual(
      eq.literals.map((l) => [l.text, l.value.toString()]),
      [
        ["400 000", "400000"],
        ["282 000", "282000"],
      ],
    );
    assert.equal(eq.resultText, "118 000");
    assert.equal(eq.written.toString(), "118000");
    // Without the sign the digits are separate numbers, and no step is read from them.
    assert.equal(
      findPlainEquations("So she keeps 400 000 - 282 000 = 118 000.").some((e) =>
        e.written.equals(eq.written),
      ),
      false,
    );
  });

  it("reads percents, with their fraction forms", () => {
    const q = only("The value rose by 150%.");
    assert.equal(q.kind, "percent");
    assert.equal(q.value.toString(), "150");
    assert.equal(evaluateForm(q, "percent-fraction", q.value).toString(), "1.5");
    assert.equal(only("About 40 percent of them left.").value.toString(), "40");
  });

  it("reads fractions and mixed numbers with their parts", () => {
    const quarter = only("She ate 1/4 of the cake.");
    assert.equal(quarter.kind, "fraction");
    assert.equal(quarter.value.toString(), "0.25");
    assert.equal(evaluateForm(quarter, "denominator", quarter.value).toString(), "4");
    const mixed = only("The rope is 2 1/2 meters long.");
    assert.equal(mixed.kind, "mixed-number");
    assert.equal(mixed.value.toString(), "2.5");
    assert.equal(only("Two-thirds of them are red.").value.toString(), "2/3");
  });

  it("reads number words, dozens and multipliers", () => {
    assert.equal(only("She has three cats.").value.toString(), "3");
    assert.equal(only("Twelve birds sat there.").style.word?.capitalized, true);
    assert.equal(only("He bought twenty-five pens.").value.toString(), "25");
    assert.equal(only("She bought a dozen eggs.").value.toString(), "12");
    const half = only("He ate half of it.");
    assert.equal(half.value.toString(), "0.5");
    assert.equal(evaluateForm(half, "reciprocal", half.value).toString(), "2");
    assert.equal(only("He ran twice as far.").value.toString(), "2");
    assert.equal(only("The price will double.").value.toString(), "2");
    assert.equal(only("They triple it.").value.toString(), "3");
  });

  it("reads clock times with hour and minute forms", () => {
    const q = only("The shop opens at 3:30 pm.");
    assert.equal(q.kind, "time");
    assert.equal(evaluateForm(q, "hour-24", q.value).toString(), "15");
    assert.equal(evaluateForm(q, "minutes", q.value).toString(), "30");
    assert.equal(q.perturbable, false);
  });

  it("marks what may be changed", () => {
    assert.equal(only("In 1999 they met.").kind, "year");
    assert.equal(only("In 1999 they met.").perturbable, false);
    assert.equal(only("She has one dog.").perturbable, false);
    assert.equal(only("She has 1 dog.").perturbable, false);
    assert.equal(only("She has 7 dogs.").perturbable, true);
    assert.equal(only("It costs 25 cents.").forms.includes("percent-fraction"), true);
  });
});
