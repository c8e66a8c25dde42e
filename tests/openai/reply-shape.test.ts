/**
 * The reply shapes as data: a valid reply of each shape passes, and each way of breaking one is
 * named by its path. (The completions shape is also tested through the real CLI in
 * hostile-replies.test.ts; the chat shape is the one `--api chat` reads.)
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkChatReply, checkCompletionsReply, ServerReplyError } from "../../src/openai/index.js";
import { InputError } from "../../src/util/errors.js";

function chatReply(): Record<string, unknown> {
  return {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 0,
    model: "m",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: "The answer is 4." },
        logprobs: {
          content: [
            {
              token: "The",
              logprob: -0.1,
              bytes: [84, 104, 101],
              top_logprobs: [{ token: "The", logprob: -0.1, bytes: null }],
            },
            { token: " answer", logprob: -0.2, top_logprobs: [] },
          ],
        },
        finish_reason: "stop",
      },
    ],
    usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 },
  };
}

/** `reply` with the value at `path` (dot/bracket steps) replaced. */
function broken(reply: Record<string, unknown>, path: Array<string | number>, value: unknown): unknown {
  const copy = structuredClone(reply);
  let at: Record<string | number, unknown> = copy;
  for (const step of path.slice(0, -1)) at = at[step] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy;
}

const fails = (fn: () => unknown, message: RegExp) =>
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ServerReplyError && err instanceof InputError, "exit 2 through InputError");
    assert.match((err as Error).message, message);
    return true;
  });

describe("chat reply shape (choices[].message.content, logprobs.content[])", () => {
  it("accepts a valid reply, with or without log-probs, content null allowed", () => {
    assert.equal(checkChatReply(chatReply()).choices[0]!.message.content, "The answer is 4.");
    checkChatReply(broken(chatReply(), ["choices", 0, "logprobs"], null));
    checkChatReply(broken(chatReply(), ["choices", 0, "message", "content"], null));
  });

  const cases: Array<[string, Array<string | number>, unknown, RegExp]> = [
    ["no message", ["choices", 0, "message"], undefined, /^server reply: choices\[0\]\.message is missing/],
    [
      "content a list",
      ["choices", 0, "message", "content"],
      ["x"],
      /choices\[0\]\.message\.content must be a string or null \(got a list\)/,
    ],
    [
      "logprob a string",
      ["choices", 0, "logprobs", "content", 1, "logprob"],
      "-0.2",
      /choices\[0\]\.logprobs\.content\[1\]\.logprob must be a number \(got "-0\.2"\)/,
    ],
    [
      "token missing",
      ["choices", 0, "logprobs", "content", 0, "token"],
      undefined,
      /choices\[0\]\.logprobs\.content\[0\]\.token is missing/,
    ],
    [
      "top_logprobs entry broken",
      ["choices", 0, "logprobs", "content", 0, "top_logprobs", 0, "logprob"],
      null,
      /choices\[0\]\.logprobs\.content\[0\]\.top_logprobs\[0\]\.logprob must be a number \(got null\)/,
    ],
    [
      "bytes not integers",
      ["choices", 0, "logprobs", "content", 0, "bytes"],
      [1.5],
      /content\[0\]\.bytes\[0\] must be an integer \(got 1\.5\)/,
    ],
    [
      "unknown finish_reason",
      ["choices", 0, "finish_reason"],
      "done",
      /choices\[0\]\.finish_reason must be one of stop, length, content_filter, tool_calls, function_call, eos_token, stop_sequence or null \(got "done"\)/,
    ],
    ["wrong index", ["choices", 0, "index"], 1, /choices\[0\]\.index must be 0 \(got 1\)/],
    [
      "usage tokens a string",
      ["usage", "prompt_tokens"],
      "9",
      /usage\.prompt_tokens must be an integer \(got "9"\)/,
    ],
  ];
  for (const [what, path, value, message] of cases)
    it(`names the field: ${what}`, () =>
      fails(() => checkChatReply(broken(chatReply(), path, value)), message));
});

describe("completions reply shape", () => {
  const reply = {
    choices: [
      {
        index: 0,
        text: " 4",
        logprobs: {
          tokens: [" ", "4"],
          token_logprobs: [null, -0.1],
          top_logprobs: [null, { "4": -0.1 }],
          text_offset: [0, 1],
        },
        finish_reason: "length",
        stop_reason: null,
      },
    ],
  };

  it("accepts a valid reply (echoed first log-prob null, vLLM's stop_reason)", () => {
    assert.equal(checkCompletionsReply(reply).choices[0]!.text, " 4");
    checkCompletionsReply(broken(reply, ["choices", 0, "stop_reason"], "\n"));
    checkCompletionsReply(broken(reply, ["choices", 0, "stop_reason"], 50256));
  });

  it("names a top_logprobs entry by its token, and a text_offset list of the wrong length", () => {
    fails(
      () => checkCompletionsReply(broken(reply, ["choices", 0, "logprobs", "top_logprobs", 1], { "4": "x" })),
      /choices\[0\]\.logprobs\.top_logprobs\[1\]\["4"\] must be a number \(got "x"\)/,
    );
    fails(
      () => checkCompletionsReply(broken(reply, ["choices", 0, "logprobs", "text_offset"], [0])),
      /choices\[0\]\.logprobs\.text_offset has 1 entries but choices\[0\]\.logprobs\.tokens has 2/,
    );
    fails(
      () => checkCompletionsReply(broken(reply, ["choices", 0, "stop_reason"], true)),
      /choices\[0\]\.stop_reason must be a string or a number or null \(got true\)/,
    );
  });

  it("never prints a hostile value: long strings by their type, control characters stripped", () => {
    fails(
      () => checkCompletionsReply(broken(reply, ["choices", 0, "index"], "a\x1b[2Jb\u202e")),
      /choices\[0\]\.index must be an integer \(got "ab"\)/,
    );
    fails(
      () => checkCompletionsReply(broken(reply, ["choices", 0, "index"], "x".repeat(10_000))),
      /choices\[0\]\.index must be an integer \(got a string\)$/,
    );
  });
});

describe("completions reply with the chat dialect of logprobs (llama.cpp's server)", () => {
  const reply = {
    choices: [
      {
        index: 0,
        text: " 4",
        logprobs: { content: [{ token: " 4", logprob: -0.3, bytes: [32, 52], top_logprobs: [] }] },
        finish_reason: "stop",
      },
    ],
  };
  it("is accepted, and checked as the chat dialect", () => {
    checkCompletionsReply(reply);
    fails(
      () => checkCompletionsReply(broken(reply, ["choices", 0, "logprobs", "content", 0, "logprob"], null)),
      /^server reply: choices\[0\]\.logprobs\.content\[0\]\.logprob must be a number \(got null\)/,
    );
  });
});
