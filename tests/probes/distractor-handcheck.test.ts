import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { resolveDataset } from "../../src/data/index.js";
import { canonicalAnswer } from "../../src/probes/answer.js";
import { distractor } from "../../src/probes/distractor.js";
import { runProbes } from "../../src/probes/run.js";
import { sharedGsm8kFile } from "../helpers/data-fixtures.js";

const TEST_FILE = sharedGsm8kFile("test.jsonl");
const skip = existsSync(TEST_FILE) ? false : `${TEST_FILE} is not there`;
const SHEET = fileURLToPath(new URL("../../../tests/probes/distractor-handcheck.md", import.meta.url));

/** The 40 GSM8K test lines read by hand (seed 1; see distractor-handcheck.md for how they were drawn). */
const LINES = [
  34, 92, 100, 109, 158, 216, 221, 259, 271, 310, 336, 344, 354, 414, 426, 473, 539, 559, 566, 593, 611, 612,
  642, 684, 687, 692, 828, 830, 835, 839, 871, 875, 917, 1013, 1116, 1137, 1140, 1154, 1198, 1243,
];

/** line -> the sentence read by hand, from the sheet's table. */
function sheetSentences(): Map<number, string> {
  const rows = readFileSync(SHEET, "utf8")
    .split("\n")
    .map((l) => /^\| (\d+) \| (.+?) \| (.+) \|$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null);
  for (const m of rows) assert.match(m[3] as string, /^unchanged; /, `line ${m[1]} was judged unchanged`);
  return new Map(rows.map((m) => [Number(m[1]), m[2] as string]));
}

const numbersIn = (text: string): Set<number> =>
  new Set((text.match(/\d+(?:,\d{3})*(?:\.\d+)?/g) ?? []).map((n) => Number(n.replace(/,/g, ""))));
const stemOf = (word: string): string => word.toLowerCase().replace(/(?:es|s)$/, "");

describe("distractor variants read by hand on 40 GSM8K test problems", { skip }, () => {
  it("inserts the sentences read by hand, before the question sentence, with the original key and within the guards", async () => {
    const sheet = sheetSentences();
    assert.deepEqual([...sheet.keys()], LINES, "the sheet lists the 40 lines");
    const dataset = await resolveDataset(TEST_FILE);
    const problems = dataset.problems.filter((p) => LINES.includes(p.line));
    assert.equal(problems.length, 40);
    const { variants } = runProbes(problems, [distractor()], 1);
    for (const problem of problems) {
      const v = variants.find((x) => x.problemId === problem.id);
      assert.ok(v, `line ${problem.line} has a distractor variant`);
      assert.equal(v.expected, canonicalAnswer(problem.finalAnswer), `line ${problem.line}: original key`);
      assert.equal(v.answerChanged, false);
      assert.equal(v.solution, problem.answer);

      // The sentence read by hand, inserted whole: removing it gives back the original question.
      const sentence = sheet.get(problem.line) as string;
      const at = v.question.indexOf(`${sentence} `);
      assert.ok(at >= 0, `line ${problem.line}: "${sentence}" is in the variant`);
      const original = problem.question;
      assert.equal(v.question.slice(0, at) + v.question.slice(at + sentence.length + 1), original);

      // Right before the question sentence: what follows is one sentence, the one that asks.
      const rest = original.slice(at);
      assert.ok(/[.!?]\s/.test(original.slice(0, at)), `line ${problem.line}: after a statement`);
      assert.doesNotMatch(
        rest.replace(/\b(?:Mr|Mrs|Ms|Dr|St)\./g, ""),
        /[.!?]["'”’]?\s+\S/,
        `line ${problem.line}`,
      );
      const asking = rest.includes("?") ? rest : "";
      assert.ok(rest.includes("?") || /^[A-Z]/.test(rest), `line ${problem.line}: a question follows`);

      // Guards: a number the problem does not hold, a unit the question does not ask about, no negation.
      const n = Number(sentence.match(/\d+/)?.[0]);
      assert.ok(!numbersIn(`${original}\n${problem.answer}`).has(n), `line ${problem.line}: ${n} is new`);
      const counted = sentence.match(/\d+ ([a-z]+)/)?.[1];
      const askedWords = new Set((asking.match(/[A-Za-z]+/g) ?? []).map(stemOf));
      if (counted) assert.ok(!askedWords.has(stemOf(counted)), `line ${problem.line}: ${counted} is asked`);
      assert.doesNotMatch(sentence, /\b(?:not|never|no|none)\b|n't/);
    }
  });
});
