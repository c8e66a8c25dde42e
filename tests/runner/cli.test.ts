import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { reference, TINY } from "./helpers.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const ref = reference();

function litmus(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("litmus generate / score", () => {
  it("generate --json prints one object per completion with the reference tokens", () => {
    const p = ref.prompts[0]!;
    const r = litmus(
      "generate",
      "--model",
      TINY,
      "--prompt",
      p.text,
      "--max-new-tokens",
      "6",
      "--json",
      "--threads",
      "1",
    );
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.length, 1);
    const obj = JSON.parse(lines[0]!) as {
      text: string;
      token_ids: number[];
      logprobs: number[];
      finish_reason: string;
    };
    assert.deepEqual(obj.token_ids, p.greedy_ids.slice(0, 6));
    assert.equal(obj.logprobs.length, 6);
    assert.equal(obj.finish_reason, "length");
  });

  it("generate --prompts runs a JSONL file with n samples each, reproducibly", () => {
    const dir = mkdtempSync(join(tmpdir(), "litmus-cli-"));
    try {
      const file = join(dir, "p.jsonl");
      writeFileSync(
        file,
        `${JSON.stringify({ prompt: "The answer is" })}\n\n${JSON.stringify({ id: "b", prompt: "x" })}\n`,
      );
      const args = [
        "generate",
        "--model",
        TINY,
        "--prompts",
        file,
        "--n",
        "3",
        "--temperature",
        "1",
        "--seed",
        "7",
      ];
      const a = litmus(...args, "--max-new-tokens", "4", "--json");
      assert.equal(a.code, 0, a.stderr);
      const rows = a.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { id: string; sample: number; token_ids: number[] });
      assert.deepEqual(
        rows.map((x) => `${x.id}#${x.sample}`),
        [`${file}:1#0`, `${file}:1#1`, `${file}:1#2`, "b#0", "b#1", "b#2"],
      );
      const b = litmus(...args, "--max-new-tokens", "4", "--json", "--batch-size", "1");
      // Same samples whatever the batch (log-probs may differ in the last float digits).
      const strip = (out: string) =>
        out
          .trim()
          .split("\n")
          .map((l) => {
            const o = JSON.parse(l) as { token_ids: number[]; text: string; seed: number };
            return [o.token_ids, o.text, o.seed];
          });
      assert.deepEqual(strip(b.stdout), strip(a.stdout));
      writeFileSync(file, "{bad\n");
      const bad = litmus(...args);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /p\.jsonl:1: invalid JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("score --json prints token ids and log-probs matching the reference", () => {
    const s = ref.score[0]!;
    const r = litmus("score", "--model", TINY, "--prefix", s.prefix, "--text", s.text, "--json");
    assert.equal(r.code, 0, r.stderr);
    const obj = JSON.parse(r.stdout) as { token_ids: number[]; logprobs: number[]; mean_logprob: number[] };
    assert.deepEqual(obj.token_ids, s.continuation_ids);
    obj.logprobs.forEach((v, i) => {
      assert.ok(Math.abs(v - s.logprobs[i]!) < 1e-4);
    });
    assert.equal(obj.mean_logprob.length, s.continuation_ids.length);
  });

  it("exits 2 with one line for input errors; --device auto warns and runs on the CPU", () => {
    const missing = litmus("generate", "--model", "/nonexistent", "--prompt", "x");
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr.trim().split("\n").length, 1);
    const cuda = litmus("score", "--model", TINY, "--text", "x", "--device", "cuda");
    assert.equal(cuda.code, 2);
    assert.match(cuda.stderr, /onnxruntime-node-install=cuda12/);
    const auto = litmus(
      "generate",
      "--model",
      TINY,
      "--prompt",
      "x",
      "--device",
      "auto",
      "--max-new-tokens",
      "2",
    );
    assert.equal(auto.code, 0);
    assert.match(auto.stderr, /^litmus: warning: CUDA unavailable .*running on CPU\n$/);
    const none = litmus("generate", "--model", TINY);
    assert.equal(none.code, 2);
  });
});
