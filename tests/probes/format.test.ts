import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildRequests } from "../../src/audit/plan.js";
import { problemHash } from "../../src/data/index.js";
import { format } from "../../src/probes/format.js";
import { runProbes } from "../../src/probes/run.js";
import {
  CODE,
  COT_8SHOT,
  GSM8K_5SHOT,
  type PromptFormat,
  preparePromptFormat,
  QA,
  renderPrompt,
  wrapperOfSpec,
} from "../../src/prompts/index.js";
import type { PromptFormatSpec } from "../../src/types/audit.js";
import type { Problem } from "../../src/types/index.js";
import { makeProblem } from "./fixtures.js";

const Q = "Tom has 3 apples and buys 4 more. How many apples does he have?";
const PROBLEM = makeProblem(Q, "Tom has 3 + 4 = <<3+4=7>>7 apples.\n#### 7");

/** Made-up train problems standing in for GSM8K's train lines 1-10 (gsm8k-5shot's exemplars). */
const TRAIN: Problem[] = Array.from({ length: 10 }, (_, i) => {
  const question = `Exemplar question ${i + 1}?`;
  const answer = `Worked ${i + 1}.\n#### ${i + 1}`;
  return {
    id: `gsm8k-train:${i + 1}`,
    source: "gsm8k-train",
    line: i + 1,
    question,
    answer,
    finalAnswer: String(i + 1),
    hash: problemHash(question, answer),
  };
});

function variantsFor(spec: PromptFormatSpec) {
  return runProbes([PROBLEM], [format()], 1, {
    promptFormat: { name: spec.name, wrapper: wrapperOfSpec(spec) },
  });
}

/** Prompt text by unit (`original` or the variant's kind), as the audit plans them. */
function promptsFor(spec: PromptFormatSpec, prepared: PromptFormat): Record<string, string> {
  const { variants } = variantsFor(spec);
  const requests = buildRequests([PROBLEM], variants, prepared, 0);
  return Object.fromEntries(
    requests.map((r) => [
      r.variantId === null ? "original" : (r.variantId.split("/")[2] as string),
      r.prompt,
    ]),
  );
}

describe("format probe", () => {
  it("qa: the question asked with a blank line, Q:/A: labels, trailing spaces; nothing else changes", () => {
    assert.deepEqual(promptsFor(QA, preparePromptFormat(QA)), {
      original: `Question: ${Q}\nAnswer:`,
      "blank-line-before-answer": `Question: ${Q}\n\nAnswer:`,
      "short-labels": `Q: ${Q}\nA:`,
      "trailing-spaces": `Question: ${Q}  \nAnswer:`,
    });
    const { variants, stats } = variantsFor(QA);
    for (const v of variants) {
      assert.equal(v.question, Q, "the question is the original's");
      assert.deepEqual(v.edits, []);
      assert.equal(v.expected, "7");
      assert.equal(v.answerChanged, false);
    }
    assert.deepEqual(stats.probes["format"]?.refused_candidates, { no_q_a_labels: 1 });
  });

  it("cot-8shot: the asked item changes, the eight exemplars before it do not", () => {
    const prompts = promptsFor(COT_8SHOT, preparePromptFormat(COT_8SHOT));
    const original = prompts["original"] as string;
    const block = original.slice(0, original.length - `Q: ${Q}\nA:`.length);
    assert.ok(block.endsWith("The answer is 8.\n\n"), "the exemplar block ends with the last exemplar");
    assert.deepEqual(prompts, {
      original,
      "blank-line-before-answer": `${block}Q: ${Q}\n\nA:`,
      "long-labels": `${block}Question: ${Q}\nAnswer:`,
      "trailing-spaces": `${block}Q: ${Q}  \nA:`,
    });
    assert.deepEqual(variantsFor(COT_8SHOT).stats.probes["format"]?.refused_candidates, {
      no_question_answer_labels: 1,
    });
  });

  it("gsm8k-5shot: every prompt keeps the shared exemplar block (and its prefix length)", () => {
    const prepared = preparePromptFormat(GSM8K_5SHOT, TRAIN);
    const { variants } = variantsFor(GSM8K_5SHOT);
    const requests = buildRequests([PROBLEM], variants, prepared, 0);
    assert.equal(requests.length, 4);
    const block = "Question: Exemplar question 1?\nAnswer: Worked 1.\n#### 1\n\n";
    for (const r of requests) {
      assert.ok(r.prompt.startsWith(block), r.id);
      assert.equal(r.sharedPrefix, requests[0]?.sharedPrefix, r.id);
      assert.ok(r.prompt.endsWith(Q) || /\n(?:\n)?A(?:nswer)?:$/.test(r.prompt), r.id);
    }
    assert.ok(
      requests.some((r) =>
        r.prompt.endsWith(`Question: Exemplar question 5?\nAnswer: Worked 5.\n#### 5\n\nQ: ${Q}\nA:`),
      ),
    );
  });

  it("code: no answer line and no Answer label, so only trailing spaces; the refusals are counted", () => {
    assert.deepEqual(Object.keys(promptsFor(CODE, preparePromptFormat(CODE))), [
      "original",
      "trailing-spaces",
    ]);
    assert.match(
      promptsFor(CODE, preparePromptFormat(CODE))["trailing-spaces"] ?? "",
      /\nQuestion: Tom has .*\? {2}\n\n```python\ndef solution\(\):\n$/,
    );
    assert.deepEqual(variantsFor(CODE).stats.probes["format"]?.refused_candidates, {
      no_answer_line: 1,
      no_q_a_labels: 1,
      no_question_answer_labels: 1,
    });
  });

  it("refuses with a reason where there is no wrapper to change, or no format", () => {
    const bare: PromptFormatSpec = { ...QA, name: "file:bare.txt", template: "Solve: {question}", stop: [] };
    const none = variantsFor(bare).stats.probes["format"];
    assert.equal(none?.problems_with_variant, 0);
    assert.deepEqual(none?.reasons, { no_wrapper_to_change: 1 });
    const twice: PromptFormatSpec = { ...QA, name: "file:twice.txt", template: "{question}\n{question}\nA:" };
    assert.deepEqual(variantsFor(twice).stats.probes["format"]?.reasons, {
      question_placeholder_repeated: 1,
    });
    assert.deepEqual(runProbes([PROBLEM], [format()], 1).stats.probes["format"]?.reasons, {
      no_prompt_format: 1,
    });
    const asChat = runProbes([PROBLEM], [format()], 1, {
      promptFormat: { name: QA.name, wrapper: wrapperOfSpec(QA), chat: true },
    });
    assert.equal(asChat.variants.length, 0);
    assert.deepEqual(asChat.stats.probes["format"]?.reasons, { chat_prompts_have_no_text_wrapper: 1 });
  });

  it("a variant made for one format is never rendered silently in another", () => {
    const [v] = variantsFor(QA).variants;
    assert.ok(v?.wrapper);
    assert.throws(
      () => renderPrompt(preparePromptFormat(COT_8SHOT), { question: v.question, wrapper: v.wrapper }),
      /wrapper edit/,
    );
  });
});
