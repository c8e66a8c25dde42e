/**
 * `--api chat` against a scripted server on 127.0.0.1: the request litmus sends for each sample,
 * how a chat reply is read (log-probs, finish reasons, a stop string the server kept), and the
 * note said once when the server gives no log-probs.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OpenAIBackend } from "../../src/openai/index.js";
import type { ChatMessage } from "../../src/types/audit.js";
import { deriveSeed } from "../../src/util/rng.js";
import { MODELS, type Received, type Reply, scriptedServer } from "./scripted-server.js";

const fast = { sleep: async () => {}, random: () => 0 };

const MESSAGES: ChatMessage[] = [
  { role: "system", content: "Solve it." },
  { role: "user", content: "Q: 1 + 1?\nA:" },
  { role: "assistant", content: "The answer is 2." },
  { role: "user", content: "Q: 2 + 3?\nA:" },
];

function chatReply(content: string | null, extra: Record<string, unknown> = {}): Reply {
  return {
    status: 200,
    body: {
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 0,
      model: "m",
      choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop", ...extra }],
      usage: { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 },
    },
  };
}

const chatBodies = (received: Received[]) =>
  received.filter((r) => r.path === "/v1/chat/completions").map((r) => r.body as Record<string, unknown>);

describe("OpenAIBackend --api chat", () => {
  it("sends the messages to /v1/chat/completions, one request per sample, seeds as for completions", async () => {
    const srv = await scriptedServer((r) =>
      r.path.endsWith("/models") ? MODELS : chatReply("The answer is 5."),
    );
    try {
      const backend = await OpenAIBackend.open({ endpoint: srv.url, model: "m", api: "chat", ...fast });
      const stop = ["Q:", "</s>", "<|im_end|>", "\nQuestion:", "\nExercise"];
      await backend.generate(
        [
          { id: "g", prompt: "transcript", messages: MESSAGES, config: { temperature: 0, n: 1, stop } },
          { id: "s", prompt: "transcript", messages: MESSAGES, config: { n: 3, stop }, samples: [0, 2] },
        ],
        { seed: 9, temperature: 0.7, topP: 0.9, topK: 0, maxNewTokens: 64 },
      );
      assert.equal(
        srv.received.filter((r) => r.path === "/v1/completions").length,
        0,
        "nothing goes to /v1/completions",
      );
      const bodies = chatBodies(srv.received);
      assert.equal(bodies.length, 3, "1 greedy + the 2 samples asked for");
      for (const b of bodies) {
        assert.deepEqual(b["messages"], MESSAGES);
        assert.equal(b["prompt"], undefined);
        assert.equal(b["model"], "m");
        assert.equal(b["n"], 1);
        assert.equal(b["max_tokens"], 64);
        assert.equal(b["logprobs"], true);
        assert.equal(b["top_logprobs"], 1);
        assert.deepEqual(b["stop"], stop.slice(0, 4), "at most 4 stop strings go to the server");
        assert.equal(b["top_k"], undefined, "top-k off is not sent");
      }
      const greedy = bodies.filter((b) => b["temperature"] === 0);
      assert.equal(greedy.length, 1);
      assert.equal(greedy[0]!["seed"], undefined);
      assert.equal(greedy[0]!["top_p"], undefined);
      const sampled = bodies.filter((b) => b["temperature"] === 0.7);
      assert.deepEqual(
        sampled.map((b) => b["seed"]).sort(),
        [deriveSeed(9, "s", 0), deriveSeed(9, "s", 2)].sort(),
      );
      for (const b of sampled) assert.equal(b["top_p"], 0.9);
    } finally {
      await srv.close();
    }
  });

  it("reads the reply: content, token log-probs, finish reasons, usage", async () => {
    const replies: Record<string, Reply> = {
      a: chatReply("The answer is 5.", {
        logprobs: {
          content: [
            { token: "The", logprob: -0.5, bytes: [84, 104, 101], top_logprobs: [] },
            { token: " answer", logprob: -0.25, bytes: null, top_logprobs: [] },
          ],
        },
        stop_reason: "Q:",
      }),
      b: chatReply("5 5 5", { finish_reason: "length" }),
      c: chatReply(null, { stop_reason: null }),
    };
    const srv = await scriptedServer((r) => {
      if (r.path.endsWith("/models")) return MODELS;
      const last = (r.body as { messages: ChatMessage[] }).messages.at(-1)!.content;
      return replies[last]!;
    });
    const notes: string[] = [];
    try {
      const backend = await OpenAIBackend.open({
        endpoint: srv.url,
        model: "m",
        api: "chat",
        onNote: (m) => notes.push(m),
        ...fast,
      });
      const ask = (id: string) => ({
        id,
        prompt: id,
        messages: [{ role: "user" as const, content: id }],
        config: { temperature: 0, n: 1, stop: [] },
      });
      const [a, b, c] = await backend.generate([ask("a"), ask("b"), ask("c")], { maxNewTokens: 8 });
      assert.equal(a!.text, "The answer is 5.");
      assert.deepEqual(a!.tokens, ["The", " answer"]);
      assert.deepEqual(a!.logprobs, [-0.5, -0.25]);
      assert.equal(a!.finishReason, "stop", "a stop string (vLLM's stop_reason)");
      assert.equal(a!.promptTokens, 11);
      assert.equal(b!.finishReason, "length");
      assert.equal(c!.text, "", "null content is an empty reply");
      assert.equal(c!.finishReason, "eos", "stop_reason null: end of text");
      // b and c had no log-probs: said once, and their completions carry no tokens.
      assert.equal(notes.length, 1);
      assert.match(notes[0]!, /no per-token log-probs/);
      assert.equal(b!.tokens, undefined);
      assert.deepEqual(b!.tokenIds, []);
    } finally {
      await srv.close();
    }
  });

  it("checks a chat choice's stop_reason: a string, a number or null, nothing else", async () => {
    const srv = await scriptedServer((r) =>
      r.path.endsWith("/models") ? MODELS : chatReply("5", { stop_reason: { evil: true } }),
    );
    try {
      const backend = await OpenAIBackend.open({ endpoint: srv.url, model: "m", api: "chat", ...fast });
      await assert.rejects(
        backend.generate([{ id: "x", prompt: "x", messages: MESSAGES, config: { temperature: 0, n: 1 } }], {
          maxNewTokens: 4,
        }),
        /: server reply: choices\[0\]\.stop_reason must be a string or a number or null \(got an object\) \(POST \S+\/chat\/completions, prompt x\)$/,
      );
    } finally {
      await srv.close();
    }
  });

  it("records content_filter as filtered and tool or function calls as other, not as a normal stop", async () => {
    const replies: Record<string, Reply> = {
      filtered: chatReply(null, { finish_reason: "content_filter" }),
      tools: chatReply(null, { finish_reason: "tool_calls" }),
      fn: chatReply("", { finish_reason: "function_call" }),
      plain: chatReply("5", { finish_reason: "stop" }),
    };
    const srv = await scriptedServer((r) => {
      if (r.path.endsWith("/models")) return MODELS;
      return replies[(r.body as { messages: ChatMessage[] }).messages.at(-1)!.content]!;
    });
    try {
      const backend = await OpenAIBackend.open({ endpoint: srv.url, model: "m", api: "chat", ...fast });
      const ask = (id: string) => ({
        id,
        prompt: id,
        messages: [{ role: "user" as const, content: id }],
        config: { temperature: 0, n: 1, stop: [] },
      });
      const out = await backend.generate(["filtered", "tools", "fn", "plain"].map(ask), { maxNewTokens: 8 });
      assert.deepEqual(
        out.map((c) => [c.requestId, c.finishReason]),
        [
          ["filtered", "filtered"],
          ["tools", "other"],
          ["fn", "other"],
          ["plain", "stop"],
        ],
      );
    } finally {
      await srv.close();
    }
  });

  it("a cut reply with a stop string before the cut is still recorded as truncated (its tokens are unknown)", async () => {
    const raw = `{"choices":[{"index":0,"text":"The answer is 5.\\nQ: ${"b".repeat(20_000)}"}]}`;
    const srv = await scriptedServer((r) =>
      r.path.endsWith("/models")
        ? MODELS
        : { status: 200, raw, headers: { "content-type": "application/json" } },
    );
    try {
      const backend = await OpenAIBackend.open({
        endpoint: srv.url,
        model: "m",
        maxCompletionBytes: 4096,
        ...fast,
      });
      const [c] = await backend.generate(
        [{ id: "x", prompt: "x", config: { temperature: 0, n: 1, stop: ["Q:"] } }],
        {
          maxNewTokens: 4,
        },
      );
      assert.equal(c!.text, "The answer is 5.\n");
      assert.equal(c!.finishReason, "truncated");
      assert.equal(c!.tokens, undefined);
    } finally {
      await srv.close();
    }
  });

  it("cuts a reply at a stop string the server left in its text (transformers serve keeps it)", async () => {
    const srv = await scriptedServer((r) =>
      r.path.endsWith("/models") ? MODELS : chatReply("2 + 3 = 5. The answer is 5.\nQ: next one"),
    );
    try {
      const backend = await OpenAIBackend.open({ endpoint: srv.url, model: "m", api: "chat", ...fast });
      const [c] = await backend.generate(
        [{ id: "x", prompt: "x", messages: MESSAGES, config: { temperature: 0, n: 1, stop: ["Q:"] } }],
        { maxNewTokens: 32 },
      );
      assert.equal(c!.text, "2 + 3 = 5. The answer is 5.\n");
      assert.equal(c!.finishReason, "stop");
    } finally {
      await srv.close();
    }
  });

  it("fails with one line naming the endpoint on a 200 without choices[0].message", async () => {
    const srv = await scriptedServer((r) =>
      r.path.endsWith("/models")
        ? MODELS
        : { status: 200, body: { choices: [{ index: 0, text: "a completion, not a chat" }] } },
    );
    try {
      const backend = await OpenAIBackend.open({
        endpoint: srv.url,
        model: "m",
        api: "chat",
        retry: { retries: 2 },
        ...fast,
      });
      await assert.rejects(
        backend.generate([{ id: "x", prompt: "x", messages: MESSAGES, config: { temperature: 0, n: 1 } }], {
          maxNewTokens: 4,
        }),
        /: server reply: choices\[0\]\.message is missing \(POST http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions, prompt x\)$/,
      );
    } finally {
      await srv.close();
    }
  });

  it("measures a chat prompt by its messages at /tokenize (vLLM's chat form)", async () => {
    const srv = await scriptedServer((r) =>
      r.path.endsWith("/models")
        ? MODELS
        : { status: 200, body: { count: 40, max_model_len: 2048, tokens: [] } },
    );
    try {
      const backend = await OpenAIBackend.open({ endpoint: srv.url, model: "m", api: "chat", ...fast });
      const fits = await backend.promptFits(["transcript"], [MESSAGES]);
      assert.deepEqual(fits, [{ tokens: 40, maxContext: 2048 }]);
      const body = srv.received.find((r) => r.path === "/tokenize")!.body as Record<string, unknown>;
      assert.deepEqual(body, { model: "m", messages: MESSAGES });
    } finally {
      await srv.close();
    }
  });
});
