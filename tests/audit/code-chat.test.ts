/**
 * The chat form of the `code` format: how the program is read out of a chat reply, and an audit
 * with `--format code --api chat` against a scripted server on 127.0.0.1 whose replies are
 * hand-written programs (answers worked out by hand from the made-up problems).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  chatReplyProgram,
  codeProgramRuleOf,
  PROGRAM_OF,
  solutionProgram,
} from "../../src/audit/code-answer.js";
import { runAudit } from "../../src/audit/run.js";
import { PythonSandbox } from "../../src/sandbox/index.js";
import { SqliteRunStore } from "../../src/store/index.js";
import type { ChatMessage, CompletionRecord } from "../../src/types/audit.js";
import { makeTempDir, writeFixture } from "../helpers/data-fixtures.js";
import { MODELS, type Received, type Reply, scriptedServer } from "../openai/scripted-server.js";
import { quietDeps } from "./faulty-proxy.js";
import { auditOptions, MADE_UP, madeUpJsonl } from "./helpers.js";

const STOP = ["\nQuestion:", "\nExercise", "<|endoftext|>"];

describe("a code format's program from a chat reply", () => {
  it("takes a fenced function with its header as it is", () => {
    const reply =
      "Here it is:\n```python\ndef solution():\n    a = 3\n\n\n    return a + 4\n```\nIt returns 7.";
    assert.equal(chatReplyProgram(reply, STOP), "def solution():\n    a = 3\n\n\n    return a + 4\n");
  });

  it("puts the header before a fenced body", () => {
    assert.equal(
      chatReplyProgram("```python\n    return 5 * 2\n```", STOP),
      "def solution():\n    return 5 * 2\n",
    );
  });

  it("takes an unfenced reply as the body, cut at the stop strings", () => {
    assert.equal(
      chatReplyProgram("    return 6 * 7\nQuestion: next", STOP),
      "def solution():\n    return 6 * 7",
    );
  });

  it("takes the first of two blocks, and a bare fence like a python one", () => {
    const two =
      "```python\ndef solution():\n    return 15\n```\nor\n```python\ndef solution():\n    return 0\n```";
    assert.equal(chatReplyProgram(two, STOP), "def solution():\n    return 15\n");
    const bare = "```\ndef helper():\n    return 5\n\ndef solution():\n    return helper()\n```";
    assert.equal(
      chatReplyProgram(bare, STOP),
      "def helper():\n    return 5\n\ndef solution():\n    return helper()\n",
    );
    // A block in another language is passed over for the python one.
    const text = "```text\nsteps\n```\n```python\n    return 1\n```";
    assert.equal(chatReplyProgram(text, STOP), "def solution():\n    return 1\n");
  });

  it("runs a reply cut short inside its block up to where it ends", () => {
    assert.equal(
      chatReplyProgram("```python\ndef solution():\n    return 9", STOP),
      "def solution():\n    return 9",
    );
  });

  it("the rule follows the run's chat settings; a completion keeps the body rule", () => {
    assert.equal(codeProgramRuleOf(null), "completion-body");
    assert.equal(codeProgramRuleOf({ via: "api", system: "s" }), "chat-reply");
    assert.equal(
      codeProgramRuleOf({ via: "template", system: "s", template: { origin: "file", sha256: "x" } }),
      "chat-reply",
    );
    assert.equal(PROGRAM_OF["completion-body"], solutionProgram);
    assert.equal(PROGRAM_OF["chat-reply"], chatReplyProgram);
  });

  it("a reply with no code fails in the sandbox as a broken completion does", async () => {
    const sandbox = new PythonSandbox({ timeoutMs: 2000 });
    try {
      const result = await sandbox.run(chatReplyProgram("Jake has 24 crayons.", STOP));
      assert.equal(result.ok, false);
      if (!result.ok) assert.equal(result.reason, "exception");
    } finally {
      await sandbox.close();
    }
  });
});

/**
 * Replies by the made-up problem asked (by the name in it). Expected answers by hand: Tom 3 + 4 =
 * 7, Maria 5 * 2 = 10, Sam 6 * 7 = 42, Lena 24 - 9 = 15, Jake 8 * 3 = 24, Nina (2 + 3) * 5 = 25.
 */
