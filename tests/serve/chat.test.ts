/**
 * `litmus serve`'s `/v1/chat/completions` with the phi-tiny test model on 127.0.0.1: a chat is
 * its rendered prompt run as a completion (the plain transcript for a model without a template,
 * the template otherwise), with log-probs in the chat shape and 400s naming the field.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { compileChatTemplate } from "../../src/prompts/index.js";
import { OnnxBackend } from "../../src/runner/index.js";
import { INLINE_BODY_BYTES } from "../../src/serve/bodies.js";
import { type RunningServer, startServer } from "../../src/serve/index.js";
import { TINY } from "../runner/helpers.js";

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
type Json = any;

const CHATML = fileURLToPath(new URL("../../../tests/fixtures/chat-templates/chatml.jinja", import.meta.url));

const MESSAGES = [
  { role: "system" as const, content: "Be brief." },
  { role: "user" as const, content: "Question: Tom has 3 apples and buys 4 more.\nAnswer:" },
];

async function post(url: string, path: string, body: unknown): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

/**
 * POSTs `body` (already encoded: the client's own work is not the server's stall) and, while it
 * is in flight, asks GET /health over and over; the latencies of those probes, and the largest
 * event-loop delay of this process (the server's), while it ran.
 */
async function withHealthProbes(
  url: string,
  path: string,
  body: string,
): Promise<{ status: number; json: Json; ms: number; probeMs: number[]; loopMaxMs: number }> {
  const base = url.replace(/\/v1$/, "");
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const t0 = performance.now();
  let done = false;
  const answer = fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  })
    .then(async (res) => ({
      status: res.status,
      json: (await res.json()) as Json,
      ms: performance.now() - t0,
    }))
    .finally(() => {
      done = true;
    });
  const probeMs: number[] = [];
  while (!done) {
    const started = performance.now();
    const res = await fetch(`${base}/health`);
    await res.arrayBuffer();
    assert.equal(res.status, 200);
    probeMs.push(performance.now() - started);
    await new Promise((r) => setTimeout(r, 10));
  }
  const result = await answer;
  loop.disable();
  return { ...result, probeMs, loopMaxMs: loop.max / 1e6 };
}

