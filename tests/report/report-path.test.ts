/**
 * Reports travel (CI artifacts, the committed example), so they must not record the machine or
 * checkout they were built in: an absolute model path is shown relative to the run folder, a
 * relative one as given; the committed example holds no absolute machine path at all.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { writeFinalReports } from "../../src/audit/run.js";
import { runCli } from "../../src/cli/run.js";
import { loadRun } from "../../src/report/index.js";
import { makeRunDir } from "./helpers.js";

const EXAMPLE = fileURLToPath(new URL("../../../reports/example/", import.meta.url));
/** An absolute path on a build machine: a checkout, a home, a scratch folder. */
const MACHINE_PATH = /(?<![\w.])\/(work|root|tmp|home)\//;

function textFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return textFiles(path);
    return /\.(html|md|json|xml|txt|yaml)$/.test(name) ? [path] : [];
  });
}

describe("paths in reports", () => {
  let run = "";
  let modelDir = "";
  before(async () => {
    run = await makeRunDir(6, { detectors: false });
    // A model folder beside the run folder: shown as ../<its name>/phi.
    modelDir = join(dirname(run), `${basename(run)}-models`, "phi");
    await mkdir(modelDir, { recursive: true });
  });
  after(async () => {
    await rm(run, { recursive: true, force: true });
    await rm(dirname(modelDir), { recursive: true, force: true });
  });

  test("litmus report --model ABSOLUTE: the header shows it relative to the run folder", async () => {
    assert.equal(await runCli(["report", run, "--model", modelDir, "--no-png"]), 0);
    const html = readFileSync(join(run, "report.html"), "utf8");
    assert.ok(html.includes(`<code>../${basename(run)}-models/phi</code>`), "relative model path shown");
    assert.equal(html.includes(dirname(run)), false, `${dirname(run)} recorded in the report`);
    assert.doesNotMatch(html, MACHINE_PATH);
  });

  test("litmus report --model RELATIVE: shown as given", async () => {
    assert.equal(await runCli(["report", run, "--model", "../elsewhere/phi-1_5", "--no-png"]), 0);
    const html = readFileSync(join(run, "report.html"), "utf8");
    assert.ok(html.includes("<code>../elsewhere/phi-1_5</code>"));
  });

  test("the end of an audit (an absolute model folder, as the embedded default passes): relative in every output", async () => {
    const { summary } = loadRun(run);
    await writeFinalReports(run, summary, [], modelDir);
    const html = readFileSync(join(run, "report.html"), "utf8");
    assert.ok(html.includes(`<code>../${basename(run)}-models/phi</code>`));
    assert.ok(html.includes("<title>litmus audit: phi on "), "the title still names the model folder");
    for (const file of ["report.html", "report.md", "summary.md", "junit.xml"]) {
      const text = readFileSync(join(run, file), "utf8");
      assert.equal(text.includes(dirname(run)), false, `${file} records ${dirname(run)}`);
    }
  });

  test("reports/example holds no absolute machine path", () => {
    const files = textFiles(EXAMPLE);
    assert.ok(files.some((f) => f.endsWith("report.html")) && files.length >= 4, files.join(", "));
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      const hit = MACHINE_PATH.exec(text);
      assert.equal(
        hit,
        null,
        `${file}: ${hit ? text.slice(Math.max(0, hit.index - 40), hit.index + 60) : ""}`,
      );
    }
  });
});
