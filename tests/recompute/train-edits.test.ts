/**
 * litmus recompute against the hand-made held-out corpus: number edits of GSM8K train problems,
 * each answer worked out by hand from the edited question before litmus was run on it. The bar is
 * zero wrong answers; a refusal is allowed, and each case records which outcome recompute gives so
 * that any change in coverage is seen.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { sameNumber } from "../../src/extract/index.js";
import { recomputeEdited } from "../../src/recompute/index.js";
import { sharedGsm8kFile } from "../helpers/data-fixtures.js";
import { applyCorpusEdits, CAUSES, loadCorpus } from "./train-edits.js";

const train = readFileSync(sharedGsm8kFile("train.jsonl"), "utf8").trimEnd().split("\n");
const corpus = loadCorpus();

function outcomeOf(c: (typeof corpus)[number]): { answer: string | null; reason: string | null } {
  const original = JSON.parse(train[c.line - 1] as string) as { question: string; answer: string };
  return recomputeEdited(original, applyCorpusEdits(original.question, c.edits));
}

describe("the hand-made corpus of train edits", () => {
  it("has at least 150 cases, every cause at least 5 times, edits that apply and no GSM8K text", () => {
    assert.ok(corpus.length >= 150, String(corpus.length));
    for (const cause of CAUSES) {
      const n = corpus.filter((c) => c.cause === cause).length;
      assert.ok(n >= 5, `${cause}: ${n}`);
    }
    const keys = new Set<string>();
    for (const c of corpus) {
      const key = `${c.line} ${JSON.stringify(c.edits)}`;
      assert.ok(!keys.has(key), `duplicate case ${key}`);
      keys.add(key);
      assert.ok(c.line >= 1 && c.line <= train.length, `${c.file}: line ${c.line}`);
      assert.ok(c.answer === "impossible" || /^-?\d+(?:\.\d+)?$/.test(c.answer), `${c.file}: ${c.answer}`);
      const { question } = JSON.parse(train[c.line - 1] as string) as { question: string };
      const edited = applyCorpusEdits(question, c.edits);
      assert.notEqual(edited, question, `${c.file} line ${c.line}: the edits change nothing`);
      // The work notes are arithmetic, not copied text: no run of five words of the question.
      const words = question.toLowerCase().split(/\s+/);
      for (let i = 0; i + 5 <= words.length; i++) {
        assert.ok(
          !c.work.toLowerCase().includes(words.slice(i, i + 5).join(" ")),
          `${c.file} line ${c.line}`,
        );
      }
    }
  });

  for (const c of corpus) {
    const edits = c.edits.map((e) => `${e.from}->${e.to}`).join(", ");
    it(`train line ${c.line} (${c.cause}) ${edits}: hand ${c.answer}, recompute ${c.recompute}`, () => {
      const result = outcomeOf(c);
      if (result.answer !== null) {
        // Never a wrong answer: an impossible problem has none, anything else has the hand answer.
        assert.notEqual(c.answer, "impossible", `answered ${result.answer} for an impossible problem`);
        assert.ok(sameNumber(result.answer, c.answer), `recompute ${result.answer}, by hand ${c.answer}`);
      }
      assert.equal(result.answer ?? `refused:${result.reason}`, c.recompute);
    });
  }
});
