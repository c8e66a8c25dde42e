/**
 * The real CLI (`litmus audit --backend openai`, a child process) against a stub server on
 * 127.0.0.1 that breaks the protocol: every malformed reply gives one line naming the field and
 * exit 2; server text reaches the terminal without control characters; a reply past
 * --max-completion-bytes is cut and its completion recorded as truncated.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { oneLineError, runLitmus } from "../cli/run-litmus.js";
import { makeTempDir } from "../helpers/data-fixtures.js";
import { MODELS, okCompletion, type Reply, scriptedServer, servedAuditArgs } from "./scripted-server.js";

/** The audit's completions requests all get `reply`; the model listing and /tokenize are valid. */
async function auditAgainst(reply: Reply, dir: string, extra: string[] = [], retries = 0) {
  const srv = await scriptedServer((r) =>
    r.path.endsWith("/models") ? MODELS : r.path.endsWith("/tokenize") ? TOKENIZE : reply,
  );
  try {
    const result = await runLitmus(
      servedAuditArgs(srv.url, dir, { limit: 1, n: 0, maxNewTokens: 4 }, [
        "--retries",
        String(retries),
        ...extra,
      ]),
    );
    const prompts = srv.received
      .filter((r) => r.path.endsWith("/completions"))
      .map((r) => (r.body as { prompt: string }).prompt);
    return { result, requests: prompts.length, repeated: prompts.length - new Set(prompts).size };
  } finally {
    await srv.close();
  }
}

const TOKENIZE: Reply = { status: 200, body: { count: 50, max_model_len: 2048 } };

const logprobs = (lp: Record<string, unknown>) =>
  okCompletion(" 4", {
    logprobs: { tokens: [" ", "4"], token_logprobs: [-0.5, -0.1], text_offset: [0, 1], ...lp },
  });

/** A completions answer with its first choice replaced field by field. */
function withChoice(choice: Record<string, unknown>): Reply {
  const base = okCompletion("x") as { status: number; body: { choices: Array<Record<string, unknown>> } };
  return { status: 200, body: { ...base.body, choices: [{ ...base.body.choices[0], ...choice }] } };
}

const CASES: Array<[string, Reply, RegExp]> = [
  [
    "logprobs.tokens as a string",
    logprobs({ tokens: "abc" }),
    /^litmus: server reply: choices\[0\]\.logprobs\.tokens must be a list \(got "abc"\) \(POST http:\/\/127\.0\.0\.1:\d+\/v1\/completions, prompt \S+\)$/,
  ],
  [
    "token_logprobs as a number",
    logprobs({ token_logprobs: 7 }),
    /^litmus: server reply: choices\[0\]\.logprobs\.token_logprobs must be a list \(got 7\)/,
  ],
  [
    'token_logprobs ["x", {}]',
    logprobs({ token_logprobs: ["x", {}] }),
    /^litmus: server reply: choices\[0\]\.logprobs\.token_logprobs\[0\] must be a number or null \(got "x"\)/,
  ],
  [
    "token_logprobs [-0.5, {}]",
    logprobs({ token_logprobs: [-0.5, {}] }),
    /^litmus: server reply: choices\[0\]\.logprobs\.token_logprobs\[1\] must be a number or null \(got an object\)/,
  ],
  [
    "token_logprobs shorter than tokens",
    logprobs({ token_logprobs: [-0.5] }),
    /^litmus: server reply: choices\[0\]\.logprobs\.token_logprobs has 1 entries but choices\[0\]\.logprobs\.tokens has 2/,
  ],
  [
    "missing choices",
    { status: 200, body: { id: "x", object: "text_completion" } },
    /^litmus: server reply: choices is missing/,
  ],
  [
    "empty choices",
    { status: 200, body: { choices: [] } },
    /^litmus: server reply: choices must be a non-empty list/,
  ],
  [
    "a wrong index",
    withChoice({ index: 3 }),
    /^litmus: server reply: choices\[0\]\.index must be 0 \(got 3\)/,
  ],
  [
    "text not a string",
    withChoice({ text: 42 }),
    /^litmus: server reply: choices\[0\]\.text must be a string \(got 42\)/,
  ],
  [
    "an unknown finish_reason",
    withChoice({ finish_reason: "banana" }),
    /^litmus: server reply: choices\[0\]\.finish_reason must be one of stop, length, .* or null \(got "banana"\)/,
  ],
  [
    "a list body",
    { status: 200, body: [1, 2] },
    /^litmus: server reply: the body must be an object \(got a list\)/,
  ],
  [
    "a non-JSON body",
    { status: 200, raw: "hello from a proxy" },
    /^litmus: POST http:\/\/127\.0\.0\.1:\d+\/v1\/completions: server reply is not JSON: hello from a proxy$/,
  ],
  [
    "an HTML page with 200",
    {
      status: 200,
      raw: "<!DOCTYPE html><html><head><title>Sign in</title></head><body><form></form></body></html>",
    },
    /^litmus: POST \S+: server reply is not JSON: an HTML page: Sign in$/,
  ],
  [
    "an HTML error page (404)",
    { status: 404, raw: "<html><head><title>404 Not Found</title></head><body><h1>nginx</h1></body></html>" },
    /^litmus: prompt \S+: POST \S+: HTTP 404: an HTML page: 404 Not Found$/,
  ],
];

