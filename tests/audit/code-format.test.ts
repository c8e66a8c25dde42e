import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { answerOfResult, solutionProgram } from "../../src/audit/code-answer.js";
import { runAudit } from "../../src/audit/run.js";
import { BUILTIN_FORMATS, specFromJson } from "../../src/prompts/index.js";
import type { Backend, Completion, GenerateRequest, GenerationConfig } from "../../src/runner/types.js";
import { SqliteRunStore } from "../../src/store/index.js";
import type { CompletionRecord } from "../../src/types/audit.js";
import { makeTempDir, writeFixture } from "../helpers/data-fixtures.js";
import { auditOptions, MADE_UP, madeUpJsonl, mockDeps, summaryWithoutTimes } from "./helpers.js";

/**
 * Completions (bodies of `solution()`) by the original problem a prompt asks, one per behaviour.
 * Samples are the same program as the greedy completion, except for the slow failures (a timeout
 * or a host command costs a worker restart), whose samples return no number.
 */
const PROGRAMS: Record<string, string> = {
  // Tom: 3 + 4 = 7, right; the fence and the ramble after it are cut at the stop strings.
  Tom: "    apples = 3\n    apples += 4\n    return apples\n```\nQuestion: more",
  // Maria: 5 * 2 = 10, but the program says 15 (wrong).
  Maria: "    return 5 * 3\n```",
  // Sam: never returns.
  Sam: "    while True:\n        pass\n```",
  // Lena: tries to run a host command.
  Lena: "    import os\n    return os.system('echo hi')\n```",
  // Jake: raises.
  Jake: "    raise ValueError('no crayons')\n```",
  // Nina: (2 + 3) * 5 = 25 as a Fraction, right.
  Nina: "    from fractions import Fraction\n    return Fraction(50, 2)\n\ndef helper():\n    return 0",
};

class CodeBackend implements Backend {
  readonly id = "mock:code";
  completions = 0;
  async generate(requests: GenerateRequest[], base: Partial<GenerationConfig> = {}): Promise<Completion[]> {
    const out: Completion[] = [];
    for (const r of requests) {
      const c = { ...base, ...r.config };
      const key = Object.keys(PROGRAMS).find((name) => r.prompt.includes(`${name} `)) ?? "Tom";
      for (let j = 0; j < (c.n ?? 1); j++) {
        out.push({
          requestId: r.id,
          sampleIndex: j,
          text:
            c.temperature !== 0 && (key === "Sam" || key === "Lena")
              ? "    return None\n```"
              : (PROGRAMS[key] as string),
          tokenIds: [1, 2, 3],
          logprobs: [0, 0, 0],
          finishReason: "stop",
          promptTokens: 10,
          seed: c.temperature === 0 ? null : 1000 + j,
        });
        this.completions++;
      }
    }
    return out;
  }
  async score(): Promise<never> {
    throw new Error("not used");
  }
  async close(): Promise<void> {}
}

