/** The drill-down records: prompts kept as shared pieces and joined back exactly. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { promptPieces, QUESTION_PIECE } from "../../src/report/drill.js";

function roundTrip(prompt: string, shared: number, question: string): { pieces: number[]; texts: string[] } {
  const texts: string[] = [];
  const intern = (t: string) => {
    const at = texts.indexOf(t);
    return at >= 0 ? at : texts.push(t) - 1;
  };
  const pieces = promptPieces(prompt, shared, question, intern);
  assert.equal(pieces.map((i) => (i === QUESTION_PIECE ? question : texts[i])).join(""), prompt);
  return { pieces, texts };
}

test("a few-shot prompt: the exemplar block, the words around the question, the question", () => {
  const block = "Question: 1+1?\nAnswer: 2\n\nQuestion: ";
  const { pieces, texts } = roundTrip(`${block}How many?\nAnswer:`, block.length, "How many?");
  assert.deepEqual(pieces, [0, QUESTION_PIECE, 1]);
  assert.deepEqual(texts, [block, "\nAnswer:"]);
});

test("two prompts of one format share every piece but the question", () => {
  const texts: string[] = [];
  const intern = (t: string) => (texts.includes(t) ? texts.indexOf(t) : texts.push(t) - 1);
  const a = promptPieces("Question: A?\nAnswer:", 0, "A?", intern);
  const b = promptPieces("Question: B?\nAnswer:", 0, "B?", intern);
  assert.deepEqual(a, b);
  assert.deepEqual(texts, ["Question: ", "\nAnswer:"]);
});

test("a prompt without the question verbatim is kept whole; empty and edge cases join back", () => {
  assert.deepEqual(roundTrip("Q: something else", 0, "not there").pieces, [0]);
  assert.deepEqual(roundTrip("", 0, "x").pieces, []);
  assert.deepEqual(roundTrip("x", 0, "x").pieces, [QUESTION_PIECE]);
  assert.deepEqual(roundTrip("abc", 99, "b").pieces, [0]);
  roundTrip("ab ab", 1, "ab");
});
