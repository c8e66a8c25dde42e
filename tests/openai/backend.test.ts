import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { computeDetectorScores } from "../../src/detectors/index.js";
import { OpenAIBackend } from "../../src/openai/index.js";
import type { Problem } from "../../src/types/index.js";
import { InputError } from "../../src/util/errors.js";
import { deriveSeed } from "../../src/util/rng.js";
import { MODELS, okCompletion, type Received, scriptedServer } from "./scripted-server.js";

const fast = { sleep: async () => {}, random: () => 0 };

function completionsOnly(received: Received[]): Array<Record<string, unknown>> {
  return received
    .filter((r) => r.path.endsWith("/completions"))
    .map((r) => r.body as Record<string, unknown>);
}

describe("OpenAIBackend", () => {
  it("reads log-probs in the chat dialect (llama.cpp's completions): tokens and log-probs kept, scoring not available", async () => {
    const chatDialect = {
      content: [
        { token: " 4", logprob: -0.25 },
        { token: "2", logprob: -1.5 },
      ],
    };
    const srv = await scriptedServer((r) =>
      r.path.endsWith("/models") ? MODELS : okCompletion(" 42", { logprobs: chatDialect }),
    );
    try {
      const backend = await OpenAIBackend.open({ endpoint: srv.url, model: "m", ...fast });
      const [c] = await backend.generate([{ id: "g", prompt: "Q", config: { temperature: 0 } }]);
      assert.deepEqual(c!.tokens, [" 4", "2"]);
      assert.deepEqual(c!.logprobs, [-0.25, -1.5]);
      const support = await backend.scoringSupport();
      assert.match(support.logprobs ?? "", /no prompt log-probs/);
    } finally {
      await srv.close();
    }
  });

  it("asks one request per sample with its derived seed, greedy without seed, only the samples asked", async () => {
    const srv = await scriptedServer((r) =>
      r.path.endsWith("/models") ? MODELS : okCompletion(" 42", { stop_reason: "\nQuestion:" }),
    );
    try {
      const backend = await OpenAIBackend.open({
        endpoint: `${srv.url}/`,
        model: "m",
        concurrency: 3,
        ...fast,
      });
      const out = await backend.generate(
        [
          { id: "g", prompt: "Q1", config: { temperature: 0, n: 1, stop: ["\nQuestion:"] } },
          { id: "s", prompt: "Q2", config: { n: 4 }, samples: [1, 3] },
        ],
        { seed: 7, temperature: 0.8, topP: 0.95, topK: 40, maxNewTokens: 32 },
      );
      const bodies = completionsOnly(srv.received);
      assert.equal(bodies.length, 3, "1 greedy + the 2 missing samples");
      const greedy = bodies.find((b) => b["prompt"] === "Q1")!;
      assert.equal(greedy["temperature"], 0);
      assert.equal(greedy["seed"], undefined);
      assert.deepEqual(greedy["stop"], ["\nQuestion:"]);
      assert.equal(greedy["max_tokens"], 32);
      const sampled = bodies.filter((b) => b["prompt"] === "Q2");
      assert.deepEqual(
        sampled.map((b) => b["seed"]).sort(),
        [deriveSeed(7, "s", 1), deriveSeed(7, "s", 3)].sort(),
      );
      for (const b of sampled) {
        assert.equal(b["n"], 1);
        assert.equal(b["top_p"], 0.95);
        assert.equal(b["top_k"], 40);
        assert.equal(b["temperature"], 0.8);
      }
      assert.deepEqual(
        out.map((c) => [c.requestId, c.sampleIndex, c.finishReason, c.text]),
        [
          ["g", 0, "stop", " 42"],
          ["s", 1, "stop", " 42"],
          ["s", 3, "stop", " 42"],
        ],
      );
      assert.equal(out[1]!.seed, deriveSeed(7, "s", 1));
      assert.equal(out[0]!.promptTokens, 3);
    } finally {
      await srv.close();
    }
  });

  it("a reply cut at --max-completion-bytes: prompt tokens 0 (its usage, unchecked, is not read), finish reason truncated", async () => {
    // usage first, with a value no checked reply could carry, then a text past the cap.
    const raw = `{"usage":{"prompt_tokens":"lots"},"choices":[{"index":0,"text":"${"a".repeat(20_000)}"}]}`;
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
        [{ id: "x", prompt: "x", config: { temperature: 0, n: 1, stop: [] } }],
        {
          maxNewTokens: 4,
        },
      );
      assert.equal(c!.finishReason, "truncated");
      assert.match(c!.text, /^a{3000,4096}$/);
      assert.equal(c!.promptTokens, 0);
      assert.equal(c!.tokens, undefined);
    } finally {
      await srv.close();
    }
  });

  it("sends at most 4 stop strings (OpenAI's and TGI's limit) and cuts at the others itself", async () => {
    const stops = ["Question:", "\nQ:", "\nExercise", "\n\n\n", "<|endoftext|>", "</s>"];
    const srv = await scriptedServer((r) => {
      if (r.path.endsWith("/models")) return MODELS;
      const prompt = (r.body as { prompt: string }).prompt;
      // A server that honours only what it was sent: the text runs on past the 5th and 6th stops.
      return okCompletion(prompt === "A" ? " 42 is it.<|endoftext|> more" : " 7</s>x<|endoftext|>", {
        stop_reason: null,
      });
    });
    try {
      const backend = await OpenAIBackend.open({ endpoint: `${srv.url}/`, model: "m", ...fast });
      const out = await backend.generate(
        [
          { id: "a", prompt: "A" },
          { id: "b", prompt: "B" },
        ],
        { temperature: 0, stop: stops, maxNewTokens: 8 },
      );
      for (const b of completionsOnly(srv.received)) assert.deepEqual(b["stop"], stops.slice(0, 4));
      assert.deepEqual(
        out.map((c) => [c.text, c.finishReason]),
        [
          [" 42 is it.", "stop"],
          [" 7", "stop"],
        ],
      );
    } finally {
      await srv.close();
    }
  });

  it("keeps at most `concurrency` requests in flight", async () => {
    let inFlight = 0;
    let peak = 0;
    const srv = await scriptedServer((r) => {
      if (r.path.endsWith("/models")) return MODELS;
      inFlight++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => inFlight--, 30);
      return { delayMs: 30, reply: okCompletion("x") };
    });
    try {
      const backend = await OpenAIBackend.open({ endpoint: srv.url, model: "m", concurrency: 4, ...fast });
      const out = await backend.generate([{ id: "a", prompt: "p", config: { n: 12 } }], { temperature: 1 });
      assert.equal(out.length, 12);
      assert.ok(peak <= 4 && peak >= 2, `peak in flight ${peak}`);
    } finally {
      await srv.close();
    }
  });

  it("refuses a model the server does not serve, and turns a 400 into an input error", async () => {
    const srv = await scriptedServer((r) =>
      r.path.endsWith("/models")
        ? MODELS
        : { status: 400, body: { error: { message: "This model's maximum context length is 2048 tokens" } } },
    );
    try {
      await assert.rejects(
        OpenAIBackend.open({ endpoint: srv.url, model: "other", ...fast }),
        /--model-name other is not served by .* \(it serves: m\)/,
      );
      const backend = await OpenAIBackend.open({ endpoint: srv.url, model: "m", ...fast });
      await assert.rejects(backend.generate([{ id: "p1", prompt: "long" }]), (err: unknown) => {
        assert.ok(err instanceof InputError);
        assert.match(err.message, /^prompt p1: POST .* HTTP 400: This model's maximum context length/);
        return true;
      });
    } finally {
      await srv.close();
    }
  });

  it("measures prompts with the server's /tokenize; a server without one measures nothing", async () => {
    const withTokenize = await scriptedServer((r) => {
      if (r.path.endsWith("/models")) return MODELS;
      if (r.path === "/tokenize") {
        const prompt = (r.body as { prompt: string }).prompt;
        return { status: 200, body: { count: prompt.split(" ").length, max_model_len: 8, tokens: [] } };
      }
      return { status: 500, body: {} };
    });
    const without = await scriptedServer((r) =>
      r.path.endsWith("/models") ? MODELS : { status: 404, body: {} },
    );
    try {
      const a = await OpenAIBackend.open({ endpoint: withTokenize.url, model: "m", ...fast });
      assert.deepEqual(await a.promptFits(["one two three", "a b c d e f g h i"]), [
        { tokens: 3, maxContext: 8 },
        { tokens: 9, maxContext: 8 },
      ]);
      assert.ok(withTokenize.received.some((r) => r.path === "/tokenize"));
      const b = await OpenAIBackend.open({ endpoint: without.url, model: "m", ...fast });
      assert.deepEqual(await b.promptFits(["x", "y"]), [null, null]);
    } finally {
      await withTokenize.close();
      await without.close();
    }
  });

  it("says scoring is not available when the server echoes no prompt log-probs, and the detectors say so", async () => {
    // Like llama.cpp's server: logprobs only for the generated token.
    const srv = await scriptedServer((r) => {
      if (r.path.endsWith("/models")) return MODELS;
      const body = r.body as { prompt: string };
      const n = [...body.prompt].length;
      return okCompletion(`${body.prompt} x`, {
        logprobs: { tokens: [" x"], token_logprobs: [-0.5], top_logprobs: null, text_offset: [n] },
      });
    });
    try {
      const backend = await OpenAIBackend.open({ endpoint: srv.url, model: "m", ...fast });
      const support = await backend.scoringSupport();
      assert.match(support.logprobs ?? "", /no prompt log-probs/);
      const problem: Problem = {
        id: "made-up:1",
        source: "made-up",
        line: 1,
        question: "A pen costs $2. How much do 3 pens cost?",
        answer: "3 * 2 = <<3*2=6>>6\n#### 6",
        finalAnswer: "6",
        hash: "h",
      };
      const report = await computeDetectorScores(
        { problems: [problem], variants: [], completions: [] },
        backend,
        {
          resamples: 10,
        },
      );
      assert.equal(report.likelihood, null);
      assert.match(report.unavailable["min_k"] ?? "", /no prompt log-probs/);
      assert.match(report.unavailable["neighbourhood_gap"] ?? "", /no prompt log-probs/);
    } finally {
      await srv.close();
    }
  });

  it("scores the text after the prefix from echoed offsets, dropping the bos stand-in", async () => {
    const srv = await scriptedServer((r) => {
      if (r.path.endsWith("/models")) return MODELS;
      // "<B>" + "ab cd": tokens <B> | ab | " cd" | (generated) " x"
      return okCompletion("<B>ab cd x", {
        logprobs: {
          tokens: ["<B>", "ab", " cd", " x"],
          token_logprobs: [null, -1, -2, -3],
          top_logprobs: null,
          text_offset: [0, 3, 5, 8],
        },
      });
    });
    try {
      const backend = await OpenAIBackend.open({ endpoint: srv.url, model: "m", bosText: "<B>", ...fast });
      const [r] = await backend.score([{ id: "t", text: "ab cd" }]);
      assert.deepEqual(r!.logprobs, [-1, -2]);
      assert.equal(r!.tokenIds.length, 2);
      assert.equal(r!.meanLogprob, undefined, "no distribution moments over the API");
      const sent = completionsOnly(srv.received).at(-1)!;
      assert.equal(sent["prompt"], "<B>ab cd");
      assert.equal(sent["echo"], true);
    } finally {
      await srv.close();
    }
  });
});