describe("the code format (program of thought)", () => {
  it("is a built-in format marked as answered by code", () => {
    const spec = BUILTIN_FORMATS.get("code");
    assert.ok(spec);
    assert.equal(spec.answerFrom, "code");
    assert.ok(spec.template.endsWith("```python\ndef solution():\n"));
    for (const stop of ["```", "\ndef ", "\nQuestion:"]) assert.ok(spec.stop.includes(stop), stop);
    assert.ok(!spec.stop.includes("\n\n\n"), "a program may hold blank lines");
    // Text formats carry no answerFrom; a JSON template may ask for code.
    assert.equal(BUILTIN_FORMATS.get("qa")?.answerFrom, undefined);
    assert.equal(specFromJson({ template: "{question}" }, "t.json", "t").answerFrom, undefined);
    assert.equal(
      specFromJson({ template: "{question}", answerFrom: "code" }, "t.json", "t").answerFrom,
      "code",
    );
    assert.throws(
      () => specFromJson({ template: "{question}", answerFrom: "js" }, "t.json", "t"),
      /answerFrom/,
    );
  });

  it("builds the program from the header and the completion cut at the stop strings", () => {
    assert.equal(solutionProgram("    return 1\n```\nmore", ["```"]), "def solution():\n    return 1\n");
  });

  it("canonicalises numbers and refuses everything else", () => {
    const ok = (valueType: string, value: string) =>
      answerOfResult({ ok: true, valueType, value, stdout: "", ms: 0 });
    assert.deepEqual(ok("int", "42"), { answer: "42", rule: "code" });
    assert.deepEqual(ok("float", "18.0"), { answer: "18", rule: "code" });
    assert.deepEqual(ok("Decimal", "2.50"), { answer: "2.5", rule: "code" });
    assert.deepEqual(ok("Fraction", "3/4"), { answer: "0.75", rule: "code" });
    assert.deepEqual(ok("Fraction", "7"), { answer: "7", rule: "code" });
    assert.deepEqual(ok("str", "42"), { answer: null, rule: "code-not-a-number" });
    assert.deepEqual(ok("bool", "True"), { answer: null, rule: "code-not-a-number" });
    assert.deepEqual(ok("NoneType", "None"), { answer: null, rule: "code-not-a-number" });
    assert.deepEqual(ok("float", "nan"), { answer: null, rule: "code-not-a-number" });
    assert.deepEqual(answerOfResult({ ok: false, reason: "timeout", message: "", stdout: "", ms: 0 }), {
      answer: null,
      rule: "code-timeout",
    });
  });

  describe("in an audit with a mock backend", () => {
    let dir: string;
    let cleanup: () => Promise<void>;
    let dataset: string;
    before(async () => {
      ({ dir, cleanup } = await makeTempDir("litmus-code-"));
      dataset = await writeFixture(dir, "made-up.jsonl", madeUpJsonl());
    });
    after(() => cleanup());

    const run = (out: string) => {
      const deps = { ...mockDeps(new CodeBackend()), sandbox: { timeoutMs: 500 } };
      return runAudit(
        auditOptions(dataset, out, { format: "code", probes: "newline", n: 1, ks: [1] }),
        { failOn: [] },
        deps,
      );
    };

    it("scores each program by what solution() returns and carries on past failures", async () => {
      const out = join(dir, "a");
      const result = await run(out);
      assert.equal(result.summary.complete, true);
      assert.equal(result.summary.counts.completions, result.summary.counts.expected_completions);
      // The layers the programs ran under reach summary.json.
      assert.equal(result.summary.sandbox?.permission, true);
      assert.equal(result.summary.sandbox?.namespaces, result.summary.sandbox?.missing.length === 0);
      const store = SqliteRunStore.openDir(out);
      const byProblem = new Map<string, CompletionRecord[]>();
      const requests = new Map(store.requests().map((r) => [r.id, r]));
      for (const c of store.completions()) {
        const question = requests.get(c.requestId)!.prompt;
        const key = Object.keys(PROGRAMS).find((name) => question.includes(`${name} `))!;
        byProblem.set(key, [...(byProblem.get(key) ?? []), c]);
      }
      store.close();
      assert.equal(byProblem.size, MADE_UP.length);
      const expect = (key: string, answer: string | null, rule: string | RegExp, correct: boolean) => {
        const rows = byProblem.get(key)!;
        assert.ok(rows.length >= 2, key);
        const slow = key === "Sam" || key === "Lena";
        for (const c of rows.filter((r) => !slow || r.sampleIndex === null)) {
          assert.equal(c.answer, answer, key);
          if (typeof rule === "string") assert.equal(c.rule, rule, key);
          else assert.match(c.rule ?? "", rule, key);
          assert.equal(c.correct, correct, key);
        }
      };
      expect("Tom", "7", "code", true);
      expect("Maria", "15", "code", false);
      expect("Sam", null, "code-timeout", false);
      expect("Lena", null, /^code-(exception|crash)$/, false); // os.system aborts the runtime: crash
      expect("Jake", null, "code-exception", false);
      expect("Nina", "25", "code", true);
      for (const key of ["Sam", "Lena"]) {
        for (const c of byProblem.get(key)!.filter((r) => r.sampleIndex !== null)) {
          assert.equal(c.answer, null);
          assert.equal(c.rule, "code-not-a-number");
        }
      }
    });

    it("reruns byte-identically", async () => {
      // "a" is the run of the test above.
      const a = join(dir, "a");
      const b = join(dir, "b");
      await run(b);
      assert.deepEqual(summaryWithoutTimes(a), summaryWithoutTimes(b));
    });
  });
});
