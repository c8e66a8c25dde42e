import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { settingsOf } from "../../src/cli/commands/shared-options.js";
import { type FlagType, readConfigFile } from "../../src/cli/config-file.js";
import { InputError } from "../../src/util/errors.js";
import { madeUpJsonl, samplesOf, TINY } from "../audit/helpers.js";
import { makeTempDir, writeFixture } from "../helpers/data-fixtures.js";
import { oneLineError, runLitmus } from "./run-litmus.js";

const FLAGS = new Map<string, FlagType>([
  ["n", "number"],
  ["top-p", "number"],
  ["k", "string"],
  ["detectors", "boolean"],
  ["fail-on", "array"],
  ["temperature", "number"],
]);

describe("configuration files", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir, cleanup } = await makeTempDir("litmus-config-"));
  });
  after(() => cleanup());

  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const refuses = (path: string, pattern: RegExp) =>
    assert.throws(
      () => readConfigFile(path, FLAGS),
      (e: unknown) => e instanceof InputError && pattern.test(e.message) && !e.message.includes("\n"),
    );

  it("reads YAML and JSON alike, by flag name, with the flags' types", () => {
    const yaml = file("a.yaml", "n: 4\ntop-p: 0.9\nk: 1,2\ndetectors: true\nfail-on:\n  - stale_rate>0.05\n");
    const expected = { n: 4, "top-p": 0.9, k: "1,2", detectors: true, "fail-on": ["stale_rate>0.05"] };
    assert.deepEqual(readConfigFile(yaml, FLAGS), expected);
    assert.deepEqual(readConfigFile(file("a.json", JSON.stringify(expected)), FLAGS), expected);
    // A lone gate is a list of one; `k: 5` is read by YAML as a number and taken as the text "5".
    assert.deepEqual(readConfigFile(file("b.yaml", "fail-on: stale_rate>0.05\nk: 5\n"), FLAGS), {
      "fail-on": ["stale_rate>0.05"],
      k: "5",
    });
  });

  it("refuses unknown keys (with a suggestion), wrong types, bad syntax and non-mappings in one line", () => {
    refuses(
      file("c.yaml", "temprature: 0.7\n"),
      /c\.yaml: unknown key "temprature" \(did you mean "temperature"\?\)/,
    );
    refuses(file("d.yaml", "n: ten\n"), /d\.yaml: "n" must be a number, got "ten"/);
    refuses(file("e.yaml", "detectors: 1\n"), /"detectors" must be true or false, got 1/);
    refuses(file("f.yaml", "n: 1\n  top-p: [\n"), /f\.yaml:\d+: not valid YAML or JSON/);
    refuses(
      file("g.yaml", "- n\n- 2\n"),
      /g\.yaml: must hold one mapping of flag names to values, got a list/,
    );
    refuses(file("h.yaml", "n: 1\nn: 2\n"), /h\.yaml:\d+: not valid YAML or JSON/);
    refuses(join(dir, "missing.yaml"), /missing\.yaml: cannot read the configuration file \(no such file\)/);
  });

  it("writes settings back with absolute paths, names left as they are", () => {
    const flags = new Map<string, FlagType>([
      ["model", "string"],
      ["dataset", "string"],
      ["format", "string"],
      ["out", "string"],
      ["n", "number"],
    ]);
    const settings = settingsOf(
      { model: "tests", dataset: "gsm8k", format: "qa", out: "runs/a", n: 3, "max-new-tokens": 9 },
      flags,
    );
    assert.deepEqual(settings, {
      dataset: "gsm8k",
      format: "qa",
      model: resolve("tests"),
      n: 3,
      out: resolve("runs/a"),
    });
  });

  it("litmus audit --config: flags override the file, the run folder gets a file that reproduces the run", async () => {
    const dataset = await writeFixture(dir, "made-up.jsonl", madeUpJsonl());
    const out = join(dir, "run");
    const config = file(
      "litmus.yaml",
      [
        `model: ${TINY}`,
        `dataset: ${dataset}`,
        "probes: newline,number-swap",
        "n: 2",
        "k: 1,2",
        "max-new-tokens: 4",
        "threads: 1",
        "resamples: 200",
        `out: ${out}`,
        "quiet: true",
        "",
      ].join("\n"),
    );
    const r = await runLitmus(["audit", "--config", config, "--n", "1", "--k", "1"]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    assert.equal(summary.manifest.config.decoding.n, 1, "--n on the command line wins");
    assert.equal(summary.manifest.config.decoding.maxNewTokens, 4, "the file's max-new-tokens");
    const written = readFileSync(join(out, "litmus.yaml"), "utf8");
    assert.match(written, /^# litmus audit settings of this run/);
    assert.match(written, /^n: 1$/m);
    assert.match(written, /^max-new-tokens: 4$/m);
    // The written file is a configuration of the same run: it resumes it, generating nothing.
    const before = samplesOf(out);
    const again = await runLitmus(["audit", "--config", join(out, "litmus.yaml")]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(samplesOf(out), before);
    const bad = await runLitmus(["audit", "--config", file("bad.yaml", "modle: x\n")]);
    assert.equal(bad.code, 2);
    assert.match(oneLineError(bad) ?? "", /bad\.yaml: unknown key "modle" \(did you mean "model"\?\)/);
  });
});
