/**
 * The chat form of the prompt formats and chat templates rendered with @huggingface/jinja, checked
 * against strings written out by hand from the template's definition.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  CHAT_SYSTEM,
  CODE,
  COT_8SHOT,
  chatTranscript,
  GSM8K_5SHOT,
  loadChatTemplate,
  preparePromptFormat,
  QA,
  renderChat,
  renderPromptAs,
  specFromJson,
} from "../../src/prompts/index.js";
import type { Problem } from "../../src/types/index.js";
import { InputError } from "../../src/util/errors.js";
import { makeTempDir } from "../helpers/data-fixtures.js";

const TEMPLATES = fileURLToPath(new URL("../../../tests/fixtures/chat-templates/", import.meta.url));
const PHI_TINY = fileURLToPath(new URL("../../../tests/fixtures/phi-tiny/", import.meta.url));

// Made-up questions and exemplars: GSM8K text is never copied into the repository.
const Q = "Tom has 4 apples and eats 1. How many are left?";

function inputError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InputError, `expected InputError, got ${String(err)}`);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes("\n"), "one-line message");
    return true;
  });
}

/** Ten made-up "train lines" for gsm8k-5shot, which shows lines 1-5 (6-10 replace the asked one). */
const TRAIN: Problem[] = Array.from({ length: 10 }, (_, i) => ({
  id: `gsm8k-train:${i + 1}`,
  line: i + 1,
  question: `Made-up question ${i + 1}: what is ${i} + 1?`,
  answer: `It is ${i} + 1 = <<${i}+1=${i + 1}>>${i + 1}.\n#### ${i + 1}`,
  finalAnswer: String(i + 1),
  hash: `h${i + 1}`,
})) as unknown as Problem[];

describe("chat form of the formats", () => {
  it("qa: the system message, then the question asked as the format asks it", () => {
    const chat = renderChat(preparePromptFormat(QA), { question: Q });
    assert.deepEqual(chat.messages, [
      { role: "system", content: CHAT_SYSTEM["qa"] },
      { role: "user", content: `Question: ${Q}\nAnswer:` },
    ]);
    assert.deepEqual(chat.stop, QA.stop);
    assert.deepEqual(chat.exemplarIds, []);
  });

  it("gsm8k-5shot: five exemplar user/assistant pairs (full solution as the reply), the question last", () => {
    const format = preparePromptFormat(GSM8K_5SHOT, TRAIN);
    const chat = renderChat(format, { question: Q });
    assert.equal(chat.messages.length, 1 + 5 * 2 + 1);
    assert.deepEqual(chat.messages[1], {
      role: "user",
      content: "Question: Made-up question 1: what is 0 + 1?\nAnswer:",
    });
    assert.deepEqual(chat.messages[2], { role: "assistant", content: "It is 0 + 1 = <<0+1=1>>1.\n#### 1" });
    assert.deepEqual(chat.messages[10], { role: "assistant", content: "It is 4 + 1 = <<4+1=5>>5.\n#### 5" });
    assert.deepEqual(chat.messages.at(-1), { role: "user", content: `Question: ${Q}\nAnswer:` });
    assert.deepEqual(
      chat.exemplarIds,
      [1, 2, 3, 4, 5].map((l) => `gsm8k-train:${l}`),
    );
    // The roles alternate after the system message, as strict templates (Llama's) demand.
    chat.messages.slice(1).forEach((m, i) => {
      assert.equal(m.role, i % 2 === 0 ? "user" : "assistant");
    });
  });

  it("gsm8k-5shot: asking an exemplar's own problem leaves it out (line 6 takes its place)", () => {
    const format = preparePromptFormat(GSM8K_5SHOT, TRAIN);
    const chat = renderChat(format, { question: "Made-up question 3: what is 2 + 1?", problemHash: "h3" });
    assert.deepEqual(
      chat.exemplarIds,
      [1, 2, 4, 5, 6].map((l) => `gsm8k-train:${l}`),
    );
    assert.ok(!chat.messages.slice(0, -1).some((m) => m.content.includes("what is 2 + 1")));
  });

  it("cot-8shot: Q:/A: turns with the exemplar's reasoning as the reply", () => {
    const chat = renderChat(preparePromptFormat(COT_8SHOT), { question: Q });
    assert.equal(chat.messages.length, 1 + 8 * 2 + 1);
    assert.deepEqual(chat.messages[3], {
      role: "user",
      content:
        "Q: If there are 3 cars in the parking lot and 2 more cars arrive, how many cars are in the parking lot?\nA:",
    });
    assert.deepEqual(chat.messages[4], {
      role: "assistant",
      content: "There are originally 3 cars. 2 more cars arrive. 3 + 2 = 5. The answer is 5.",
    });
    assert.deepEqual(chat.messages.at(-1), { role: "user", content: `Q: ${Q}\nA:` });
  });

  it("code: a system message asking for solution(), the question without the opened function", () => {
    const chat = renderChat(preparePromptFormat(CODE), { question: Q });
    assert.deepEqual(chat.messages, [
      {
        role: "system",
        content:
          "Solve the grade-school math problem by writing a Python function solution() that takes no arguments and returns the final answer as a number. It must not read input or print anything. Reply with the complete function in a ```python code block.",
      },
      {
        role: "user",
        content:
          "Write a Python function solution() that returns the final answer as a number.\n\nQuestion: Tom has 4 apples and eats 1. How many are left?",
      },
    ]);
    // A fenced reply must stay whole: no stop at its fences or at a second function.
    assert.deepEqual(chat.stop, ["\nQuestion:", "\nExercise", "<|endoftext|>"]);
    assert.deepEqual(chat.exemplarIds, []);
  });

  it("a code template file's exemplars: the question, then the full function in a ```python block", () => {
    const spec = specFromJson(
      {
        template: "{exemplars}Q: {question}\n```python\ndef solution():\n",
        exemplarTemplate: "Q: {question}\n```python\ndef solution():\n{answer}\n```",
        exemplars: [
          { question: "What is 2 + 2?", answer: "    return 2 + 2", final: "4" },
          { question: "What is 3 * 3?", answer: "def solution():\n    return 3 * 3", final: "9" },
        ],
        shots: 2,
        stop: ["```", "\nQ:"],
        answerFrom: "code",
      },
      "pot.json",
      "pot",
    );
    const chat = renderChat(preparePromptFormat(spec), { question: Q });
    assert.deepEqual(chat.messages, [
      { role: "system", content: CHAT_SYSTEM["code"] },
      { role: "user", content: "Q: What is 2 + 2?" },
      { role: "assistant", content: "```python\ndef solution():\n    return 2 + 2\n```" },
      { role: "user", content: "Q: What is 3 * 3?" },
      { role: "assistant", content: "```python\ndef solution():\n    return 3 * 3\n```" },
      { role: "user", content: `Q: ${Q}` },
    ]);
    assert.deepEqual(chat.stop, ["\nQ:"]);
  });

  it("the transcript (chat API record, litmus serve's fallback) is written turn by turn", () => {
    const text = chatTranscript([
      { role: "system", content: "S" },
      { role: "user", content: "U1" },
      { role: "assistant", content: "A1" },
      { role: "user", content: "U2" },
    ]);
    assert.equal(text, "System: S\n\nUser: U1\n\nAssistant: A1\n\nUser: U2\n\nAssistant:");
  });
});

