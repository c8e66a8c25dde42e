import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, it } from "node:test";
import { loadProblems } from "../../src/data/index.js";
import { FIRST_NAMES } from "../../src/probes/names.js";
import { parseProbeList } from "../../src/probes/registry.js";
import { runProbes } from "../../src/probes/run.js";
import { recomputeEdited } from "../../src/recompute/index.js";
import type { Edit } from "../../src/types/index.js";
import { sharedGsm8kFile } from "../helpers/data-fixtures.js";

const TEST_FILE = sharedGsm8kFile("test.jsonl");
const skip = existsSync(TEST_FILE) ? false : `${TEST_FILE} is not there`;

function rebuild(original: string, edits: Edit[]): string {
  let out = "";
  let at = 0;
  for (const e of edits) {
    assert.equal(original.slice(e.start, e.end), e.before);
    out += original.slice(at, e.start) + e.after;
    at = e.end;
  }
  return out + original.slice(at);
}

describe("probes on the GSM8K test split", { skip }, () => {
  it("newline and rename keep the answer, and their edits rebuild every variant", async () => {
    const problems = await loadProblems(TEST_FILE);
    const { variants, stats } = runProbes(problems, parseProbeList("newline,rename"), 2024);
    const questions = new Map(problems.map((p) => [p.id, p.question]));
    for (const v of variants) {
      const original = questions.get(v.problemId) as string;
      assert.equal(rebuild(original, v.edits), v.question, v.id);
      assert.equal(v.answerChanged, false);
      assert.equal(v.expected, v.originalAnswer);
      if (v.probe === "newline") {
        assert.equal(v.question.replace(/\s+/g, ""), original.replace(/\s+/g, ""), v.id);
      } else {
        const names = new Set(v.edits.map((e) => e.before.replace(/['’]$/, "")));
        const news = new Set(v.edits.map((e) => e.after.replace(/(?:'s|’s|'|’)$/, "")));
        assert.equal(names.size, 1, v.id);
        assert.equal(news.size, 1, v.id);
        const [from, to] = [[...names][0] as string, [...news][0] as string];
        assert.equal(FIRST_NAMES.get(to), FIRST_NAMES.get(from), v.id);
        assert.equal(v.question.includes(from), false, `${v.id} still names ${from}`);
      }
    }
    assert.ok((stats.probes["newline"]?.problems_with_variant ?? 0) / problems.length > 0.95);
    assert.ok((stats.probes["rename"]?.problems_with_variant ?? 0) / problems.length > 0.45);
  });

  it("recompute agrees with number-swap and price-edit wherever it answers", async () => {
    const problems = (await loadProblems(TEST_FILE)).slice(0, 300);
    const byId = new Map(problems.map((p) => [p.id, p]));
    const { variants } = runProbes(problems, parseProbeList("number-swap,price-edit"), 5);
    let answered = 0;
    for (const v of variants) {
      const result = recomputeEdited(
        byId.get(v.problemId) as { question: string; answer: string },
        v.question,
      );
      if (result.answer === null) continue;
      answered++;
      assert.equal(result.answer, v.expected, v.id);
    }
    assert.ok(answered / variants.length > 0.9, `recompute answered ${answered} of ${variants.length}`);
  });
});
