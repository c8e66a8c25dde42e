/**
 * Sixty variants the engine made at seeds used nowhere else (41 on the test split, 43 on train),
 * drawn at random from the number-swap and price-edit variants, and solved by hand from the edited
 * question alone, by solvers who never saw the engine's key (tests/fixtures/
 * engine-variants-hand-checked.json holds the ids, the edits and the hand answers; no GSM8K text).
 * Each variant is made again here: the same edits must come back, with the hand answer as the key.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { loadProblems } from "../../src/data/index.js";
import { sameNumber } from "../../src/extract/index.js";
import { Rational } from "../../src/perturb/index.js";
import { parseProbeList } from "../../src/probes/registry.js";
import { runProbes } from "../../src/probes/run.js";
import { ambiguousStaleEvidence } from "../../src/probes/stale-evidence.js";
import type { Problem, Variant } from "../../src/types/index.js";
import { sharedGsm8kFile } from "../helpers/data-fixtures.js";

interface HandChecked {
  /** `<problem>/<probe>/<kind>`: the variant's id without its question hash. */
  id: string;
  split: "test" | "train";
  line: number;
  probe: string;
  seed: number;
  /** [before, after] of each edit, in question order. */
  edits: Array<[string, string]>;
  /** The answer worked out by hand from the edited question. */
  hand: string;
  plausible: boolean;
  alternative?: string;
  work: string;
  note?: string;
  /**
   * A variant whose key was right but that the probes refuse since (the stale-evidence rule that
   * refuses it: its original answer is a rounding of the hand answer).
   */
  refused?: string;
}

const CASES = JSON.parse(
  readFileSync(
    fileURLToPath(new URL("../../../tests/fixtures/engine-variants-hand-checked.json", import.meta.url)),
    "utf8",
  ),
) as HandChecked[];

describe("sixty engine variants at fresh seeds, solved by hand", () => {
  const made = new Map<string, Variant>();

  before(async () => {
    for (const split of ["test", "train"] as const) {
      const wanted = CASES.filter((c) => c.split === split);
      const ids = new Set(wanted.map((c) => `${split}:${c.line}`));
      const problems = (await loadProblems(sharedGsm8kFile(`${split}.jsonl`))).filter((p: Problem) =>
        ids.has(p.id),
      );
      for (const seed of new Set(wanted.map((c) => c.seed))) {
        const run = runProbes(problems, parseProbeList("number-swap,price-edit"), seed);
        // Ids end in the question's hash; the problem, probe and kind name the variant here (one per
        // kind at a seed).
        for (const v of run.variants) made.set(`${seed} ${v.problemId}/${v.probe}/${v.kind}`, v);
      }
    }
  });

  it("holds 60 plausible variants, 30 of each split, at seeds 41 and 43", () => {
    assert.equal(CASES.length, 60);
    assert.equal(CASES.filter((c) => c.split === "test").length, 30);
    assert.ok(CASES.every((c) => c.plausible));
    assert.deepEqual([...new Set(CASES.map((c) => c.seed))].sort(), [41, 43]);
  });

  for (const c of CASES) {
    it(`${c.id} (seed ${c.seed}): ${c.edits.map(([a, b]) => `${a}->${b}`).join(", ")} gives ${c.hand}`, () => {
      const v = made.get(`${c.seed} ${c.id}`);
      if (c.refused !== undefined) {
        // The hand answer against the problem's own original answer, as the rule sees them.
        const original = Rational.parse(v?.originalAnswer ?? "") as Rational;
        assert.equal(ambiguousStaleEvidence(original, Rational.parse(c.hand) as Rational), c.refused);
        assert.notDeepEqual(
          v?.edits.map((e) => [e.before, e.after]),
          c.edits,
          "refused: the seeded search goes on to another variant",
        );
        return;
      }
      assert.ok(v, "the engine no longer makes this variant");
      assert.deepEqual(
        v.edits.map((e) => [e.before, e.after]),
        c.edits,
      );
      assert.ok(sameNumber(v.expected, c.hand), `key ${v.expected}, by hand ${c.hand} (${c.work})`);
    });
  }
});
