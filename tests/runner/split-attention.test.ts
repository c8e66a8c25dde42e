import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { generateBatch } from "../../src/runner/generate.js";
import { type KvSliceNames, readSlicedModel, type SlicedModel } from "../../src/runner/kv-slices.js";
import { CausalLM } from "../../src/runner/model.js";
import { hideGraphField, type OnnxGraph, type OnnxNode, readGraph } from "../../src/runner/onnx-proto.js";
import { int64Tensor, makeTensor, OnnxSession, type Tensor } from "../../src/runner/ort.js";
import { findSplitAttention } from "../../src/runner/split-attention.js";
import type { Completion, GenerationConfig } from "../../src/runner/types.js";
import {
  assertClose,
  assertSameCompletions,
  modelDir,
  TINY,
  TINY_FP16,
  TINY_INT4,
  withEnv,
} from "./helpers.js";

function sliced(dir: string): SlicedModel {
  const read = readSlicedModel(join(dir, "model.onnx"));
  if (!("bytes" in read)) throw new Error(`no slices: ${read.reason}`);
  return read;
}

const pastReaders = (g: OnnxGraph) =>
  g.nodes.filter((n) => n.inputs.some((i) => i.startsWith("past_key_values."))).map((n) => n.opType);

describe("split attention (attention over the cache where it lies)", () => {
  it("rewrites the fp32 graph: no Concat of the cache, no present.* outputs; the other layout restores it", () => {
    const model = sliced(TINY);
    assert.ok(model.splitBytes, model.splitUnavailable);
    const original = readGraph(model.bytes());
    const layers = model.slices.length;
    assert.ok(pastReaders(original).includes("Concat"), "the export concatenates the cache");

    const split = readGraph(model.splitBytes());
    assert.ok(!pastReaders(split).includes("Concat"), "no Concat reads the cache");
    assert.deepEqual(
      split.outputs.map((o) => o.name),
      ["logits", ...model.slices.flatMap((s) => [s.key, s.value])],
    );
    // Five nodes a layer removed, twelve a layer and four constants added.
    assert.equal(split.nodes.length, original.nodes.length - 5 * layers + 12 * layers + 4);
    // The added nodes' attributes, read back as written (negative values included).
    const own = (op: string) =>
      split.nodes.filter((n) => n.opType === op && n.outputs.some((o) => o.startsWith("litmus_split_")));
    assert.equal(own("Transpose").length, 2 * layers);
    assert.ok(own("Transpose").every((n) => String(n.intLists.get("perm")) === "0,1,3,2"));
    assert.equal(own("Shape").length, layers);
    assert.deepEqual(
      own("Constant").map((n) => String(n.intLists.get("value_ints"))),
      ["0", "-1", "-2", String(Number.MAX_SAFE_INTEGER)],
    );
    // The scores' Concat takes over the exported MatMul's output name, on the last axis.
    const scoreConcats = split.nodes.filter(
      (n) => n.opType === "Concat" && n.inputs.some((i) => i.endsWith("_past_scores")),
    );
    assert.equal(scoreConcats.length, layers);
    assert.ok(scoreConcats.every((n) => n.ints.get("axis") === -1n));

    const again = readGraph(model.bytes());
    assert.equal(again.nodes.length, original.nodes.length);
    assert.deepEqual(
      again.outputs.map((o) => o.name),
      original.outputs.map((o) => o.name),
    );
  });

  // Feeds of one forward pass: rows of different lengths (left padding), `past` positions cached.
  function feeds(layers: number, heads: number, headDim: number, past: number, seqLen: number) {
    const rows = 3;
    const pads = [0, 1, Math.min(3, past + seqLen - 1)];
    const total = past + seqLen;
    const mask: number[] = [];
    const positions: number[] = [];
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < total; c++) mask.push(c < pads[r]! ? 0 : 1);
      for (let c = past; c < total; c++) positions.push(Math.max(0, c - pads[r]!));
    }
    let seed = 7;
    const noise = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648 - 0.5;
    };
    const f: Record<string, Tensor> = {
      input_ids: int64Tensor(
        Array.from({ length: rows * seqLen }, (_, i) => (i * 37) % 900),
        [rows, seqLen],
      ),
      attention_mask: int64Tensor(mask, [rows, total]),
      position_ids: int64Tensor(positions, [rows, seqLen]),
    };
    for (let i = 0; i < layers; i++)
      for (const kind of ["key", "value"]) {
        const data = Float32Array.from({ length: rows * heads * past * headDim }, noise);
        f[`past_key_values.${i}.${kind}`] = makeTensor("float32", data, [rows, heads, past, headDim]);
      }
    return f;
  }

  it("gives the exported graph's logits and present.* (1e-5): prefill, and new tokens over a cache", async () => {
    const options = { device: "cpu" as const, threads: 1, sliceKv: true };
    const split = await OnnxSession.open(join(TINY, "model.onnx"), options);
    const plain = await OnnxSession.open(join(TINY, "model.onnx"), { ...options, splitAttention: false });
    try {
      assert.ok(split.splitAttention && !plain.splitAttention);
      assert.equal(
        plain.splitAttentionUnavailable,
        "split attention is turned off (splitAttention: false, or LITMUS_SPLIT_ATTENTION=0)",
      );
      assert.deepEqual(split.outputs, plain.outputs, "present.* reported as the export has them");
      const key0 = split.inputs.find((i) => i.name === "past_key_values.0.key")!;
      const [heads, headDim] = [key0.shape[1] as number, key0.shape[3] as number];
      const layers = split.kvSlices!.length;
      for (const [past, seqLen] of [
        [0, 5],
        [4, 1],
        [6, 3],
      ] as const) {
        const what = `past ${past}, ${seqLen} new`;
        const a = await split.run(feeds(layers, heads, headDim, past, seqLen));
        const b = await plain.run(feeds(layers, heads, headDim, past, seqLen));
        const names = plain.outputs.map((o) => o.name);
        assert.deepEqual(Object.keys(a).sort(), [...names].sort(), `${what}: the graph's outputs`);
        for (const name of names) {
          assert.deepEqual(a[name]!.dims, b[name]!.dims, `${what}: ${name} dims`);
          assertClose(
            Array.from(a[name]!.data as Float32Array),
            Array.from(b[name]!.data as Float32Array),
            1e-5,
            `${what}: ${name}`,
          );
        }
        // Named fetches: only what is asked for comes back.
        const some = await split.run(feeds(layers, heads, headDim, past, seqLen), {
          logits: null,
          "present.1.value": null,
        });
        assert.deepEqual(Object.keys(some).sort(), ["logits", "present.1.value"]);
        assertClose(
          Array.from(some["present.1.value"]!.data as Float32Array),
          Array.from(b["present.1.value"]!.data as Float32Array),
          1e-5,
          `${what}: fetched by name`,
        );
      }
    } finally {
      await split.release();
      await plain.release();
    }
  });

  async function generate(
    dir: string,
    splitAttention: boolean,
    config: Partial<GenerationConfig>,
  ): Promise<{ out: Completion[]; lm: { split: boolean; reason: string | null } }> {
    const lm = await CausalLM.open(dir, { threads: 1, splitAttention });
    try {
      const prompts = ["Question: Tom has 3 apples and buys 4 more. How many", "The answer is", "A"];
      const out = await generateBatch(
        lm,
        prompts.map((prompt, i) => ({ id: `p${i}`, prompt })),
        config,
      );
      const attention = lm.decodePath.attention ?? { split: false, reason: "not on the slot cache" };
      return { out, lm: attention };
    } finally {
      await lm.close();
    }
  }

  // The canary (the audit's embedded default) is an opset-14 export, as optimum writes phi.
  const CANARY = fileURLToPath(new URL("../../../models/canary", import.meta.url));
  for (const [name, dir] of [
    ["fp32", TINY],
    ["int4", TINY_INT4],
    ["canary (opset 14)", CANARY],
  ] as const) {
    it(`${name}: greedy and sampled completions equal those of the graph's own attention`, async () => {
      // A complete model folder is used as it is; fixtures get phi-tiny's tokenizer files.
      const m = dir === CANARY ? { dir, cleanup: () => {} } : modelDir(dir);
      try {
        for (const config of [
          { maxNewTokens: 24, temperature: 0 },
          { maxNewTokens: 24, temperature: 1, topP: 0.9, seed: 3, n: 3, stop: ["."] },
        ]) {
          const split = await generate(m.dir, true, config);
          const plain = await generate(m.dir, false, config);
          assert.deepEqual(split.lm, { split: true, reason: null });
          assert.deepEqual(plain.lm.split, false);
          assertSameCompletions(split.out, plain.out, `${name} T=${config.temperature}`);
        }
      } finally {
        m.cleanup();
      }
    });
  }

  it("fp16 (attention reads the cache through a Cast to float32) keeps the graph's attention and says why", async () => {
    const m = modelDir(TINY_FP16);
    try {
      const lm = await CausalLM.open(m.dir, { threads: 1 });
      try {
        const path = lm.decodePath;
        assert.equal(path.path, "slot-cache");
        assert.equal(path.attention?.split, false);
        assert.match(path.attention?.reason ?? "", /layer 0: the keys are not read through one transpose/);
      } finally {
        await lm.close();
      }
    } finally {
      m.cleanup();
    }
  });

  it("LITMUS_SPLIT_ATTENTION=0 keeps the graph's attention; an explicit option wins", async () => {
    await withEnv("LITMUS_SPLIT_ATTENTION", "0", async () => {
      const off = await CausalLM.open(TINY, { threads: 1 });
      const forced = await CausalLM.open(TINY, { threads: 1, splitAttention: true });
      try {
        assert.deepEqual(off.decodePath.attention, {
          split: false,
          reason: "split attention is turned off (splitAttention: false, or LITMUS_SPLIT_ATTENTION=0)",
        });
        assert.equal(off.kvSlices?.length, off.info.numLayers, "the slot cache stays on");
        assert.deepEqual(forced.decodePath.attention, { split: true, reason: null });
      } finally {
        await off.close();
        await forced.close();
      }
    });
  });

  describe("the pattern it rewrites (anything else keeps its attention)", () => {
    const node = (
      opType: string,
      inputs: string[],
      outputs: string[],
      attrs: { ints?: Record<string, bigint>; lists?: Record<string, bigint[]> } = {},
    ): OnnxNode => ({
      opType,
      domain: "",
      inputs,
      outputs,
      ints: new Map(Object.entries(attrs.ints ?? {})),
      intLists: new Map(Object.entries(attrs.lists ?? {})),
    });
    const slices: KvSliceNames[] = [{ key: "k", value: "v" }];
    const layer = (): OnnxNode[] => [
      node("Concat", ["past_key_values.0.key", "k"], ["present.0.key"], { ints: { axis: 2n } }),
      node("Concat", ["past_key_values.0.value", "v"], ["present.0.value"], { ints: { axis: -2n } }),
      node("Transpose", ["present.0.key"], ["kt"], { lists: { perm: [0n, 1n, 3n, 2n] } }),
      node("MatMul", ["q", "kt"], ["scores"]),
      node("Softmax", ["scores"], ["probs"]),
      node("MatMul", ["probs", "present.0.value"], ["mixed"]),
    ];
    const graph = (nodes: OnnxNode[], opset = 21, rank = 4): OnnxGraph => ({
      nodes,
      inputs: [
        { name: "past_key_values.0.key", elemType: 1, rank },
        { name: "past_key_values.0.value", elemType: 1, rank: 4 },
      ],
      outputs: [
        { name: "logits", elemType: 1 },
        { name: "present.0.key", elemType: 1 },
        { name: "present.0.value", elemType: 1 },
      ],
      opset,
    });
    const reason = (g: OnnxGraph) => {
      const r = findSplitAttention(g, slices, 1);
      return r.found ? "found" : r.reason;
    };

    it("finds optimum's attention: queries, probabilities, the five nodes it replaces", () => {
      const r = findSplitAttention(graph(layer()), slices, 1);
      assert.ok(r.found);
      const [l] = r.layers;
      assert.equal(l!.query, "q");
      assert.equal(l!.probs, "probs");
      assert.deepEqual(
        l!.removed.map((n) => n.outputs[0]),
        ["present.0.key", "present.0.value", "kt", "scores", "mixed"],
      );
    });

    it("follows Casts to the cache's own type around the Concat (TorchScript exports) and removes those after it", () => {
      const cast = (input: string, output: string, to: bigint) =>
        node("Cast", [input], [output], { ints: { to } });
      const withCasts = (to: bigint) => {
        const nodes = layer();
        nodes[0] = node("Concat", ["past_k32", "k"], ["cat_k"], { ints: { axis: 2n } });
        return [cast("past_key_values.0.key", "past_k32", 1n), cast("cat_k", "present.0.key", to), ...nodes];
      };
      const r = findSplitAttention(graph(withCasts(1n)), slices, 1);
      assert.ok(r.found);
      assert.equal(r.layers[0]!.pastKey, "past_k32", "the past as the graph's Concat read it");
      assert.deepEqual(
        r.layers[0]!.removed.map((n) => n.outputs[0]),
        ["present.0.key", "cat_k", "present.0.value", "kt", "scores", "mixed"],
      );
      assert.match(reason(graph(withCasts(10n))), /layer 0: present is not Concat\(past, new\)/);
      const alsoRead = [...withCasts(1n), node("Identity", ["cat_k"], ["other"])];
      assert.match(reason(graph(alsoRead)), /layer 0: present is not Concat\(past, new\)/);
    });

    it("refuses each departure from it, saying which", () => {
      const edit = (k: number, n: OnnxNode) => layer().map((x, j) => (j === k ? n : x));
      assert.match(reason(graph(layer(), 12)), /opset 12 is below 13/);
      assert.match(reason(graph(layer(), 21, 3)), /layer 0: the cache inputs are not of rank 4/);
      assert.match(
        reason(
          graph(
            edit(
              0,
              node("Concat", ["past_key_values.0.key", "k"], ["present.0.key"], { ints: { axis: 1n } }),
            ),
          ),
        ),
        /present is not Concat\(past, new\)/,
      );
      assert.match(
        reason(
          graph(edit(2, node("Transpose", ["present.0.key"], ["kt"], { lists: { perm: [0n, 2n, 1n, 3n] } }))),
        ),
        /one transpose of their last two axes/,
      );
      assert.match(
        reason(graph([...layer(), node("ReduceMax", ["present.0.key"], ["other"])])),
        /one transpose of their last two axes/,
      );
      assert.match(reason(graph(edit(3, node("MatMul", ["kt", "q"], ["scores"])))), /do not feed one MatMul/);
      assert.match(
        reason(graph(edit(5, node("MatMul", ["present.0.value", "probs"], ["mixed"])))),
        /the values do not feed one MatMul/,
      );
      assert.match(
        reason(graph([...layer(), node("Identity", ["present.0.value"], ["copy"])])),
        /the values do not feed one MatMul/,
      );
    });

    it("hides only node and output fields, and puts them back", () => {
      const bytes = sliced(TINY).bytes().slice();
      const g = readGraph(bytes);
      const node0 = g.nodes[0]!;
      const restore = hideGraphField(bytes, node0.at!);
      assert.equal(readGraph(bytes).nodes.length, g.nodes.length - 1);
      restore();
      assert.equal(readGraph(bytes).nodes.length, g.nodes.length);
      assert.throws(() => hideGraphField(bytes, node0.at! + 1), /no node or output field/);
    });
  });
});
