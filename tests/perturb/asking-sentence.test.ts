import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { askingSentence } from "../../src/perturb/sensible.js";
import { sharedGsm8kFile } from "../helpers/data-fixtures.js";

/** The definition askingSentence had: the last /[^.?!]*[?]/ match, else the last sentence. */
function byRegex(question: string): string {
  const sentences = question.match(/[^.?!]*[?]/g);
  if (sentences && sentences.length > 0) return (sentences[sentences.length - 1] as string).trim();
  const all = question.split(/(?<=[.!])\s+/);
  return (all[all.length - 1] ?? question).trim();
}

describe("askingSentence", () => {
  it("finds what the regex found, read from the end (GSM8K test questions, halves, edge marks)", () => {
    const questions = readFileSync(sharedGsm8kFile("test.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { question: string }).question);
    let compared = 0;
    for (const q of questions) {
      for (const text of [q, q.slice(0, Math.floor(q.length / 2)), `?${q}`, `${q}??`, "?", "No question."]) {
        assert.equal(askingSentence(text), byRegex(text), text);
        compared++;
      }
    }
    assert.equal(compared, 6 * 1319);
  });
});