describe("litmus audit --backend openai against a server that breaks the protocol", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  before(async () => {
    tmp = await makeTempDir();
  });
  after(async () => {
    await tmp.cleanup();
  });

  CASES.forEach(([what, reply, message], i) => {
    it(`${what}: one line naming the field, exit 2, no retry`, async () => {
      const { result, repeated } = await auditAgainst(reply, join(tmp.dir, `case-${i}`));
      assert.equal(result.code, 2, result.stderr);
      const line = oneLineError(result);
      assert.ok(line !== null, `one line on stderr, got: ${result.stderr}`);
      assert.match(line, message);
      assert.equal(repeated, 0, "a broken reply is not retried: no prompt is sent twice");
    });
  });

  it("a whole 200 body that starts as JSON but does not parse: exit 2 at once, one line naming the endpoint, no retry", async () => {
    const { result, requests } = await auditAgainst(
      { status: 200, raw: '{"choices": [{"text": "hal', headers: { "content-type": "application/json" } },
      join(tmp.dir, "bad-json"),
      ["--concurrency", "1"],
      2,
    );
    assert.equal(result.code, 2, result.stderr);
    assert.equal(requests, 1, "asked once, though --retries 2 allows more");
    const line = oneLineError(result);
    assert.ok(line !== null, `one line on stderr, got: ${result.stderr}`);
    assert.match(
      line,
      /^litmus: POST http:\/\/127\.0\.0\.1:\d+\/v1\/completions: server reply is not JSON: \{"choices": \[\{"text": "hal$/,
    );
  });

  it("strips ANSI escapes, C1 controls and bidi overrides from a server's error message", async () => {
    const hostile = "\x1b[31mred\x1b[0m \x1b]0;pwned\x07title \u202Eevil\u202C \x9b2Jclear\r\nnext \x07bell";
    const { result } = await auditAgainst(
      { status: 400, body: { error: { message: hostile, type: "invalid_request_error" } } },
      join(tmp.dir, "ansi"),
    );
    assert.equal(result.code, 2, result.stderr);
    const line = oneLineError(result);
    assert.ok(line !== null, result.stderr);
    assert.match(line, /HTTP 400: red title evil clear next bell$/);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is that none is left
    assert.doesNotMatch(result.stderr, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
  });

  it("cuts a reply at --max-completion-bytes: the text up to the cut, finish_reason truncated, the rest unread", async () => {
    const sent = { bytes: 0 };
    const total = 64 * 1024 * 1024;
    const dir = join(tmp.dir, "huge");
    const { result, requests } = await auditAgainst({ hugeText: total, sent }, dir, [
      "--max-completion-bytes",
      "65536",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const samples = readFileSync(join(dir, "samples.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { finish_reason: string; text?: string; completion?: string });
    assert.equal(samples.length, requests, "one stored completion per request");
    for (const s of samples) {
      assert.equal(s.finish_reason, "truncated");
      const text = s.text ?? s.completion ?? "";
      assert.match(text, /^a+$/);
      assert.ok(
        text.length > 60_000 && text.length < 65536,
        `text of ${text.length} chars, cut before 64 KiB`,
      );
    }
    const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8"));
    assert.equal(summary.counts.finish_reasons.truncated, requests);
    assert.ok(
      sent.bytes < (total * requests) / 4,
      `the client stopped reading: the server wrote ${sent.bytes} of ${total * requests} bytes`,
    );
  });

  it("one reply cut at --max-completion-bytes leaves every other prompt's CDD figures as they were, in tokens", async () => {
    // Tokens one character each: a sample one character off a 25-character greedy is near in
    // tokens (1 <= 0.05 x 25) and a whole word off in words, so measuring in words would show.
    const greedyText = "a".repeat(25);
    const sampleText = `${"a".repeat(24)}b`;
    const withTokens = (text: string) =>
      okCompletion(text, {
        logprobs: {
          tokens: [...text],
          token_logprobs: [...text].map(() => -0.1),
          text_offset: [...text].map((_, i) => i),
        },
      });
    const audit = async (dir: string, cutOne: boolean) => {
      let cutDone = false;
      const srv = await scriptedServer((r) => {
        if (r.path.endsWith("/models")) return MODELS;
        if (r.path.endsWith("/tokenize")) return TOKENIZE;
        const body = r.body as { prompt: string; seed?: number; echo?: boolean };
        // Scoring: no prompt log-probs, so the likelihood detectors are "not available".
        if (body.echo) return okCompletion("x");
        if (body.seed === undefined) return withTokens(greedyText);
        // One sampled reply (whichever is asked first) past the cap.
        if (cutOne && !cutDone) {
          cutDone = true;
          return { hugeText: 200_000, sent: { bytes: 0 } };
        }
        return withTokens(sampleText);
      });
      try {
        const result = await runLitmus(
          servedAuditArgs(srv.url, dir, { limit: 3, n: 3, maxNewTokens: 4 }, [
            "--detectors",
            "--max-completion-bytes",
            "65536",
          ]),
        );
        assert.equal(result.code, 0, result.stderr);
      } finally {
        await srv.close();
      }
      const samples = readFileSync(join(dir, "samples.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map(
          (l) => JSON.parse(l) as { problem_id: string; variant_id: string | null; finish_reason: string },
        );
      return { summary: JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")), samples };
    };
    const whole = await audit(join(tmp.dir, "cdd-whole"), false);
    const cut = await audit(join(tmp.dir, "cdd-cut"), true);
    const truncated = cut.samples.filter((s) => s.finish_reason === "truncated");
    assert.equal(truncated.length, 1);
    assert.equal(cut.summary.counts.finish_reasons.truncated, 1);
    const { problem_id: cutProblem, variant_id: cutVariant } = truncated[0]!;
    const d0 = whole.summary.detectors;
    const d1 = cut.summary.detectors;
    assert.equal(d0.settings.cdd.units, "tokens");
    assert.equal(d1.settings.cdd.units, "tokens");
    assert.equal(d0.cdd.truncated_left_out, 0);
    assert.equal(d1.cdd.truncated_left_out, 1);
    assert.equal(d0.problems.length, 3);
    type P = {
      problem_id: string;
      cdd_original: { distances: number[] } | null;
      cdd_variant_mean: number | null;
    };
    let compared = 0;
    for (const [i, p0] of (d0.problems as P[]).entries()) {
      const p1 = (d1.problems as P[])[i]!;
      assert.equal(p1.problem_id, p0.problem_id);
      // Every sample is one token off the greedy: near, in tokens.
      assert.deepEqual(p0.cdd_original!.distances, [1, 1, 1]);
      if (!(p0.problem_id === cutProblem && cutVariant === null)) {
        assert.deepEqual(p1.cdd_original, p0.cdd_original, `${p0.problem_id} original`);
        compared++;
      } else assert.deepEqual(p1.cdd_original!.distances, [1, 1], "the cut sample is left out");
      if (!(p0.problem_id === cutProblem && cutVariant !== null)) {
        assert.equal(p1.cdd_variant_mean, p0.cdd_variant_mean, `${p0.problem_id} variants`);
        compared++;
      }
    }
    assert.equal(compared, 5, "every prompt but the cut one compared");
  });
});
