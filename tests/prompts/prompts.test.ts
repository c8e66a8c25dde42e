import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadProblems } from "../../src/data/problems.js";
import {
  COT_8SHOT,
  GSM8K_5SHOT,
  loadTemplateFile,
  type PromptFormat,
  parseTemplate,
  preparePromptFormat,
  QA,
  renderPrompt,
  resolvePromptFormat,
} from "../../src/prompts/index.js";
import type { PromptFormatSpec } from "../../src/types/audit.js";
import type { Problem } from "../../src/types/index.js";
import { InputError } from "../../src/util/errors.js";
import { makeTempDir, sharedGsm8kFile, writeFixture } from "../helpers/data-fixtures.js";

// Made-up question: GSM8K text must never be copied into the repository.
const Q = "Tom has 4 apples and eats 1. How many are left?";

function inputError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InputError, `expected InputError, got ${String(err)}`);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes("\n"), "one-line message");
    return true;
  });
}

let train: Problem[];
before(async () => {
  train = await loadProblems(sharedGsm8kFile("train.jsonl"), "gsm8k-train");
});

describe("qa", () => {
  it("renders the zero-shot prompt exactly, stopping at Question: (among others)", () => {
    const out = renderPrompt(preparePromptFormat(QA), { question: Q });
    assert.deepEqual(out, {
      format: "qa",
      text: `Question: ${Q}\nAnswer:`,
      stop: QA.stop,
      exemplarIds: [],
      sharedPrefix: 0,
    });
    assert.equal(out.stop[0], "Question:");
  });

  it("inserts a question verbatim, even one holding braces", () => {
    const q = "What is {question} {{x}} worth?";
    assert.equal(renderPrompt(preparePromptFormat(QA), { question: q }).text, `Question: ${q}\nAnswer:`);
  });
});

describe("gsm8k-5shot", () => {
  let format: PromptFormat;
  before(() => {
    format = preparePromptFormat(GSM8K_5SHOT, train);
  });
  const block = (p: Problem) => `Question: ${p.question}\nAnswer: ${p.answer}\n\n`;
  const byLine = (line: number) => train.find((p) => p.line === line) as Problem;

  it("shows train lines 1-5 with full solutions, blank-line separated, then the question", () => {
    const out = renderPrompt(format, { question: Q });
    const expected = [1, 2, 3, 4, 5].map((l) => block(byLine(l))).join("") + `Question: ${Q}\nAnswer:`;
    assert.equal(out.text, expected);
    assert.deepEqual(
      out.exemplarIds,
      [1, 2, 3, 4, 5].map((l) => `gsm8k-train:${l}`),
    );
    assert.deepEqual(out.stop, GSM8K_5SHOT.stop);
    assert.equal(out.stop[0], "Question:", "the harness's own stop comes first");
    // The block every problem shares runs up to the question itself.
    const shared = [1, 2, 3, 4, 5].map((l) => block(byLine(l))).join("") + "Question: ";
    assert.equal(out.sharedPrefix, shared.length);
    assert.equal(
      renderPrompt(format, { question: "Another question?" }).text.slice(0, out.sharedPrefix),
      shared,
    );
    assert.equal(out.text.split("Question: ").length - 1, 6);
    assert.equal(out.text.split("\n#### ").length - 1, 5, "every exemplar keeps its #### line");
    assert.ok(out.text.endsWith("\nAnswer:") && !out.text.endsWith(" "));
  });

  it("never shows the problem being asked: a train exemplar is replaced by line 6", () => {
    const asked = byLine(3);
    const out = renderPrompt(format, {
      question: asked.question,
      problemId: asked.id,
      problemHash: asked.hash,
    });
    assert.deepEqual(
      out.exemplarIds,
      [1, 2, 4, 5, 6].map((l) => `gsm8k-train:${l}`),
    );
    assert.ok(!out.text.includes(asked.answer), "its solution is not in the prompt");
    assert.equal(out.text.split(asked.question).length - 1, 1, "its question appears once, as the question");
  });

  it("excludes the source of a variant by hash, and by question text with whitespace and case folded", () => {
    const src = byLine(2);
    const byHash = renderPrompt(format, { question: "A perturbed question.", problemHash: src.hash });
    assert.ok(!byHash.exemplarIds.includes("gsm8k-train:2"));
    const byText = renderPrompt(format, {
      question: "A perturbed question.",
      originalQuestion: `  ${src.question.toUpperCase().replace(/ /g, "\n ")} `,
    });
    assert.deepEqual(
      byText.exemplarIds,
      [1, 3, 4, 5, 6].map((l) => `gsm8k-train:${l}`),
    );
  });

  it("needs the train split, and refuses a train file too short for its lines", () => {
    inputError(() => preparePromptFormat(GSM8K_5SHOT), /needs the GSM8K train split/);
    inputError(() => preparePromptFormat(GSM8K_5SHOT, train.slice(0, 7)), /no problem on line 8/);
  });

  it("resolves by name with an injected train loader", async () => {
    const resolved = await resolvePromptFormat("gsm8k-5shot", { loadTrain: async () => train });
    assert.equal(renderPrompt(resolved, { question: Q }).text, renderPrompt(format, { question: Q }).text);
  });

  it("reads its exemplars from a local train file (--exemplars, offline), and only from GSM8K's train split", async () => {
    const offline = await resolvePromptFormat("gsm8k-5shot", {
      exemplarsFile: sharedGsm8kFile("train.jsonl"),
    });
    assert.equal(renderPrompt(offline, { question: Q }).text, renderPrompt(format, { question: Q }).text);
    await assert.rejects(
      resolvePromptFormat("gsm8k-5shot", { exemplarsFile: sharedGsm8kFile("test.jsonl") }),
      (err: unknown) =>
        err instanceof InputError && /--exemplars .*test\.jsonl: not GSM8K's train split/.test(err.message),
    );
  });

  it("names the built-in formats when --format is neither one nor a file", async () => {
    await assert.rejects(
      resolvePromptFormat("qa5"),
      (err: unknown) =>
        err instanceof InputError &&
        /--format qa5: .*\(built-in: qa, gsm8k-5shot, cot-8shot, code\)/.test(err.message),
    );
  });
});

