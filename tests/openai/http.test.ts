import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EndpointError, requestJson, requestReply, ServerReplyError } from "../../src/openai/index.js";
import { okCompletion, scriptedServer } from "./scripted-server.js";

const fast = { sleep: async () => {}, random: () => 0.5 };

describe("requestJson against a real server on 127.0.0.1", () => {
  it("retries 429 and 503, honouring Retry-After, then returns the answer", async () => {
    const srv = await scriptedServer((_, i) =>
      i === 0
        ? { status: 429, body: { error: { message: "slow down" } }, headers: { "retry-after": "2" } }
        : i === 1
          ? { status: 503 }
          : okCompletion("ok"),
    );
    const delays: number[] = [];
    try {
      const body = (await requestJson(
        "POST",
        `${srv.url}/completions`,
        { a: 1 },
        {
          ...fast,
          policy: { baseDelayMs: 100, maxDelayMs: 10_000 },
          onRetry: (e) => delays.push(e.delayMs),
        },
      )) as { choices: Array<{ text: string }> };
      assert.equal(body.choices[0]!.text, "ok");
      assert.equal(srv.received.length, 3);
      assert.equal(delays.length, 2);
      assert.equal(delays[0], 2000, "Retry-After: 2 waits 2 s");
      assert.equal(delays[1], 100, "second backoff: half of base * 2 with random 0.5");
    } finally {
      await srv.close();
    }
  });

  it("gives up after the configured retries with the server's message, one line", async () => {
    const srv = await scriptedServer(() => ({ status: 500, body: { error: { message: "GPU\non fire" } } }));
    try {
      await assert.rejects(
        requestJson("POST", `${srv.url}/completions`, {}, { ...fast, policy: { retries: 3 } }),
        (err: unknown) => {
          assert.ok(err instanceof EndpointError);
          assert.equal(err.status, 500);
          assert.match(err.message, /HTTP 500: GPU on fire \(gave up after 4 attempts\)/);
          assert.doesNotMatch(err.message, /\n/);
          return true;
        },
      );
      assert.equal(srv.received.length, 4, "first attempt + 3 retries, no more");
    } finally {
      await srv.close();
    }
  });

  it("does not retry a 400: it cannot succeed as sent", async () => {
    const srv = await scriptedServer(() => ({
      status: 400,
      body: { error: { message: "prompt too long" } },
    }));
    try {
      await assert.rejects(
        requestJson("POST", `${srv.url}/completions`, {}, fast),
        /HTTP 400: prompt too long$/,
      );
      assert.equal(srv.received.length, 1);
    } finally {
      await srv.close();
    }
  });

  it("retries a slow answer (per-request timeout), a dropped connection and a truncated body", async () => {
    const srv = await scriptedServer((_, i) =>
      i === 0
        ? { delayMs: 400, reply: okCompletion("late") }
        : i === 1
          ? { drop: true }
          : i === 2
            ? { truncated: true }
            : okCompletion("fine"),
    );
    const reasons: string[] = [];
    try {
      const body = (await requestJson(
        "POST",
        `${srv.url}/completions`,
        {},
        {
          ...fast,
          policy: { timeoutMs: 100 },
          onRetry: (e) => reasons.push(e.reason),
        },
      )) as { choices: Array<{ text: string }> };
      assert.equal(body.choices[0]!.text, "fine");
      assert.equal(srv.received.length, 4);
      assert.match(reasons[0]!, /no complete answer within 100 ms/);
      // The read itself failed (fetch's "terminated"): a transport fault, not the server's JSON.
      assert.doesNotMatch(reasons[2]!, /not JSON/);
    } finally {
      await srv.close();
    }
  });

  it("does not retry a whole 200 body that starts as JSON but does not parse: a protocol error", async () => {
    const srv = await scriptedServer(() => ({
      status: 200,
      raw: '{"choices": [{"text": "hal',
      headers: { "content-type": "application/json" },
    }));
    try {
      await assert.rejects(
        requestJson("POST", `${srv.url}/completions`, {}, { ...fast, policy: { retries: 3 } }),
        (err: unknown) => {
          assert.ok(err instanceof ServerReplyError, String(err));
          assert.match(
            err.message,
            /^POST http:\/\/127\.0\.0\.1:\d+\/v1\/completions: server reply is not JSON: /,
          );
          return true;
        },
      );
      assert.equal(srv.received.length, 1, "asked once");
    } finally {
      await srv.close();
    }
  });

  it("reports the wait it takes: a huge Retry-After is capped, and the cap is what is reported", async () => {
    const srv = await scriptedServer((_, i) =>
      i === 0
        ? { status: 429, body: { error: { message: "busy" } }, headers: { "retry-after": "99999999" } }
        : okCompletion("ok"),
    );
    const slept: number[] = [];
    const reported: Array<{ delayMs: number; reason: string }> = [];
    try {
      await requestJson(
        "POST",
        `${srv.url}/completions`,
        {},
        {
          sleep: async (ms) => {
            slept.push(ms);
          },
          random: () => 0.5,
          policy: { maxDelayMs: 30_000 },
          onRetry: (e) => reported.push(e),
        },
      );
      assert.deepEqual(slept, [30_000], "the wait is capped at maxDelayMs");
      assert.equal(reported[0]!.delayMs, slept[0], "the wait reported is the wait taken");
      assert.match(reported[0]!.reason, /HTTP 429: busy \(Retry-After 99999999 s, capped\)$/);
    } finally {
      await srv.close();
    }
  });

  it("reads a body only up to maxBytes: requestReply returns the cut value marked truncated, requestJson refuses it", async () => {
    const sent = { bytes: 0 };
    const srv = await scriptedServer(() => ({ hugeText: 32 * 1024 * 1024, sent }));
    try {
      const reply = await requestReply("POST", `${srv.url}/completions`, {}, { ...fast, maxBytes: 10_000 });
      assert.equal(reply.truncated, true);
      const text = (reply.value as { choices: Array<{ text: string }> }).choices[0]!.text;
      assert.match(text, /^a+$/);
      assert.ok(text.length > 9_000 && text.length < 10_000, `${text.length} chars`);
      await assert.rejects(
        requestJson("POST", `${srv.url}/completions`, {}, { ...fast, maxBytes: 10_000 }),
        (err: unknown) =>
          err instanceof ServerReplyError && /server reply is longer than 10000 bytes/.test(err.message),
      );
      assert.ok(sent.bytes < 16 * 1024 * 1024, `the server wrote ${sent.bytes} bytes of 2 x 32 MiB`);
    } finally {
      await srv.close();
    }
  });

  it("sends the API key as a Bearer token", async () => {
    const srv = await scriptedServer(() => okCompletion("x"));
    try {
      await requestJson("POST", `${srv.url}/completions`, {}, { apiKey: "sk-test" });
      assert.equal(srv.received[0]!.headers.authorization, "Bearer sk-test");
    } finally {
      await srv.close();
    }
  });

  it("fails a refused connection after its retries (nothing listens)", async () => {
    const srv = await scriptedServer(() => okCompletion("x"));
    const url = srv.url;
    await srv.close();
    await assert.rejects(
      requestJson("GET", `${url}/models`, undefined, { ...fast, policy: { retries: 2 } }),
      (err: unknown) => err instanceof EndpointError && /gave up after 3 attempts/.test(err.message),
    );
  });
});
