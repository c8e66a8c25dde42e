import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { answerUnitOf, extractAnswer } from "../../src/extract/index.js";
import { scoreCompletion } from "../../src/metrics/score.js";

describe("answers in the unit the question asks for", () => {
  it("reads the unit only where the question states it", () => {
    assert.equal(answerUnitOf("How much does each pump cost, in cents?"), "cents");
    assert.equal(answerUnitOf("How many cents does she save?"), "cents");
    assert.equal(answerUnitOf("How much does he pay in dollars?"), "dollars");
    assert.equal(answerUnitOf("How much does he pay?"), null);
  });

  it("converts dollars to cents and cents to dollars", () => {
    assert.equal(extractAnswer("Each pump costs $0.50.", [], "flexible-extract", "cents").answer, "50");
    assert.equal(extractAnswer("The answer is $2.", [], "flexible-extract", "cents").answer, "200");
    assert.equal(extractAnswer("Each pump costs 50 cents.", [], "flexible-extract", "cents").answer, "50");
    assert.equal(
      extractAnswer("He pays 75 cents in total.", [], "flexible-extract", "dollars").answer,
      "0.75",
    );
    assert.equal(extractAnswer("He pays $3.25.", [], "flexible-extract", "dollars").answer, "3.25");
  });

  it("leaves answers alone when the question does not say", () => {
    assert.equal(extractAnswer("Each pump costs $0.50.").answer, "0.5");
    assert.equal(extractAnswer("It is 50 cents.").answer, "50");
  });

  it("scores with the request's unit", () => {
    const request = {
      stop: [],
      expected: "10",
      originalAnswer: "10",
      answerChanged: false,
      variantId: null,
      answerUnit: "cents" as const,
    };
    assert.equal(scoreCompletion("So each wash costs $0.10.", request).correct, true);
    assert.equal(
      scoreCompletion("So each wash costs $0.10.", { ...request, answerUnit: undefined }).correct,
      false,
    );
  });
});
