import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { OpenAIBackend } from "../../src/openai/index.js";
import type { CompletionsResponse } from "../../src/openai/protocol.js";
import { OnnxBackend } from "../../src/runner/index.js";
import { scoreTokenBatch } from "../../src/runner/score.js";
import { type RunningServer, startServer } from "../../src/serve/index.js";
import { TINY } from "../runner/helpers.js";

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
type Json = any;

const PROMPTS = [
  "Question: Tom has 3 apples and buys 4 more.",
  "A box holds 8 crayons.",
  "Sam reads 6 pages",
];

async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${url}/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

describe("litmus serve with the phi-tiny test model on 127.0.0.1", () => {
  let backend: OnnxBackend;
  let server: RunningServer;

  before(async () => {
    backend = await OnnxBackend.open(TINY, { threads: 1 });
    server = await startServer(backend, { modelName: "phi-tiny", port: 0, apiKey: "k1" });
  });
  after(async () => {
    await server.close();
    await backend.close();
  });
  const auth = { authorization: "Bearer k1" };

  it("lists the model with its context window, and refuses requests without the key", async () => {
    const res = await fetch(`${server.url}/models`, { headers: auth });
    const body = (await res.json()) as { data: Array<{ id: string; max_model_len: number }> };
    assert.equal(body.data[0]!.id, "phi-tiny");
    assert.equal(body.data[0]!.max_model_len, backend.lm.maxContext);
    assert.equal((await fetch(`${server.url}/models`)).status, 401);
    const wrong = await post(
      server.url,
      { model: "phi-tiny", prompt: "x" },
      { authorization: "Bearer nope" },
    );
    assert.equal(wrong.status, 401);
  });

  it("gives the in-process runner's greedy completion and log-probs, exactly", async () => {
    const direct = await backend.generate([{ id: "d", prompt: PROMPTS[0]! }], {
      temperature: 0,
      maxNewTokens: 12,
    });
    const { status, json } = await post(
      server.url,
      { model: "phi-tiny", prompt: PROMPTS[0], max_tokens: 12, temperature: 0, logprobs: 0 },
      auth,
    );
    assert.equal(status, 200);
    const r = json as CompletionsResponse;
    assert.equal(r.choices[0]!.text, direct[0]!.text);
    assert.deepEqual(r.choices[0]!.logprobs!.token_logprobs, direct[0]!.logprobs);
    assert.equal(r.usage.completion_tokens, direct[0]!.tokenIds.length);
    assert.equal(r.usage.prompt_tokens, direct[0]!.promptTokens);
    assert.equal(r.choices[0]!.finish_reason, direct[0]!.finishReason === "length" ? "length" : "stop");
  });

  it("draws sample j of a request with seed s from seed s + j, as the runner does with those seeds", async () => {
    const { json } = await post(
      server.url,
      {
        model: "phi-tiny",
        prompt: PROMPTS[1],
        max_tokens: 10,
        temperature: 0.9,
        top_p: 0.9,
        n: 2,
        seed: 4242,
      },
      auth,
    );
    const direct = await backend.generate([{ id: "x", prompt: PROMPTS[1]!, seeds: [4242, 4243] }], {
      temperature: 0.9,
      topP: 0.9,
      maxNewTokens: 10,
      n: 2,
    });
    assert.deepEqual(
      (json as CompletionsResponse).choices.map((c) => c.text),
      direct.map((c) => c.text),
    );
    assert.notEqual(direct[0]!.text, direct[1]!.text, "two seeds, two samples");
  });

  it("echoes the prompt with its log-probs (first null) and code-point offsets", async () => {
    const prompt = "<|endoftext|>Prices: 5€ each, naïve — 12 apples";
    const { status, json } = await post(
      server.url,
      { model: "phi-tiny", prompt, max_tokens: 0, echo: true, logprobs: 1 },
      auth,
    );
    assert.equal(status, 200);
    const lp = (json as CompletionsResponse).choices[0]!.logprobs!;
    const ids = backend.lm.tokenizer.encode(prompt);
    assert.equal(ids[0], backend.lm.bosId, "the bos stand-in is the special token");
    assert.equal(lp.tokens.length, ids.length);
    assert.equal(lp.token_logprobs[0], null);
    const [scored] = await scoreTokenBatch(backend.lm, [
      { id: "s", context: ids.slice(0, 1), text: ids.slice(1) },
    ]);
    lp.token_logprobs.slice(1).forEach((v, i) => {
      assert.ok(Math.abs(v! - scored!.logprobs[i]!) < 1e-5);
    });
    // Offsets index the echoed text in code points: every token whose text is whole starts there.
    const chars = [...(json as CompletionsResponse).choices[0]!.text];
    assert.equal(chars.join(""), prompt);
    lp.tokens.forEach((t, i) => {
      if (!t.includes("\uFFFD"))
        assert.equal(chars.slice(lp.text_offset[i]!, lp.text_offset[i]! + [...t].length).join(""), t);
    });
  });

  it("batches concurrent requests into fewer model calls without changing any answer", async () => {
    const bodies = PROMPTS.flatMap((p) => [
      { model: "phi-tiny", prompt: p, max_tokens: 8, temperature: 0 },
      { model: "phi-tiny", prompt: p, max_tokens: 8, temperature: 1, seed: 9 },
    ]);
    const alone: string[] = [];
    for (const b of bodies) alone.push((await post(server.url, b, auth)).json.choices[0].text);
    const callsBefore = server.queue.stats.calls;
    const together = await Promise.all(bodies.map((b) => post(server.url, b, auth)));
    assert.deepEqual(
      together.map((r) => r.json.choices[0].text),
      alone,
    );
    const calls = server.queue.stats.calls - callsBefore;
    assert.ok(calls < bodies.length, `${bodies.length} requests took ${calls} model calls`);
  });

  it("answers bad requests with a 4xx naming the field, and keeps serving", async () => {
    const cases: Array<[unknown, number, RegExp]> = [
      [{ model: "other", prompt: "x" }, 404, /does not exist/],
      [{ model: "phi-tiny", prompt: "x", max_tokens: 0 }, 400, /max_tokens/],
      [{ model: "phi-tiny", prompt: 3 }, 400, /prompt must be/],
      [{ model: "phi-tiny", prompt: "x", stream: true }, 400, /stream/],
      [{ model: "phi-tiny", prompt: "x", top_p: 0 }, 400, /top_p/],
      [{ model: "phi-tiny", prompt: "word ".repeat(400) }, 400, /context window/],
      ["{not json", 400, /not valid JSON/],
    ];
    for (const [body, status, message] of cases) {
      const r = await post(server.url, body, auth);
      assert.equal(r.status, status, JSON.stringify(body).slice(0, 60));
      assert.match(r.json.error.message, message);
    }
    const unknown = await fetch(`${server.url}/embeddings`, { method: "POST", headers: auth });
    assert.equal(unknown.status, 404);
    const ok = await post(
      server.url,
      { model: "phi-tiny", prompt: "x", max_tokens: 2, temperature: 0 },
      auth,
    );
    assert.equal(ok.status, 200);
  });

  it("through the openai backend: same greedy completions and score log-probs as in-process", async () => {
    const client = await OpenAIBackend.open({
      endpoint: server.url,
      model: "phi-tiny",
      apiKey: "k1",
      bosText: "<|endoftext|>",
      concurrency: 4,
    });
    const requests = PROMPTS.map((prompt, i) => ({ id: `p${i}`, prompt }));
    const config = { temperature: 0, maxNewTokens: 10, stop: ["\n"] };
    const viaHttp = await client.generate(requests, config);
    const direct = await backend.generate(requests, config);
    // Texts are identical; log-probs agree to float32 noise (the server batched the prompts differently).
    assert.deepEqual(
      viaHttp.map((c) => [c.text, c.finishReason]),
      direct.map((c) => [c.text, c.finishReason]),
    );
    viaHttp.forEach((c, i) => {
      assert.equal(c.logprobs.length, direct[i]!.logprobs.length);
      c.logprobs.forEach((v, j) => {
        assert.ok(Math.abs(v - direct[i]!.logprobs[j]!) < 1e-4);
      });
    });
    const texts = PROMPTS.map((text, i) => ({ id: `s${i}`, text }));
    const scoredHttp = await client.score(texts);
    const scoredDirect = await backend.score(texts);
    scoredHttp.forEach((r, i) => {
      assert.equal(r.logprobs.length, scoredDirect[i]!.logprobs.length);
      r.logprobs.forEach((v, j) => {
        assert.ok(Math.abs(v - scoredDirect[i]!.logprobs[j]!) < 1e-4);
      });
    });
    const support = await client.scoringSupport();
    assert.equal(support.logprobs, null);
    assert.match(support.moments ?? "", /not the model's distribution/);
  });
});
