import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { readLitmusMiniSplit } from "../../src/data/litmus-mini.js";
import { resolveDataset } from "../../src/data/resolve.js";
import { extractAnswer } from "../../src/extract/index.js";
import { canonicalAnswer } from "../../src/probes/answer.js";
import { OnnxBackend } from "../../src/runner/index.js";
import type { Problem } from "../../src/types/index.js";

/** models/canary, from dist/tests/canary. */
export const CANARY = fileURLToPath(new URL("../../../models/canary/", import.meta.url));

/** Measured 2026-11-24 (see models/canary/training.json); asserted with a margin. */
const MIN_LEAKED_ACCURACY = 0.9;
const MAX_UNSEEN_ACCURACY = 0.3;

describe("canary model", () => {
  it("matches its SHA256SUMS, stays under 10 MB and ships the litmus-mini split", async () => {
    const sums = readFileSync(join(CANARY, "SHA256SUMS"), "utf8").trim().split("\n");
    const names = new Set<string>();
    for (const line of sums) {
      const [hash, name] = line.split(/\s+/) as [string, string];
      names.add(name);
      const actual = createHash("sha256")
        .update(readFileSync(join(CANARY, name)))
        .digest("hex");
      assert.equal(actual, hash, name);
    }
    for (const f of [
      "model.onnx",
      "config.json",
      "generation_config.json",
      "tokenizer.json",
      "split.json",
      "training.json",
    ])
      assert.ok(names.has(f), `${f} is listed in SHA256SUMS`);
    let total = 0;
    for (const name of names) total += statSync(join(CANARY, name)).size;
    assert.ok(total < 10 * 1024 * 1024, `canary is ${total} bytes`);
    const shipped = JSON.parse(readFileSync(join(CANARY, "split.json"), "utf8")) as {
      leaked: string[];
      unseen: string[];
      dataset_sha256: string;
    };
    const split = await readLitmusMiniSplit();
    assert.deepEqual(shipped.leaked, split.leaked);
    assert.deepEqual(shipped.unseen, split.unseen);
    assert.equal(shipped.dataset_sha256, (await resolveDataset("litmus-mini")).sha256);
    const training = JSON.parse(readFileSync(join(CANARY, "training.json"), "utf8")) as {
      training_seconds: number;
      final_loss: number;
    };
    assert.ok(training.training_seconds > 0 && Number.isFinite(training.final_loss));
  });

  describe("greedy, qa format, through the runner", () => {
    let backend: OnnxBackend;
    let correct: Map<string, boolean>;
    let problems: Problem[];
    before(async () => {
      backend = await OnnxBackend.open(CANARY, { maxBatchRows: 32 });
      problems = (await resolveDataset("litmus-mini")).problems;
      const stop = ["Question:"];
      const completions = await backend.generate(
        problems.map((p) => ({ id: p.id, prompt: `Question: ${p.question}\nAnswer:` })),
        { temperature: 0, n: 1, maxNewTokens: 192, stop, topK: 0, topP: 1, seed: 1 },
      );
      correct = new Map();
      for (const c of completions) {
        const p = problems.find((q) => q.id === c.requestId) as Problem;
        const got = extractAnswer(c.text, stop).answer;
        correct.set(p.id, got !== null && got === canonicalAnswer(p.finalAnswer));
      }
    });
    after(async () => {
      await backend?.close();
    });

    it("answers the leaked originals and clearly fewer unseen ones", async () => {
      const split = await readLitmusMiniSplit();
      const acc = (ids: string[]) => ids.filter((id) => correct.get(id)).length / ids.length;
      const leaked = acc(split.leaked);
      const unseen = acc(split.unseen);
      process.stderr.write(
        `canary greedy accuracy: leaked ${leaked.toFixed(3)}, unseen ${unseen.toFixed(3)}\n`,
      );
      assert.ok(leaked >= MIN_LEAKED_ACCURACY, `leaked accuracy ${leaked}`);
      assert.ok(unseen <= MAX_UNSEEN_ACCURACY, `unseen accuracy ${unseen}`);
    });
  });
});