describe("litmus serve /v1/chat/completions", () => {
  let backend: OnnxBackend;
  let plain: RunningServer;
  let templated: RunningServer;

  before(async () => {
    backend = await OnnxBackend.open(TINY, { threads: 1 });
    plain = await startServer(backend, { modelName: "tiny", port: 0 });
    templated = await startServer(backend, {
      modelName: "tiny",
      port: 0,
      chatTemplate: compileChatTemplate(readFileSync(CHATML, "utf8"), CHATML),
    });
  });
  after(async () => {
    await plain.close();
    await templated.close();
    await backend.close();
  });

  const greedy = { model: "tiny", max_tokens: 12, temperature: 0 };

  it("without a template: the chat is the completion of its System:/User:/Assistant: transcript", async () => {
    const chat = await post(plain.url, "/chat/completions", {
      ...greedy,
      messages: MESSAGES,
      logprobs: true,
    });
    // The transcript written out by hand from the documented fallback.
    const prompt =
      "System: Be brief.\n\nUser: Question: Tom has 3 apples and buys 4 more.\nAnswer:\n\nAssistant:";
    const completion = await post(plain.url, "/completions", { ...greedy, prompt, logprobs: 1 });
    assert.equal(chat.status, 200);
    assert.equal(chat.json.object, "chat.completion");
    const choice = chat.json.choices[0];
    assert.equal(choice.message.role, "assistant");
    assert.equal(choice.message.content, completion.json.choices[0].text);
    assert.equal(choice.finish_reason, completion.json.choices[0].finish_reason);
    assert.deepEqual(
      choice.logprobs.content.map((t: Json) => [t.token, t.logprob]),
      completion.json.choices[0].logprobs.tokens.map((t: string, i: number) => [
        t,
        completion.json.choices[0].logprobs.token_logprobs[i],
      ]),
    );
    assert.equal(chat.json.usage.prompt_tokens, completion.json.usage.prompt_tokens);
  });

  it("with a template: the rendered template is the prompt (counted the same at /tokenize)", async () => {
    const prompt =
      "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nQuestion: Tom has 3 apples and buys 4 more.\nAnswer:<|im_end|>\n<|im_start|>assistant\n";
    const chat = await post(templated.url, "/chat/completions", { ...greedy, messages: MESSAGES });
    const completion = await post(templated.url, "/completions", { ...greedy, prompt });
    assert.equal(chat.json.choices[0].message.content, completion.json.choices[0].text);
    assert.equal(chat.json.choices[0].logprobs, null, "no log-probs unless asked");
    const base = templated.url.replace(/\/v1$/, "");
    const byMessages = await post(base, "/tokenize", { model: "tiny", messages: MESSAGES });
    const byPrompt = await post(base, "/tokenize", { model: "tiny", prompt });
    assert.equal(byMessages.status, 200);
    assert.deepEqual(byMessages.json.tokens, byPrompt.json.tokens);
  });

  it("seeded samples equal the completions endpoint's for the same seed", async () => {
    const sampled = { model: "tiny", max_tokens: 10, temperature: 0.9, seed: 1234, n: 2 };
    const chat = await post(templated.url, "/chat/completions", { ...sampled, messages: MESSAGES });
    const completion = await post(templated.url, "/completions", {
      ...sampled,
      prompt:
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nQuestion: Tom has 3 apples and buys 4 more.\nAnswer:<|im_end|>\n<|im_start|>assistant\n",
    });
    const texts = chat.json.choices.map((c: Json) => c.message.content);
    assert.equal(texts.length, 2);
    assert.deepEqual(
      texts,
      completion.json.choices.map((c: Json) => c.text),
    );
  });

  it("refuses 200,000 messages (16 MB) with a 400 naming --max-messages before rendering: /health answered within 1 s meanwhile", async (t) => {
    // Some 79 bytes each: 15.8 MB, under the default --max-body-bytes (16 MiB).
    const messages = Array.from({ length: 200_000 }, (_, i) => ({
      role: "user",
      content: `message ${i} `.padEnd(50, "x"),
    }));
    for (const [path, url] of [
      ["/chat/completions", templated.url],
      ["/tokenize", templated.url.replace(/\/v1$/, "")],
    ] as const) {
      const body = JSON.stringify({ ...greedy, messages });
      assert.ok(body.length > 15_000_000 && body.length < 16 * 1024 * 1024, `${body.length} bytes`);
      const r = await withHealthProbes(url, path, body);
      t.diagnostic(
        `${path}: 400 in ${r.ms.toFixed(0)} ms; ${r.probeMs.length} /health probes, worst ${Math.max(...r.probeMs).toFixed(0)} ms; loop delay max ${r.loopMaxMs.toFixed(0)} ms`,
      );
      assert.equal(r.status, 400, `${path}: ${JSON.stringify(r.json)}`);
      assert.equal(
        r.json.error.message,
        "messages: 200000 messages is over the limit of 1024 per request (--max-messages)",
      );
      assert.equal(r.json.error.param, "messages");
      assert.equal(r.json.error.type, "invalid_request_error");
      assert.ok(r.probeMs.length > 0, "a probe ran while the request was in flight");
      assert.ok(
        Math.max(...r.probeMs) < 1000,
        `${path}: /health latencies ${r.probeMs.map((m) => m.toFixed(0)).join(", ")} ms, all under 1000 (loop delay max ${r.loopMaxMs.toFixed(0)} ms; answered in ${r.ms.toFixed(0)} ms)`,
      );
      assert.ok(r.ms < 5000, `${path}: answered in ${r.ms.toFixed(0)} ms`);
    }
  });

  it("a chat whose text cannot fit the context: 400 at /v1/chat/completions, a count past max_model_len at /tokenize, unrendered", async () => {
    // phi-tiny's context is 128 tokens: past 128 x 64 = 8192 characters no tokenizer fits it.
    const long = [{ role: "user", content: "y".repeat(8193) }];
    let renders = 0;
    const chatml = compileChatTemplate(readFileSync(CHATML, "utf8"), CHATML);
    const counting = await startServer(backend, {
      modelName: "tiny",
      port: 0,
      chatTemplate: {
        ...chatml,
        render: (m) => {
          renders++;
          return chatml.render(m);
        },
      },
    });
    try {
      const chat = await post(counting.url, "/chat/completions", { ...greedy, messages: long });
      assert.equal(chat.status, 400);
      assert.match(
        chat.json.error.message,
        /^messages: 8193 characters cannot fit the model's context of 128 tokens \(at most 64 characters a token: 8192 characters\)$/,
      );
      const counted = await post(counting.url.replace(/\/v1$/, ""), "/tokenize", {
        model: "tiny",
        messages: long,
      });
      assert.equal(counted.status, 200);
      assert.equal(counted.json.tokens, null);
      assert.equal(counted.json.max_model_len, 128);
      assert.ok(counted.json.count > 128, `count ${counted.json.count}`);
      assert.equal(renders, 0, "neither was rendered");
      // Just under the bound: rendered, and measured by the tokenizer.
      const fits = await post(counting.url.replace(/\/v1$/, ""), "/tokenize", {
        model: "tiny",
        messages: [{ role: "user", content: "y".repeat(8192) }],
      });
      assert.equal(fits.status, 200);
      assert.equal(renders, 1);
    } finally {
      await counting.close();
    }
  });

  it("answers a bad chat with 400 naming the field", async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ ...greedy, messages: [] }, /messages must be a non-empty list/],
      [{ ...greedy, messages: [{ role: "robot", content: "x" }] }, /messages\[0\]\.role/],
      [{ ...greedy, messages: [{ role: "user", content: 5 }] }, /messages\[0\]\.content/],
      [{ ...greedy, messages: MESSAGES, logprobs: 1 }, /logprobs must be a boolean/],
      [{ ...greedy, messages: MESSAGES, temperature: -1 }, /temperature/],
    ];
    for (const [body, message] of cases) {
      const r = await post(plain.url, "/chat/completions", body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.json.error.message, message);
    }
    const list = await post(plain.url, "/chat/completions", {
      ...greedy,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Hi " },
            { type: "text", text: "there" },
          ],
        },
      ],
    });
    assert.equal(list.status, 200, "text content parts are joined");
  });

  it("reads a body over INLINE_BODY_BYTES in the body worker and answers it as the same body inline", async () => {
    // Servers ignore unknown fields: padding moves a request to the body worker, nothing else.
    const padding = "x".repeat(INLINE_BODY_BYTES + 1024);
    const same = (r: { status: number; json: Json }) => {
      const { id: _id, created: _created, ...rest } = r.json;
      return { status: r.status, ...rest };
    };
    const sampled = { model: "tiny", max_tokens: 6, temperature: 1, seed: 7, n: 3 };
    const requests: Array<[string, Record<string, unknown>]> = [
      [
        "/completions",
        { ...sampled, prompt: ["Question: 2 + 2?", "Question: 3 + 5?"], logprobs: 1, echo: true },
      ],
      ["/chat/completions", { ...sampled, messages: MESSAGES, logprobs: true }],
      ["/../tokenize", { model: "tiny", messages: MESSAGES }],
      ["/../tokenize", { model: "tiny", prompt: "Question: Tom has 3 apples. ".repeat(40) }],
      // Refusals: the same status and message.
      ["/completions", { ...sampled, prompt: "Tom has 3 apples. ".repeat(200) }],
      ["/completions", { ...sampled, model: "other", prompt: "x" }],
      ["/chat/completions", { ...sampled, messages: [{ role: "robot", content: "x" }] }],
      ["/completions", { ...sampled, prompt: Array.from({ length: 300 }, () => "x") }],
    ];
    for (const [path, body] of requests) {
      const inline = await post(templated.url, path, body);
      const worker = await post(templated.url, path, { ...body, padding });
      assert.deepEqual(same(worker), same(inline), `${path} ${JSON.stringify(body).slice(0, 80)}`);
    }
    // Each refusal above was one (not a 200 twice by mistake), and a chat went through the template.
    const statuses = [];
    for (const [path, body] of requests)
      statuses.push((await post(templated.url, path, { ...body, padding })).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 400, 404, 400, 400]);
    // The worker renders the chat by the server's template: the tokens of the rendered text.
    const rendered = compileChatTemplate(readFileSync(CHATML, "utf8"), CHATML).render(MESSAGES);
    const viaWorker = await post(templated.url, "/../tokenize", {
      model: "tiny",
      messages: MESSAGES,
      padding,
    });
    const ofText = await post(templated.url, "/../tokenize", { model: "tiny", prompt: rendered });
    assert.ok(rendered.includes("<|im_start|>"));
    assert.ok(viaWorker.json.tokens.length > 0);
    assert.deepEqual(viaWorker.json.tokens, ofText.json.tokens);

    const broken = await fetch(`${templated.url}/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"model": "tiny", "prompt": "${padding}"`,
    });
    assert.equal(broken.status, 400);
    assert.match(((await broken.json()) as Json).error.message, /not valid JSON/);
  });
});
