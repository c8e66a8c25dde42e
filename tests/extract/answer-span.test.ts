/** answerSpan: where the recorded rule's number sits in a completion (the report highlights it). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { answerSpan, extractAnswer } from "../../src/extract/index.js";

/** The span's text, and the offset counted by hand from the completion below. */
function spanText(text: string, stop: string[], rule: string | null): [number, string] | null {
  const span = answerSpan(text, stop, rule);
  return span === null ? null : [span.start, text.slice(span.start, span.end)];
}

test("each text rule's number, as written, at its offset", () => {
  const text = "Costs: 3 + 4 = 7. The answer is $1,200. Then 5 more.\n#### 12\n#### 13";
  assert.deepEqual(spanText(text, [], "hash-line"), [text.indexOf("#### 12") + 5, "12"]);
  assert.deepEqual(spanText(text, [], "answer-is"), [32, "$1,200"]);
  assert.deepEqual(spanText(text, [], "last-number"), [text.length - 2, "13"]);
});

test("the stop cut applies: a number after the stop string is not the one found", () => {
  const text = "so 18 in all.\nQuestion: how many? 99";
  assert.deepEqual(spanText(text, ["Question:"], "last-number"), [3, "18"]);
  assert.equal(extractAnswer(text, ["Question:"]).answer, "18");
});

test("no span: no rule, a program's rule, a rule that finds nothing", () => {
  assert.equal(answerSpan("#### 4", [], null), null);
  assert.equal(answerSpan("#### 4", [], "code"), null);
  assert.equal(answerSpan("#### 4", [], "toString"), null);
  assert.equal(answerSpan("no number here", [], "last-number"), null);
});
