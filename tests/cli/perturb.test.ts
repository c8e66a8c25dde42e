import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { sha256Hex } from "../../src/data/hash.js";
import type { Variant } from "../../src/types/index.js";
import { makeTempDir, problemLine, sharedGsm8kFile, writeFixture } from "../helpers/data-fixtures.js";
import { MADE_UP, shoppingProblems } from "../probes/fixtures.js";
import { type CliResult, oneLineError, runLitmus, runLitmusIntoEarlyExit } from "./run-litmus.js";

/** A problem most of whose edits are impossible (a day of over 12 hours' work, a week of over 7 days). */
const WORK_WEEK = {
  question: "Mo works 11 hours a day, 5 days a week, at a bakery. How many hours does he work in a week?",
  answer: "He works 11*5 = <<11*5=55>>55 hours a week.\n#### 55",
};

describe("litmus perturb", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let dataset: string;

  before(async () => {
    ({ dir, cleanup } = await makeTempDir());
    const problems = [WORK_WEEK, ...MADE_UP, ...shoppingProblems(12)];
    dataset = await writeFixture(
      dir,
      "made-up.jsonl",
      problems.map((p) => problemLine(p.question, p.answer)).join("\n"),
    );
  });
  after(() => cleanup());

  it("writes one variant per line to --out, the same bytes as on stdout and on every run", async () => {
    const out = join(dir, "variants.jsonl");
    const toFile = await runLitmus(["perturb", "--dataset", dataset, "--seed", "11", "--out", out]);
    assert.equal(toFile.code, 0, toFile.stderr);
    assert.equal(toFile.stdout, "");
    const written = await readFile(out, "utf8");
    const variants = written
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Variant);
    assert.ok(variants.length > 60);
    assert.match(toFile.stderr, new RegExp(`wrote ${variants.length} variants of 19 problems to `));
    assert.deepEqual(
      new Set(variants.map((v) => v.probe)),
      new Set(["newline", "number-swap", "price-edit", "rename"]),
    );
    for (const v of variants) {
      // Content-addressed: the id ends in the first 10 hex digits of the question's sha256.
      assert.equal(v.id, `${v.problemId}/${v.probe}/${v.kind}/${sha256Hex(v.question).slice(0, 10)}`);
      assert.equal(typeof v.expected, "string");
      assert.equal(v.answerChanged, v.expected !== v.originalAnswer);
    }
    const toStdout = await runLitmus(["perturb", "--dataset", dataset, "--seed", "11"]);
    assert.equal(toStdout.code, 0);
    assert.equal(toStdout.stdout, written);
    const again = await runLitmus(["perturb", "--dataset", dataset, "--seed", "11"]);
    assert.equal(again.stdout, written);
    const otherSeed = await runLitmus(["perturb", "--dataset", dataset, "--seed", "12"]);
    assert.equal(otherSeed.code, 0);
    assert.notEqual(otherSeed.stdout, written);
  });

  it("prints exactly one JSON object with --stats --json", async () => {
    const result = await runLitmus([
      "perturb",
      "--dataset",
      dataset,
      "--stats",
      "--json",
      "--probes",
      "newline,number-swap",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trimEnd().split("\n").length, 1);
    const stats = JSON.parse(result.stdout);
    assert.equal(stats.problems, 19);
    assert.equal(stats.identity_ok, 18);
    assert.deepEqual(stats.reasons, { algebra: 1 });
    assert.deepEqual(Object.keys(stats.probes), ["newline", "number-swap"]);
    for (const p of Object.values(stats.probes) as Array<Record<string, unknown>>) {
      assert.equal(typeof p["problems_with_variant"], "number");
      assert.equal(typeof p["variants"], "number");
    }
    assert.equal(stats.probes["newline"].problems_with_variant, 19);
    // Candidate edits the guards refused are counted by code; the newline probe tries none.
    assert.deepEqual(stats.probes["newline"].refused_candidates, {});
    const refused = stats.probes["number-swap"].refused_candidates as Record<string, number>;
    assert.ok((refused["long_work_week"] ?? 0) > 0, JSON.stringify(refused));
    for (const [code, n] of Object.entries(refused)) {
      assert.match(code, /^[a-z_]+$/);
      assert.ok(Number.isInteger(n) && n > 0, code);
    }
  });

  it("prints a readable table with --stats, and honours --limit", async () => {
    const result = await runLitmus(["perturb", "--dataset", dataset, "--stats", "--limit", "7"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^problems {6}7\nidentity ok {3}6 \(85\.7%\)/);
    for (const probe of ["newline", "number-swap", "price-edit", "rename"]) {
      assert.match(result.stdout, new RegExp(`\\n${probe} +\\d+ \\(`));
    }
    assert.match(result.stdout, /algebra {2}1/);
    assert.match(
      result.stdout,
      /number-swap: candidate edits refused \(plausibility guards and bindings\), by reason:\n {2}[a-z_]+ +\d+/,
    );
  });

  it("ends quietly with exit 0 when its reader stops early (| head)", async () => {
    // Megabytes of variants: far more than a pipe holds, so litmus writes into a closed pipe.
    const gsm8k = sharedGsm8kFile("test.jsonl");
    const r = await runLitmusIntoEarlyExit(["perturb", "--dataset", gsm8k, "--probes", "newline"], 100);
    assert.equal(r.stderr.trim(), "");
    assert.equal(r.code, 0);
  });

  it("prints a seeded review sheet of 40 variants across probes", async () => {
    const sheet = await runLitmus(["perturb", "--dataset", dataset, "--review", "40", "--seed", "3"]);
    assert.equal(sheet.code, 0, sheet.stderr);
    const entries = sheet.stdout.split("\n## ").slice(1);
    assert.equal(entries.length, 40);
    for (const probe of ["newline", "number-swap", "price-edit", "rename"]) {
      assert.ok(
        entries.some((e) => e.includes(`Probe \`${probe}\``)),
        probe,
      );
    }
    assert.ok(
      entries.every((e) => e.includes("**Original question**") && e.includes("**Variant question**")),
    );
    const again = await runLitmus(["perturb", "--dataset", dataset, "--review", "40", "--seed", "3"]);
    assert.equal(again.stdout, sheet.stdout);
    const other = await runLitmus(["perturb", "--dataset", dataset, "--review", "40", "--seed", "4"]);
    assert.notEqual(other.stdout, sheet.stdout);
  });

  it("exits 2 with one line for bad input", async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ["--dataset", dataset, "--probes", "newline,pizza"],
        /unknown probe "pizza"; known probes: newline, number-swap, price-edit, rename/,
      ],
      [["--dataset", join(dir, "missing.jsonl")], /missing\.jsonl: no such file/],
      [[], /Missing required argument: dataset/],
      [["--dataset", dataset, "--split", "test"], /applies only to named data sets/],
      [["--dataset", dataset, "--seed", "-1"], /--probe-seed must be an integer from 0 to 4294967295/],
      [["--dataset", dataset, "--probe-seed", "1.5"], /--probe-seed must be an integer/],
      [["--dataset", dataset, "--limit", "0"], /--limit must be an integer/],
      [["--dataset", dataset, "--json"], /--json only applies to --stats/],
      [["--dataset", dataset, "--stats", "--review", "3"], /cannot be combined/],
    ];
    // Independent runs: started together to keep the suite quick.
    const results = await Promise.all(cases.map(([args]) => runLitmus(["perturb", ...args])));
    for (const [i, [args, message]] of cases.entries()) {
      const result = results[i] as CliResult;
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      const line = oneLineError(result);
      assert.ok(line, `one line on stderr for ${args.join(" ")}: ${result.stderr}`);
      assert.match(line, message);
      assert.equal(result.stdout, "");
    }
  });
});