const REPLIES: Record<string, string> = {
  // Fenced with its header, prose around it, blank lines inside: 7, right.
  Tom: "Let me write it.\n```python\ndef solution():\n    apples = 3\n\n\n    apples += 4\n    return apples\n```\nThis returns 7.",
  // A fenced body only: 10, right.
  Maria: "```python\n    pens = 5\n    return pens * 2\n```",
  // No fence, a body: 42, right.
  Sam: "    return 6 * 7",
  // Two blocks: the first (15, right) runs, not the second (0).
  Lena: "```python\ndef solution():\n    return 24 - 9\n```\nOr, wrongly:\n```python\ndef solution():\n    return 0\n```",
  // No code at all: no answer.
  Jake: "Jake has 24 crayons.",
  // A bare fence with a helper before solution() (no stop at "\ndef "): 4 * 5 = 20, wrong.
  Nina: "```\ndef per_day():\n    return 2 + 2\n\ndef solution():\n    return per_day() * 5\n```",
};

function chatReply(content: string): Reply {
  return {
    status: 200,
    body: {
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 0,
      model: "m",
      choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
      usage: { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 },
    },
  };
}

function nameAsked(messages: readonly ChatMessage[]): string {
  const last = messages.at(-1)!.content;
  return Object.keys(REPLIES).find((name) => last.includes(`${name} `)) ?? "?";
}

describe("--format code --api chat against a scripted server", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let dataset: string;
  let srv: Awaited<ReturnType<typeof scriptedServer>>;
  before(async () => {
    tmp = await makeTempDir("litmus-code-chat-");
    dataset = await writeFixture(tmp.dir, "made-up.jsonl", madeUpJsonl());
    srv = await scriptedServer((r: Received) => {
      if (r.path.endsWith("/models")) return MODELS;
      if (r.path.endsWith("/chat/completions")) {
        const messages = (r.body as { messages: ChatMessage[] }).messages;
        return chatReply(REPLIES[nameAsked(messages)] ?? "");
      }
      return { status: 404, body: { error: { message: "not found" } } };
    });
  });
  after(async () => {
    await srv.close();
    await tmp.cleanup();
  });

  it("runs the program of each reply and scores what solution() returns", async () => {
    const out = join(tmp.dir, "run");
    const openai = {
      endpoint: srv.url,
      modelName: "m",
      concurrency: 2,
      timeoutS: 30,
      retries: 0,
      bosText: "",
      api: "chat" as const,
    };
    const result = await runAudit(
      auditOptions(dataset, out, {
        model: "openai:m",
        openai,
        format: "code",
        probes: "newline",
        n: 0,
        ks: [1],
      }),
      { failOn: [] },
      { ...quietDeps(), sandbox: { timeoutMs: 2000 } },
    );
    assert.equal(result.summary.complete, true);

    // What was sent: the code chat form, with stops that keep a fenced reply whole.
    const bodies = srv.received
      .filter((r) => r.path.endsWith("/chat/completions"))
      .map((r) => r.body as { messages: ChatMessage[]; stop: string[] });
    for (const b of bodies) {
      assert.equal(b.messages.length, 2);
      assert.equal(b.messages[0]!.role, "system");
      assert.match(b.messages[0]!.content, /solution\(\)/);
      assert.ok(!b.messages[1]!.content.includes("def solution"), "the question turn opens no function");
      assert.deepEqual(b.stop, STOP);
    }

    const store = SqliteRunStore.openDir(out);
    const requests = new Map(store.requests().map((r) => [r.id, r]));
    assert.equal(bodies.length, requests.size, "one chat request per prompt (greedy only)");
    assert.ok(requests.size > MADE_UP.length, "the originals and their newline variants");
    const byName = new Map<string, CompletionRecord[]>();
    for (const c of store.completions()) {
      const name = nameAsked(requests.get(c.requestId)!.messages!);
      byName.set(name, [...(byName.get(name) ?? []), c]);
    }
    store.close();
    const expect = (name: string, answer: string | null, rule: string, correct: boolean) => {
      const rows = byName.get(name)!;
      assert.ok(rows.length >= 2, `${name}: the original and a variant`);
      for (const c of rows) {
        assert.equal(c.text, REPLIES[name], `${name}: the reply is stored as written`);
        assert.equal(c.answer, answer, name);
        assert.equal(c.rule, rule, name);
        assert.equal(c.correct, correct, name);
      }
    };
    expect("Tom", "7", "code", true);
    expect("Maria", "10", "code", true);
    expect("Sam", "42", "code", true);
    expect("Lena", "15", "code", true);
    expect("Jake", null, "code-exception", false);
    expect("Nina", "20", "code", false);

    // The run says how its programs were made.
    const config = (
      JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as {
        manifest: { config: { extraction: unknown; chat: unknown } };
      }
    ).manifest.config;
    assert.deepEqual(config.extraction, { pipeline: "flexible-extract", codeProgram: "chat-reply" });
    assert.deepEqual((config.chat as { via: string }).via, "api");
  });
});