describe("cot-8shot", () => {
  it("shows the 8 Wei et al. exemplars as Q:/A: with 'The answer is N.' and stops at Q:", () => {
    const out = renderPrompt(preparePromptFormat(COT_8SHOT), { question: Q });
    assert.ok(out.text.startsWith("Q: There are 15 trees in the grove."));
    assert.ok(out.text.endsWith(`\n\nQ: ${Q}\nA:`));
    assert.equal(out.text.split("\nA: ").length - 1, 8);
    assert.equal(out.text.match(/The answer is \d+\.\n\n/g)?.length, 8);
    assert.deepEqual(out.stop, COT_8SHOT.stop);
    assert.equal(out.stop[0], "Q:", "the harness's own stop comes first");
    assert.equal(out.exemplarIds.length, 8);
    assert.equal(out.text.slice(out.sharedPrefix), `${Q}\nA:`);
  });

  it("drops an exemplar equal to the asked question rather than showing it", () => {
    const first = COT_8SHOT.exemplars.kind === "inline" ? COT_8SHOT.exemplars.exemplars[0] : undefined;
    const out = renderPrompt(preparePromptFormat(COT_8SHOT), { question: first?.question ?? "" });
    assert.equal(out.exemplarIds.length, 7);
    assert.ok(!out.exemplarIds.includes("cot-8shot:1"));
  });
});

