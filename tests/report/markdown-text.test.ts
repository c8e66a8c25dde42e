import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import { summaryMarkdown } from "../../src/audit/report.js";
import { buildModel, jobSummaryMarkdown, loadRun, reportMarkdown } from "../../src/report/index.js";
import { markdownCode, markdownText } from "../../src/report/markdown-text.js";
import { makeRunDir } from "./helpers.js";

/** A data-set name as an attacker would write it: every way Markdown could start a construct. */
const NAME =
  "data\n# injected heading\n- item\r\n> quote\u2028[link](https://evil.example) ![img](https://evil.example/i.png) " +
  "<b>bold</b> <https://evil.example> www.evil.example **strong** `code` ~~gone~~ | cell";

/** Markdown constructs that untrusted text must never open, outside a backslash escape. */
function assertInert(markdown: string, what: string): void {
  for (const line of markdown.split("\n")) {
    assert.doesNotMatch(
      line,
      /^\s*# injected|^\s*- item|^\s*> quote/,
      `${what}: a line from the name: ${line}`,
    );
  }
  for (const construct of [
    /(^|[^\\])\[link\]/,
    /(^|[^\\])!\[img/,
    /(^|[^\\])<b>/,
    /(^|[^\\])<https/,
    /https:\/\//,
    /www\.evil/,
  ]) {
    assert.doesNotMatch(markdown, construct, `${what}: ${construct}`);
  }
}

describe("untrusted text in Markdown", () => {
  test("markdownText keeps text on one line and escapes what opens a construct", () => {
    const out = markdownText(NAME);
    assert.equal(out.includes("\n") || out.includes("\r") || out.includes("\u2028"), false);
    assertInert(out, "markdownText");
    assert.equal(markdownText("# title"), "\\# title");
    assert.equal(markdownText("12. twelve"), "12\\. twelve");
    assert.equal(markdownText("a | b"), "a \\| b");
    assert.equal(markdownText("plain words 35.8%"), "plain words 35.8%", "ordinary text is left as it is");
  });

  test("markdownCode fences any backticks and keeps table cells intact", () => {
    assert.equal(markdownCode("a`b"), "``a`b``");
    assert.equal(markdownCode("`x`"), "`` `x` ``");
    assert.equal(markdownCode("a|b\nc"), "`a\\|b c`");
  });

  let dir = "";
  before(async () => {
    dir = await makeRunDir(6);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test("report.md and summary.md of a run on a hostile data-set name open nothing", () => {
    const run = loadRun(dir);
    run.summary.manifest.config.dataset.name = NAME;
    const model = buildModel(run.summary, run.run);
    assert.ok(model.title.includes("# injected"), "the name reaches the title");
    assertInert(reportMarkdown(model, [], []), "report.md");
    const job = jobSummaryMarkdown(model);
    assertInert(
      summaryMarkdown(run.summary, [], { title: model.title, body: job }),
      "summary.md with the report",
    );
    assertInert(summaryMarkdown(run.summary, []), "summary.md alone");
  });
});
