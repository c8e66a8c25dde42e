/**
 * Hand-checked edits of real GSM8K test problems, referenced by their 1-based line in
 * ../shared/gsm8k/test.jsonl (the text itself is never copied here). Each expected answer was
 * worked out by hand from the edited question, independently of the engine.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { liftProgram } from "../../src/perturb/program.js";
import { Rational } from "../../src/perturb/rational.js";
import { rewriteProblem } from "../../src/perturb/rewrite.js";
import { sharedGsm8kFile } from "../helpers/data-fixtures.js";

const lines = readFileSync(sharedGsm8kFile("test.jsonl"), "utf8").trimEnd().split("\n");

interface Case {
  line: number;
  /** The quantity as written in the question, and which occurrence of that text (0-based). */
  edit: string;
  occurrence?: number;
  to: string;
  /** The hand-computed answer, or null when the engine must refuse. */
  expected: string | null;
  why: string;
}

const CASES: Case[] = [
  { line: 1, edit: "$2", to: "3", expected: "27", why: "(16 - 3 - 4) eggs * $3" },
  { line: 3, edit: "150%", to: "200", expected: "110000", why: "80,000 * 3 - (80,000 + 50,000)" },
  { line: 4, edit: "60", to: "50", expected: "450", why: "3 * 3 sprints * 50 m" },
  { line: 6, edit: "16", to: "20", expected: "80", why: "10 cheap at 60% of $5 = $30, 10 full at $5 = $50" },
  { line: 18, edit: "$30", to: "25", expected: "53750", why: "(20 * 35 + 25 * 15) * 50 weeks" },
  { line: 43, edit: "8", to: "6", expected: "16", why: "5 pies * 6 pieces - 14 left" },
  {
    line: 43,
    edit: "5",
    to: "7",
    expected: null,
    why: "the pies are counted twice (5 and five): which one the solution uses is unknowable",
  },
  { line: 100, edit: "18", to: "25", expected: "65", why: "2 * 40 + 25 - 40" },
  {
    line: 251,
    edit: "15",
    to: "10",
    expected: "12",
    why: "girls 30 - 10 - 12 = 8 in the third class, so 20 - 8 boys",
  },
  { line: 401, edit: "3", to: "5", expected: "80", why: "8 oz * 2 glasses * 5 cal" },
  { line: 778, edit: "$10", to: "12", expected: "4880", why: "200 * $6 + 160 * $5 + 240 * $12" },
  { line: 1001, edit: "ten", to: "6", expected: "3", why: "9 h - (9 * 20 + 6 * 30) min / 60" },
  { line: 1319, edit: "7", to: "5", expected: "10", why: "5 * 8 slices / (1 + 3) people" },
  { line: 64, edit: "10%", to: "20", expected: "1512", why: "6 * 140 + 6 * (140 * 0.8)" },
  { line: 880, edit: "$400", to: "200", expected: "287.5", why: "200 + 200/4 + 3/4 * 50" },
  { line: 575, edit: "$7.00", to: "8", expected: "47", why: "10 * $8 - ($3 + $30)" },
  { line: 432, edit: "$11", to: "15", expected: "5", why: "6 + 15 + 2 - (2 + 16)" },
  { line: 1192, edit: "$30", to: "25", expected: "90", why: "$40 + (10 - 8) * $25" },
];

describe("hand-checked edits of GSM8K test problems", () => {
  for (const c of CASES) {
    it(`line ${c.line}: ${c.edit} -> ${c.to} gives ${c.expected ?? "a refusal"} (${c.why})`, () => {
      const { question, answer } = JSON.parse(lines[c.line - 1] as string) as {
        question: string;
        answer: string;
      };
      const lift = liftProgram(question, answer);
      assert.ok(lift.ok, `line ${c.line} should lift`);
      const matches = lift.program.quantities.filter((q) => q.text === c.edit);
      const quantity = matches[c.occurrence ?? 0];
      assert.ok(quantity, `no quantity ${c.edit} on line ${c.line}`);
      const result = rewriteProblem(
        lift.program,
        new Map([[quantity.index, Rational.parse(c.to) as Rational]]),
      );
      if (c.expected === null) {
        assert.equal(result.ok, false, "the engine must refuse rather than guess");
        return;
      }
      assert.ok(result.ok, `refused: ${result.ok ? "" : result.detail}`);
      assert.equal(result.value.expected.toString(), c.expected);
      assert.ok(result.value.solution.endsWith(`#### ${c.expected}`));
    });
  }
});