describe("template syntax", () => {
  it("parses placeholders and {{ }} escapes", () => {
    const t = parseTemplate("{{x}} {question}!", ["question"], "t");
    assert.deepEqual(t.segments, [{ text: "{x} " }, { placeholder: "question" }, { text: "!" }]);
  });

  it("names an unknown placeholder, and rejects stray braces", () => {
    inputError(
      () => parseTemplate("Q: {qestion}", ["question", "exemplars"], "t.txt"),
      /unknown placeholder \{qestion\}.*\{question\}, \{exemplars\}/,
    );
    inputError(() => parseTemplate("a { b", ["question"], "t"), /unmatched "\{" at offset 2/);
    inputError(() => parseTemplate("a } b", ["question"], "t"), /unmatched "\}" at offset 2/);
  });

  it("refuses a format without {question}, or with shots but no {exemplars}", () => {
    const base: PromptFormatSpec = { ...QA, name: "x" };
    inputError(() => preparePromptFormat({ ...base, template: "Answer:" }), /no \{question\} placeholder/);
    inputError(
      () => preparePromptFormat({ ...COT_8SHOT, template: "Q: {question}\nA:" }),
      /8 shots but the template has no \{exemplars\}/,
    );
    inputError(() => preparePromptFormat({ ...COT_8SHOT, shots: 9 }), /9 shots but only 8 exemplars/);
  });
});

describe("template files", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir, cleanup } = await makeTempDir());
  });
  after(() => cleanup());

  it("a text file is the template itself, minus one trailing newline", async () => {
    const path = await writeFixture(dir, "p.txt", "Problem: {question}\nSolution:\n");
    const format = await resolvePromptFormat(path);
    const out = renderPrompt(format, { question: Q });
    assert.equal(out.text, `Problem: ${Q}\nSolution:`);
    assert.deepEqual(out.stop, []);
    assert.equal(out.format, "file:p.txt");
  });

  it("a JSON file can reuse a built-in exemplar set with its own wording", async () => {
    const path = await writeFixture(
      dir,
      "p.json",
      JSON.stringify({
        template: "{exemplars}Problem: {question}\nSolution:",
        exemplarTemplate: "Problem: {question}\nSolution: {answer}\nFinal: {final}",
        exemplars: "gsm8k-5shot",
        shots: 2,
        stop: ["Problem:"],
      }),
    );
    const out = renderPrompt(await resolvePromptFormat(path, { loadTrain: async () => train }), {
      question: Q,
    });
    const [l1, l2] = [train[0] as Problem, train[1] as Problem];
    assert.equal(
      out.text,
      `Problem: ${l1.question}\nSolution: ${l1.answer}\nFinal: ${l1.finalAnswer}\n\n` +
        `Problem: ${l2.question}\nSolution: ${l2.answer}\nFinal: ${l2.finalAnswer}\n\n` +
        `Problem: ${Q}\nSolution:`,
    );
    assert.deepEqual(out.stop, ["Problem:"]);
  });

  it("a JSON file can carry its own exemplars", async () => {
    const path = await writeFixture(
      dir,
      "own.json",
      JSON.stringify({
        template: "{exemplars}Question: {question}\nAnswer:",
        exemplars: [{ question: "1+1?", answer: "2" }],
      }),
    );
    const out = renderPrompt(await resolvePromptFormat(path), { question: Q });
    assert.equal(out.text, `Question: 1+1?\nAnswer: 2\n\nQuestion: ${Q}\nAnswer:`);
  });

  it("reports bad files in one line naming the problem", async () => {
    const unknown = await writeFixture(dir, "u.txt", "Q: {problem}\nA:");
    await assert.rejects(resolvePromptFormat(unknown), /u\.txt: unknown placeholder \{problem\}/);
    const ex = await writeFixture(dir, "e.txt", "{exemplars}Q: {question}");
    await assert.rejects(loadTemplateFile(ex), /needs a \.json template/);
    const typo = await writeFixture(dir, "t.json", JSON.stringify({ template: "{question}", stops: ["x"] }));
    await assert.rejects(loadTemplateFile(typo), /unknown field "stops"/);
    const bad = await writeFixture(dir, "b.json", "{nope");
    await assert.rejects(
      loadTemplateFile(bad),
      (e: unknown) => e instanceof InputError && /invalid JSON/.test(e.message),
    );
    await assert.rejects(resolvePromptFormat(`${dir}/missing.txt`), /missing\.txt: no such file/);
  });
});
