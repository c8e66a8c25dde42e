import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SqliteRunStore } from "../../src/store/index.js";
import { oneLineError, runLitmus } from "../cli/run-litmus.js";
import { longQuestion, makeTempDir, problemLine, writeFixture } from "../helpers/data-fixtures.js";
import { MADE_UP, TINY } from "./helpers.js";

/** The tiny model's context is 128 tokens: a question of a few hundred words cannot fit. */
const LONG_QUESTION = longQuestion(20);

describe("prompts checked against the context window before any generation", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let dataset: string;
  before(async () => {
    ({ dir, cleanup } = await makeTempDir("litmus-prompt-fit-"));
    const lines = MADE_UP.slice(0, 3).map((p) => problemLine(p.question, p.answer));
    lines.splice(1, 0, problemLine(LONG_QUESTION, "She has 5+3 = <<5+3=8>>8 marbles.\n#### 8"));
    dataset = await writeFixture(dir, "with-long.jsonl", lines.join("\n"));
  });
  after(() => cleanup());

  const audit = (out: string, extra: string[] = []) =>
    runLitmus([
      "audit",
      "--model",
      TINY,
      "--dataset",
      dataset,
      "--probes",
      "newline",
      "--n",
      "0",
      "--max-new-tokens",
      "3",
      "--threads",
      "1",
      "--resamples",
      "100",
      "--quiet",
      "--out",
      out,
      ...extra,
    ]);

  it("stops with exit 2 naming the prompt, having generated nothing", async () => {
    const out = join(dir, "stopped");
    const r = await audit(out);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      oneLineError(r) ?? "",
      /prompt of data-[0-9a-f]{8}:2 \(original\): \d+ tokens do not fit the model's context window of 128 tokens; .*--skip-too-long/,
    );
    // Nothing was planned into a store, let alone generated.
    if (existsSync(join(out, "run.sqlite"))) {
      const store = SqliteRunStore.openDir(out);
      assert.equal(store.completions().length, 0);
      store.close();
    }
  });

  it("--skip-too-long leaves the problem out, counts it in summary.json and says so in the report", async () => {
    const out = join(dir, "skipped");
    const r = await audit(out, ["--skip-too-long"]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    assert.equal(s.counts.problems, 3);
    assert.equal(s.counts.skipped_too_long, 1);
    assert.deepEqual(s.skipped_too_long, [`${s.manifest.config.dataset.name}:2`]);
    assert.equal(s.manifest.config.selection.skipTooLong, true);
    assert.ok(!readFileSync(join(out, "samples.jsonl"), "utf8").includes(`"${s.skipped_too_long[0]}"`));
    assert.match(
      readFileSync(join(out, "report.html"), "utf8"),
      /1 more problems left out \(a prompt longer than/,
    );
    assert.match(
      readFileSync(join(out, "summary.md"), "utf8"),
      /Left out: 1 problems whose prompt is longer/,
    );
  });
});