describe("chat templates (@huggingface/jinja)", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  /** A copy of the phi-tiny fixture's tokenizer files with a chat template added. */
  const modelCopy = (name: string, template: { config?: string; jinja?: string }): string => {
    const dir = join(tmp.dir, name);
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(PHI_TINY, "special_tokens_map.json"), join(dir, "special_tokens_map.json"));
    const config = JSON.parse(readFileSync(join(PHI_TINY, "tokenizer_config.json"), "utf8")) as Record<
      string,
      unknown
    >;
    if (template.config !== undefined) config["chat_template"] = template.config;
    writeFileSync(join(dir, "tokenizer_config.json"), JSON.stringify(config));
    if (template.jinja !== undefined) writeFileSync(join(dir, "chat_template.jinja"), template.jinja);
    return dir;
  };
  before(async () => {
    tmp = await makeTempDir("litmus-chat-template-");
  });
  after(async () => {
    await tmp.cleanup();
  });

  const messages = [
    { role: "system" as const, content: "Be brief." },
    { role: "user" as const, content: "Q: 2 + 2?\nA:" },
    { role: "assistant" as const, content: "4. The answer is 4." },
    { role: "user" as const, content: "Q: 3 + 3?\nA:" },
  ];

  it("a ChatML template in tokenizer_config.json renders every turn and the generation prompt", () => {
    const dir = modelCopy("chatml", { config: readFileSync(join(TEMPLATES, "chatml.jinja"), "utf8") });
    const template = loadChatTemplate(dir, "auto");
    assert.ok(template);
    assert.equal(template.origin, "model");
    assert.equal(
      template.render(messages),
      "<|im_start|>system\nBe brief.<|im_end|>\n" +
        "<|im_start|>user\nQ: 2 + 2?\nA:<|im_end|>\n" +
        "<|im_start|>assistant\n4. The answer is 4.<|im_end|>\n" +
        "<|im_start|>user\nQ: 3 + 3?\nA:<|im_end|>\n" +
        "<|im_start|>assistant\n",
    );
  });

  it("a Llama-2-style chat_template.jinja uses bos/eos tokens, folds the system message into the first turn", () => {
    const dir = modelCopy("llama", { jinja: readFileSync(join(TEMPLATES, "llama.jinja"), "utf8") });
    const template = loadChatTemplate(dir, "auto");
    assert.ok(template);
    // phi-tiny's tokenizer_config.json names <|endoftext|> as both bos and eos.
    assert.equal(
      template.render(messages),
      "<|endoftext|>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nQ: 2 + 2?\nA: [/INST]" +
        " 4. The answer is 4. <|endoftext|>" +
        "[INST] Q: 3 + 3?\nA: [/INST]",
    );
  });

  it("raise_exception in a template is a one-line InputError naming the template", () => {
    const dir = modelCopy("llama-strict", { jinja: readFileSync(join(TEMPLATES, "llama.jinja"), "utf8") });
    const template = loadChatTemplate(dir, "auto")!;
    inputError(
      () =>
        template.render([
          { role: "user", content: "a" },
          { role: "user", content: "b" },
        ]),
      /chat template .*chat_template\.jinja: .*alternate/,
    );
  });

  it("auto without a template, and none, give plain prompts; a missing or broken FILE is an InputError", () => {
    assert.equal(loadChatTemplate(PHI_TINY, "auto"), null);
    const dir = modelCopy("none", { config: "{{ messages }}" });
    assert.equal(loadChatTemplate(dir, "none"), null);
    inputError(
      () => loadChatTemplate(dir, { file: join(tmp.dir, "nope.jinja") }),
      /--chat-template .*nope\.jinja: no such file/,
    );
    const broken = join(tmp.dir, "broken.jinja");
    writeFileSync(broken, "{% for m in messages %}{{ m.content }}");
    inputError(() => loadChatTemplate(dir, { file: broken }), /chat template .*broken\.jinja: /);
  });

  it("a format rendered through a template: the text is the template's, the exemplar block is shared", () => {
    const template = loadChatTemplate(PHI_TINY, { file: join(TEMPLATES, "chatml.jinja") })!;
    assert.equal(template.origin, "file");
    const format = preparePromptFormat(COT_8SHOT);
    const style = { kind: "chat-template" as const, template };
    const a = renderPromptAs(style, format, { question: Q });
    const b = renderPromptAs(style, format, { question: "Another question?" });
    assert.ok(
      a.text.startsWith(
        `<|im_start|>system\n${CHAT_SYSTEM["cot-8shot"]}<|im_end|>\n<|im_start|>user\nQ: There are 15 trees`,
      ),
    );
    assert.ok(a.text.endsWith(`<|im_start|>user\nQ: ${Q}\nA:<|im_end|>\n<|im_start|>assistant\n`));
    assert.equal(a.messages, undefined, "a local prompt is text only");
    // Everything up to the last user turn's content is shared, and nothing after it.
    const lastTurn = a.text.lastIndexOf("<|im_start|>user\n") + "<|im_start|>user\n".length;
    assert.equal(a.sharedPrefix, lastTurn);
    assert.equal(a.text.slice(0, a.sharedPrefix), b.text.slice(0, b.sharedPrefix));
    // Without exemplars nothing is shared (as with text prompts).
    assert.equal(renderPromptAs(style, preparePromptFormat(QA), { question: Q }).sharedPrefix, 0);
  });

  it("code through a chat template: the same chat form, rendered, with the chat form's stops", () => {
    const template = loadChatTemplate(PHI_TINY, { file: join(TEMPLATES, "chatml.jinja") })!;
    const out = renderPromptAs({ kind: "chat-template", template }, preparePromptFormat(CODE), {
      question: Q,
    });
    assert.equal(
      out.text,
      `<|im_start|>system\n${CHAT_SYSTEM["code"]}<|im_end|>\n<|im_start|>user\nWrite a Python function solution() that returns the final answer as a number.\n\nQuestion: ${Q}<|im_end|>\n<|im_start|>assistant\n`,
    );
    assert.deepEqual(out.stop, ["\nQuestion:", "\nExercise", "<|endoftext|>"]);
  });

  it("a chat API prompt keeps its messages and records their transcript", () => {
    const out = renderPromptAs({ kind: "chat-api" }, preparePromptFormat(QA), { question: Q });
    assert.deepEqual(out.messages, [
      { role: "system", content: CHAT_SYSTEM["qa"] },
      { role: "user", content: `Question: ${Q}\nAnswer:` },
    ]);
    assert.equal(out.text, `System: ${CHAT_SYSTEM["qa"]}\n\nUser: Question: ${Q}\nAnswer:\n\nAssistant:`);
  });
});
