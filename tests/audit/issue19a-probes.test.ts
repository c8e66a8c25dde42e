/**
 * End to end: the canary model on litmus-mini audited with the distractor and format probes beside
 * an answer-changing one, through the CLI. The new probes reach the exact prompts, count as
 * answer-keeping in the stale-answer rate, the verdicts, the gates and the report.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CANARY_MODEL_DIR } from "../../src/data/litmus-mini.js";
import { oneLineError, runLitmus } from "../cli/run-litmus.js";
import { makeTempDir } from "../helpers/data-fixtures.js";

interface Sample {
  problem_id: string;
  variant_id: string | null;
  probe: string;
  kind: string | null;
  prompt: string;
  expected: string;
  original_answer: string;
  answer_changed: boolean;
  stale: boolean;
}

describe("audit with the distractor and format probes (canary, litmus-mini)", {
  timeout: 10 * 60_000,
}, () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let out: string;
  let code = -1;
  let stderr = "";
  const args = (dir: string, extra: string[] = []) => [
    "audit",
    "--model",
    CANARY_MODEL_DIR,
    "--dataset",
    "litmus-mini",
    "--probes",
    "number-swap,distractor,format",
    "--limit",
    "6",
    "-n",
    "2",
    "-k",
    "1,2",
    "--max-new-tokens",
    "40",
    "--threads",
    "1",
    "--quiet",
    "--out",
    dir,
    ...extra,
  ];
  before(async () => {
    tmp = await makeTempDir("litmus-19a-");
    out = join(tmp.dir, "run");
    ({ code, stderr } = await runLitmus(
      args(out, ["--fail-on", "drop.format>1", "--fail-on", "drop.distractor>1"]),
    ));
  });
  after(() => tmp.cleanup());

  it("runs, and the gates know the new probes", () => {
    assert.equal(code, 0, stderr);
  });

  it("asks the format variants in the changed wrapper and the distractor variants with the extra sentence", () => {
    const samples = readFileSync(join(out, "samples.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Sample);
    const originals = new Map(
      samples.filter((s) => s.variant_id === null).map((s) => [s.problem_id, s.prompt] as const),
    );
    const kinds = new Set<string>();
    for (const s of samples.filter((x) => x.probe === "format")) {
      const original = originals.get(s.problem_id) as string;
      const question = original.slice("Question: ".length, -"\nAnswer:".length);
      const expected: Record<string, string> = {
        "blank-line-before-answer": `Question: ${question}\n\nAnswer:`,
        "short-labels": `Q: ${question}\nA:`,
        "trailing-spaces": `Question: ${question}  \nAnswer:`,
      };
      assert.equal(s.prompt, expected[s.kind as string], s.variant_id ?? "");
      kinds.add(s.kind as string);
    }
    assert.deepEqual([...kinds].sort(), ["blank-line-before-answer", "short-labels", "trailing-spaces"]);
    const distractors = samples.filter((x) => x.probe === "distractor");
    assert.ok(distractors.length > 0, "litmus-mini gets distractor variants");
    for (const s of distractors) {
      const original = originals.get(s.problem_id) as string;
      assert.ok(s.prompt.length > original.length + 10, "one sentence longer");
      assert.ok(s.prompt.endsWith("?\nAnswer:") || s.prompt.endsWith("\nAnswer:"));
    }
    for (const s of [...distractors, ...samples.filter((x) => x.probe === "format")]) {
      assert.equal(s.answer_changed, false);
      assert.equal(s.expected, s.original_answer);
      assert.equal(s.stale, false, "an answer-keeping variant has no stale answer");
    }
  });

  it("counts stale answers over the answer-changing probe only; the new probes get drops, no stale rate", () => {
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as {
      probes: Array<{
        probe: string;
        units: number;
        drop: unknown;
        stale: { rate: { total: number } } | null;
      }>;
      stale: { rate: { total: number } };
      metrics: Record<string, number | null>;
      verdicts: Array<{ verdict: string; failed_variants: string[] }>;
    };
    const row = (p: string) => summary.probes.find((r) => r.probe === p);
    assert.deepEqual(
      summary.probes.map((r) => r.probe),
      ["original", "number-swap", "distractor", "format"],
    );
    for (const p of ["distractor", "format"]) {
      assert.equal(row(p)?.stale, null, p);
      assert.notEqual(row(p)?.drop, null, p);
      assert.ok(
        p === "distractor" || (row(p)?.units ?? 0) === 6 * 3,
        `${p}: three format variants per problem`,
      );
    }
    const swapUnits = row("number-swap")?.units ?? 0;
    assert.equal(summary.stale.rate.total, swapUnits * 3, "greedy + 2 samples of each number-swap variant");
    assert.ok("drop.format" in summary.metrics && "drop.distractor" in summary.metrics);
    // A failed answer-keeping variant is what makes a solved problem fragile, never memorized.
    for (const v of summary.verdicts) if (v.verdict === "fragile") assert.ok(v.failed_variants.length > 0);
  });

  it("refuses a stale-rate gate on an answer-keeping probe (exit 2, one line)", async () => {
    const r = await runLitmus(args(join(tmp.dir, "gate"), ["--fail-on", "stale_rate.format>0.1"]));
    assert.equal(r.code, 2, r.stderr);
    assert.match(oneLineError(r) ?? "", /format/);
  });

  it("the report's per-probe table has a row for each new probe", () => {
    const md = readFileSync(join(out, "report.md"), "utf8");
    assert.match(md, /^\| distractor \| \d+ \|/m);
    assert.match(md, /^\| format \| 18 \|/m);
  });
});
