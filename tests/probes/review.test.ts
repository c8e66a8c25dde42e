import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderReviewSheet, selectForReview } from "../../src/perturb-io/review.js";
import { formatStats } from "../../src/perturb-io/stats.js";
import { parseProbeList } from "../../src/probes/registry.js";
import { runProbes } from "../../src/probes/run.js";
import type { Variant } from "../../src/types/index.js";
import { madeUpProblems } from "./fixtures.js";

function fakeVariants(perProbe: Record<string, number>): Variant[] {
  const out: Variant[] = [];
  for (const [probe, n] of Object.entries(perProbe)) {
    for (let i = 0; i < n; i++) {
      out.push({
        id: `p:${i}/${probe}/k/0`,
        problemId: `p:${i}`,
        probe,
        kind: "k",
        question: `Q${i}`,
        edits: [],
        expected: "1",
        originalAnswer: "1",
        solution: "",
        answerChanged: false,
        seed: 0,
      });
    }
  }
  return out;
}

describe("selectForReview", () => {
  const variants = fakeVariants({ newline: 100, "number-swap": 60, rename: 3 });

  it("takes the asked number, spread over every probe, in run order", () => {
    const chosen = selectForReview(variants, 40, 9);
    assert.equal(chosen.length, 40);
    assert.equal(new Set(chosen).size, 40);
    const count = (probe: string) => chosen.filter((v) => v.probe === probe).length;
    assert.deepEqual([count("newline"), count("number-swap"), count("rename")], [19, 18, 3]);
    const positions = chosen.map((v) => variants.indexOf(v));
    assert.deepEqual(
      positions,
      [...positions].sort((a, b) => a - b),
    );
  });

  it("is seeded: the same seed picks the same variants, another seed others", () => {
    const ids = (seed: number) => selectForReview(variants, 40, seed).map((v) => v.id);
    assert.deepEqual(ids(9), ids(9));
    assert.notDeepEqual(ids(9), ids(10));
  });

  it("takes everything when there are fewer variants than asked", () => {
    assert.equal(selectForReview(variants.slice(0, 5), 40, 1).length, 5);
  });
});

describe("renderReviewSheet", () => {
  it("shows both questions, the edits and old and new answers for each chosen variant", () => {
    const problems = madeUpProblems();
    const run = runProbes(problems, parseProbeList("newline,number-swap,price-edit,rename"), 4);
    const chosen = selectForReview(run.variants, 12, 4);
    const sheet = renderReviewSheet(chosen, {
      dataset: "made-up",
      seed: 4,
      total: run.variants.length,
      problems: new Map(problems.map((p) => [p.id, p])),
    });
    const entries = sheet.split("\n## ").slice(1);
    assert.equal(entries.length, 12);
    assert.match(sheet, new RegExp(`12 of ${run.variants.length} variants`));
    for (const [i, entry] of entries.entries()) {
      const v = chosen[i] as Variant;
      const original = problems.find((p) => p.id === v.problemId);
      assert.ok(entry.startsWith(`${i + 1}. \`${v.id}\``));
      assert.ok(entry.includes(`~~~text\n${original?.question}\n~~~`), "original question");
      assert.ok(entry.includes(`~~~text\n${v.question}\n~~~`), "variant question");
      for (const e of v.edits)
        assert.ok(entry.includes(`${JSON.stringify(e.before)}\` → \`${JSON.stringify(e.after)}`));
      if (v.answerChanged) {
        assert.ok(entry.includes(`${v.originalAnswer} → ${v.expected} (changed)`));
        assert.ok(entry.includes(`**Rewritten solution**\n\n~~~text\n${v.solution}\n~~~`));
      } else {
        assert.ok(entry.includes(`${v.expected} (unchanged)`));
      }
    }
    assert.ok(chosen.some((v) => v.answerChanged) && chosen.some((v) => !v.answerChanged));
  });
});

describe("formatStats", () => {
  it("prints coverage per probe and every reason count", () => {
    const { stats } = runProbes(madeUpProblems(), parseProbeList("newline,price-edit"), 1);
    const text = formatStats(stats);
    assert.match(text, /^problems {6}6\nidentity ok {3}5 \(83\.3%\)\n/);
    assert.match(text, /\nnewline {5}6 \(100\.0%\)/);
    assert.match(text, /not perturbable \(identity check failed\), by reason:\n {2}algebra {2}1\n/);
    assert.match(
      text,
      /price-edit: problems without a variant, by reason:\n(?: {2}.*\n)* {2}no_money_amount +2\n/,
    );
  });
});
