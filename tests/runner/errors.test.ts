import assert from "node:assert/strict";
import { readFileSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { generateBatch } from "../../src/runner/generate.js";
import { CausalLM, graphInfo } from "../../src/runner/model.js";
import type { ModelConfig } from "../../src/runner/model-dir.js";
import { scoreBatch } from "../../src/runner/score.js";
import { InputError } from "../../src/util/errors.js";
import { writeWithExternalData } from "./external-data.js";
import { modelDir, TINY } from "./helpers.js";

/** Asserts an InputError whose message is one line matching `pattern`. */
async function rejectsInput(fn: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(fn, (err: unknown) => {
    assert.ok(err instanceof InputError, `expected InputError, got ${String(err)}`);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes("\n"), "one line");
    return true;
  });
}

async function withDir(
  options: Parameters<typeof modelDir>[1],
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const m = modelDir(TINY, options);
  try {
    await fn(m.dir);
  } finally {
    m.cleanup();
  }
}

describe("model directory validation", () => {
  it("reports a missing directory", async () => {
    await rejectsInput(() => CausalLM.open("/nonexistent/model"), /no such model directory/);
  });

  for (const file of ["model.onnx", "config.json", "tokenizer.json"]) {
    it(`reports a missing ${file}`, async () => {
      await withDir({ omit: [file] }, (dir) =>
        rejectsInput(() => CausalLM.open(dir), new RegExp(`missing ${file.replace(".", "\\.")}`)),
      );
    });
  }

  it("reports missing external weights, by the name the graph gives them", async () => {
    await withDir({ omit: ["model.onnx"] }, async (dir) => {
      writeWithExternalData(
        readFileSync(join(TINY, "model.onnx")),
        join(dir, "model.onnx"),
        join(dir, "model.onnx_data"),
        "model.onnx_data",
      );
      rmSync(join(dir, "model.onnx_data"));
      await rejectsInput(() => CausalLM.open(dir), /missing model\.onnx_data \(the external weights/);
      // A link to nothing (an unfinished Hugging Face download) says so.
      symlinkSync(join(dir, "gone"), join(dir, "model.onnx_data"));
      await rejectsInput(() => CausalLM.open(dir), /missing model\.onnx_data .*a link to a missing file/);
    });
  });

  it("reports invalid JSON with the file", async () => {
    await withDir({ omit: ["config.json"], write: { "config.json": "{ nope" } }, (dir) =>
      rejectsInput(() => CausalLM.open(dir), /config\.json: invalid JSON/),
    );
  });

  it("reports a config.json that is no object, a size that is no positive integer, an eos outside the vocabulary", async () => {
    await withDir({ omit: ["config.json"], write: { "config.json": "[1, 2]" } }, (dir) =>
      rejectsInput(() => CausalLM.open(dir), /config\.json: must hold a JSON object, got an array/),
    );
    const set = (key: string, value: unknown) => ({
      "config.json": (j: Record<string, unknown>) => {
        j[key] = value;
      },
    });
    await withDir({ edit: set("num_attention_heads", 0) }, (dir) =>
      rejectsInput(
        () => CausalLM.open(dir),
        /config\.json: "num_attention_heads" must be a positive integer, got 0/,
      ),
    );
    await withDir({ edit: set("max_position_embeddings", -1) }, (dir) =>
      rejectsInput(
        () => CausalLM.open(dir),
        /config\.json: "max_position_embeddings" must be a positive integer, got -1/,
      ),
    );
    await withDir({ edit: set("eos_token_id", 999_999) }, (dir) =>
      rejectsInput(() => CausalLM.open(dir), /eos_token_id 999999 is outside the vocabulary of \d+ tokens/),
    );
  });

  it("reports a vocabulary smaller than the tokenizer's", async () => {
    const edit = {
      "tokenizer.json": (j: Record<string, unknown>) => {
        (j["added_tokens"] as unknown[]).push({ id: 52000, content: "<extra>", special: true });
      },
    };
    await withDir({ edit }, (dir) =>
      rejectsInput(() => CausalLM.open(dir), /51200 logit columns but the tokenizer has 52001 tokens/),
    );
  });

  it("reports config.json disagreeing with the graph", async () => {
    await withDir(
      {
        edit: {
          "config.json": (j) => {
            j["num_hidden_layers"] = 4;
          },
        },
      },
      (dir) => rejectsInput(() => CausalLM.open(dir), /graph has 3 layers but config\.json says 4/),
    );
    await withDir(
      {
        edit: {
          "config.json": (j) => {
            j["vocab_size"] = 50304;
          },
        },
      },
      (dir) => rejectsInput(() => CausalLM.open(dir), /51200 columns but config\.json says vocab_size 50304/),
    );
  });

  it("reports unknown graph IO names", () => {
    const io = (name: string, type = "float32", shape: Array<number | string> = ["b", 2, "p", 8]) => ({
      name,
      type,
      shape,
    });
    const inputs = [
      io("input_ids", "int64"),
      io("attention_mask", "int64"),
      io("past_key_values.0.key"),
      io("past_key_values.0.value"),
    ];
    const outputs = [io("logits", "float32", ["b", "s", 100]), io("present.0.key"), io("present.0.value")];
    const config = { eosTokenIds: [] } as unknown as ModelConfig;
    const ok = graphInfo("m", inputs, outputs, config);
    assert.equal(ok.hasPositionIds, false, "genai-style IO without position_ids is accepted");
    assert.throws(
      () => graphInfo("m", [...inputs, io("use_cache_branch", "bool", [1])], outputs, config),
      /unknown graph inputs\/outputs use_cache_branch/,
    );
    assert.throws(
      () => graphInfo("m", inputs, [...outputs, io("hidden_states")], config),
      /unknown.*hidden_states/,
    );
    assert.throws(
      () => graphInfo("m", inputs.slice(0, 3), outputs, config),
      /missing input past_key_values\.0\.value/,
    );
    assert.throws(
      () => graphInfo("m", inputs, outputs.slice(0, 2), config),
      /missing output present\.0\.value/,
    );
  });

  it("reports a prompt longer than the context window", async () => {
    const lm = await CausalLM.open(TINY);
    try {
      const prompt = "one two three ".repeat(50);
      await rejectsInput(
        () => generateBatch(lm, [{ id: "long", prompt }]),
        /prompt long: 151 tokens do not fit the model's context window of 128/,
      );
      await rejectsInput(() => scoreBatch(lm, [{ id: "t", text: prompt }]), /text t: 152 tokens do not fit/);
      // A prompt that fits but leaves less room than max new tokens stops at the window.
      const fits = "one two three ".repeat(41);
      const [c] = await generateBatch(lm, [{ id: "fits", prompt: fits }], { maxNewTokens: 50 });
      assert.equal(c!.promptTokens + c!.tokenIds.length, 128);
      assert.equal(c!.finishReason, "length");
    } finally {
      await lm.close();
    }
  });

  it("rejects bad generation settings", async () => {
    const lm = await CausalLM.open(TINY);
    try {
      await rejectsInput(
        () => generateBatch(lm, [{ id: "a", prompt: "x" }], { topP: 0 }),
        /top-p: must be in \(0, 1\]/,
      );
      await rejectsInput(
        () => generateBatch(lm, [{ id: "a", prompt: "x" }], { n: 0 }),
        /n: must be a positive integer/,
      );
      await rejectsInput(
        () => generateBatch(lm, [{ id: "a", prompt: "x" }], { temperature: -1 }),
        /temperature/,
      );
    } finally {
      await lm.close();
    }
  });
});

describe("devices", () => {
  it("--device cuda without the CUDA provider fails with install instructions", async () => {
    await rejectsInput(() => CausalLM.open(TINY, { device: "cuda" }), /onnxruntime-node-install=cuda12/);
  });

  it("--device auto falls back to the CPU with a one-line warning", async () => {
    const lm = await CausalLM.open(TINY, { device: "auto" });
    try {
      assert.equal(lm.device, "cpu");
      assert.match(lm.session.warning ?? "", /^CUDA unavailable \(.*\); running on CPU$/);
    } finally {
      await lm.close();
    }
  });
});
