import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Rational } from "../../src/perturb/rational.js";

const r = (text: string) => Rational.parse(text) as Rational;

describe("Rational", () => {
  it("parses integers, decimals, separators and bare decimals", () => {
    assert.equal(r("1,200.50").toString(), "1200.5");
    assert.equal(r(".5").toString(), "0.5");
    assert.equal(r("-3").toString(), "-3");
    assert.equal(Rational.parse("abc"), null);
    assert.equal(Rational.parse("."), null);
  });

  it("computes exactly where floats drift", () => {
    assert.equal(r("0.1").add(r("0.2")).toString(), "0.3");
    assert.ok(r("0.1").add(r("0.2")).equals(r("0.3")));
    assert.equal(r("1").div(r("3")).mul(r("3")).toString(), "1");
    assert.equal(r("100").div(r("3")).toString(), "100/3");
  });

  it("knows whether a decimal expansion terminates", () => {
    assert.equal(Rational.of(1, 8).decimalPlaces(), 3);
    assert.equal(Rational.of(1, 3).decimalPlaces(), null);
    assert.equal(Rational.of(1, 3).toDecimal(), null);
  });

  it("rounds half away from zero and floors/ceils", () => {
    assert.equal(Rational.of(100, 3).roundTo(2).toString(), "33.33");
    assert.equal(r("2.345").roundTo(2).toString(), "2.35");
    assert.equal(r("-2.345").roundTo(2).toString(), "-2.35");
    assert.equal(r("6.75").ceil().toString(), "7");
    assert.equal(r("-6.75").floor().toString(), "-7");
    assert.equal(r("12.5").toFixed(2), "12.50");
  });

  it("refuses division by zero", () => {
    assert.throws(() => r("1").div(r("0")), RangeError);
  });
});
