import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { paddingNoise, slotStepMismatch } from "../../src/runner/decoder.js";
import { generateBatch } from "../../src/runner/generate.js";
import { findKvSlices } from "../../src/runner/kv-slices.js";
import { CausalLM } from "../../src/runner/model.js";
import { graphOutputsSuffix, type OnnxGraph, readGraph } from "../../src/runner/onnx-proto.js";
import { makeTensor } from "../../src/runner/ort.js";
import { GROW_SLOTS, SlotBufferPool, SlotKvCache } from "../../src/runner/slot-cache.js";
import type { Completion, GenerationConfig } from "../../src/runner/types.js";
import { writeWithExternalData } from "./external-data.js";
import {
  assertClose,
  assertSameCompletions,
  modelDir,
  reference,
  TINY,
  TINY_FP16,
  TINY_INT4,
  withEnv,
} from "./helpers.js";

const PROMPTS = [
  "Question: A baker sold 36 muffins to her neighbours in June. How many",
  "The answer is",
  "Tom has 3 apples",
];

async function generate(
  dir: string,
  options: { sliceKv: boolean; worker?: boolean },
  config: Partial<GenerationConfig>,
): Promise<{ out: Completion[]; sliced: boolean }> {
  const lm = await CausalLM.open(dir, { threads: 1, ...options });
  try {
    const out = await generateBatch(
      lm,
      PROMPTS.map((prompt, i) => ({ id: `s${i}`, prompt })),
      config,
    );
    return { out, sliced: lm.kvSlices !== undefined };
  } finally {
    await lm.close();
  }
}

describe("decoding over a slot cache (only the new key/value positions fetched per step)", () => {
  it("a batch decoded in the buffers of an earlier, longer batch equals the same batch decoded first", async () => {
    const config = { maxNewTokens: 12, temperature: 0.9, seed: 5, n: 2 };
    const second = PROMPTS.map((prompt, i) => ({ id: `b${i}`, prompt: `${prompt} more` }));
    const lm = await CausalLM.open(TINY, { threads: 1 });
    let reused: Completion[];
    try {
      assert.ok(lm.kvSlices, "the slot cache is on");
      // A longer batch of other prompts first: its buffers (now holding its cache) serve the next.
      await generateBatch(
        lm,
        PROMPTS.map((prompt, i) => ({ id: `a${i}`, prompt: `${prompt} ${prompt}` })),
        { ...config, maxNewTokens: 30 },
      );
      reused = await generateBatch(lm, second, config);
    } finally {
      await lm.close();
    }
    const fresh = await CausalLM.open(TINY, { threads: 1 });
    try {
      const first = await generateBatch(fresh, second, config);
      assert.deepEqual(
        reused.map((c) => [c.tokenIds, c.logprobs]),
        first.map((c) => [c.tokenIds, c.logprobs]),
        "bit for bit",
      );
    } finally {
      await fresh.close();
    }
  });

  // The slot path attends over masked empty slots too, which changes summation order only: fp16
  // logits (whose own rounding is ~1e-3) get a looser bound.
  for (const [name, dir, tol] of [
    ["fp32", TINY, 1e-5],
    ["fp16", TINY_FP16, 1e-3],
    ["int4", TINY_INT4, 1e-5],
  ] as const) {
    it(`${name}: finds every layer's appended key/value tensor and hides them from the outputs`, async () => {
      const m = modelDir(dir);
      const lm = await CausalLM.open(m.dir, { threads: 1 });
      try {
        assert.equal(lm.kvSlices?.length, lm.info.numLayers);
        const outputs = lm.session.outputs.map((o) => o.name);
        assert.equal(outputs.length, 1 + 2 * lm.info.numLayers);
        for (const s of lm.kvSlices!) assert.ok(!outputs.includes(s.key) && !outputs.includes(s.value));
      } finally {
        await lm.close();
        m.cleanup();
      }
    });

    it(`${name}: greedy and sampled completions equal those of the full-cache path`, async () => {
      // Different prompt lengths (left padding), rows stopping at different steps (finished rows
      // and padding dropped), and more new tokens than one growth of the slots.
      const greedy = { maxNewTokens: GROW_SLOTS + 6, temperature: 0 };
      const sampled = {
        maxNewTokens: GROW_SLOTS + 6,
        temperature: 1,
        topP: 0.9,
        seed: 5,
        n: 3,
        stop: ["ing", "."],
      };
      const m = modelDir(dir);
      for (const config of [greedy, sampled]) {
        const slots = await generate(m.dir, { sliceKv: true }, config);
        const full = await generate(m.dir, { sliceKv: false }, config);
        assert.ok(slots.sliced && !full.sliced);
        assertSameCompletions(slots.out, full.out, `${name} T=${config.temperature}`, tol);
        if (config === greedy)
          assert.ok(
            slots.out.some((c) => c.tokenIds.length > GROW_SLOTS),
            "some row outgrew the first slots",
          );
        else {
          const lengths = new Set(slots.out.map((c) => c.tokenIds.length));
          assert.ok(lengths.size > 1, "rows finished at different steps");
        }
      }
      m.cleanup();
    });
  }

  it("a graph whose slot-cache step disagrees with the plain path gets the plain path and a warning", async () => {
    const lm = await CausalLM.open(TINY, { threads: 1, worker: false });
    try {
      assert.ok(lm.kvSlices);
      assert.equal(lm.warning, undefined);
      assert.ok((await slotStepMismatch(lm)) < 1e-4, "the fixture's own check passes");
      // Sabotage: write each step's new values where its keys go and back.
      const swapped = lm.kvSlices.map((s) => ({ key: s.value, value: s.key }));
      Object.defineProperty(lm.session, "kvSlices", { value: swapped });
      Object.assign(lm as unknown as { slotRunner: undefined }, { slotRunner: undefined });
      assert.ok((await slotStepMismatch(lm)) > 1e-2, "the check sees the wrong cache");
      // The allowance for reduced-precision graphs comes from the plain path's own padding noise,
      // which an fp32 graph does not have: the bar stays at 1e-3 here.
      assert.ok((await paddingNoise(lm)) < 1e-4, "fp32: padding moves logits by float rounding only");
      await (lm as unknown as { checkSlots(): Promise<void> }).checkSlots();
      assert.equal(lm.kvSlices, undefined, "the slot cache is turned off");
      assert.match(lm.warning ?? "", /slot cache differs from the plain path.*present\.\* back/);
      assert.equal(lm.decodePath.path, "present-feedback");
      assert.match(lm.decodePath.reason ?? "", /slot cache differs from the plain path/);
      // The graph stays loaded with split attention: present.* are built from the past each step.
      assert.deepEqual(lm.decodePath.attention, { split: true, reason: null });
      const [c] = await generateBatch(lm, [{ id: "x", prompt: reference().prompts[0]!.text }], {
        maxNewTokens: 5,
        temperature: 0,
      });
      assert.deepEqual(c!.tokenIds, reference().prompts[0]!.greedy_ids.slice(0, 5));
    } finally {
      await lm.close();
    }
  });

  it("LITMUS_KV_SLICES=0 turns the slot cache off for every command", async () => {
    await withEnv("LITMUS_KV_SLICES", "0", async () => {
      const off = await CausalLM.open(TINY, { threads: 1 });
      const forced = await CausalLM.open(TINY, { threads: 1, sliceKv: true });
      try {
        assert.equal(off.kvSlices, undefined);
        assert.equal(forced.kvSlices?.length, forced.info.numLayers, "an explicit option wins");
        assert.deepEqual(off.decodePath, {
          path: "present-feedback",
          reason: "the slot cache is turned off (sliceKv: false, or LITMUS_KV_SLICES=0)",
        });
        assert.deepEqual(forced.decodePath, {
          path: "slot-cache",
          reason: null,
          attention: { split: true, reason: null },
        });
      } finally {
        await off.close();
        await forced.close();
      }
    });
  });

  it("runs the same in this thread (worker: false) as in the worker", async () => {
    const config = { maxNewTokens: 20, temperature: 1, seed: 9, n: 2 };
    const inThread = await generate(TINY, { sliceKv: true, worker: false }, config);
    const inWorker = await generate(TINY, { sliceKv: true }, config);
    assert.ok(inThread.sliced);
    assertSameCompletions(inThread.out, inWorker.out, "in-thread vs worker");
  });

  it("loads a model whose weights are in model.onnx_data (optimum's layout over 2 GB)", async () => {
    const { dir, cleanup } = modelDir(TINY, { omit: ["model.onnx"] });
    try {
      const moved = writeWithExternalData(
        readFileSync(join(TINY, "model.onnx")),
        join(dir, "model.onnx"),
        join(dir, "model.onnx_data"),
        "model.onnx_data",
      );
      assert.ok(moved > 10);
      assert.ok(readFileSync(join(dir, "model.onnx")).length < 200_000, "the weights left model.onnx");
      const ref = reference();
      const p = ref.prompts[0]!;
      const lm = await CausalLM.open(dir, { threads: 1 });
      try {
        assert.ok(lm.kvSlices, "the graph was extended and loaded from bytes");
        const [c] = await generateBatch(lm, [{ id: "x", prompt: p.text }], {
          maxNewTokens: p.greedy_ids.length,
          temperature: 0,
        });
        assert.deepEqual(c!.tokenIds, p.greedy_ids);
        assertClose(c!.logprobs, p.greedy_logprobs, 1e-4, "external-data greedy");
      } finally {
        await lm.close();
      }
    } finally {
      cleanup();
    }
  });
});

describe("graph reading", () => {
  it("reads the fixture's IO and merges appended outputs as a protobuf parser does", () => {
    const model = readFileSync(join(TINY, "model.onnx"));
    const graph = readGraph(model);
    assert.deepEqual(graph.inputs.map((i) => i.name).slice(0, 3), [
      "input_ids",
      "attention_mask",
      "position_ids",
    ]);
    assert.equal(graph.outputs[0]!.name, "logits");
    assert.equal(graph.outputs[0]!.elemType, 1);
    const search = findKvSlices(graph);
    assert.ok(search.found);
    const extra = search.slices.map((s) => ({ name: s.key, elemType: 1 }));
    const merged = readGraph(Buffer.concat([model, graphOutputsSuffix(extra)]));
    assert.deepEqual(
      merged.outputs.map((o) => o.name),
      [...graph.outputs.map((o) => o.name), ...extra.map((e) => e.name)],
    );
    assert.equal(merged.nodes.length, graph.nodes.length);
  });

  const io = (name: string, elemType = 1) => ({ name, elemType });
  const node = (opType: string, inputs: string[], outputs: string[], ints: Record<string, bigint> = {}) => ({
    opType,
    domain: "",
    inputs,
    outputs,
    ints: new Map(Object.entries(ints)),
    intLists: new Map<string, bigint[]>(),
  });
  const oneLayer = (nodes: OnnxGraph["nodes"]): OnnxGraph => ({
    nodes,
    inputs: [io("input_ids", 7), io("past_key_values.0.key"), io("past_key_values.0.value")],
    outputs: [io("logits"), io("present.0.key"), io("present.0.value")],
    opset: 21,
  });

  it("refuses graphs whose cache is not a Concat of the past and the new positions", () => {
    const ok = [
      node("Concat", ["past_key_values.0.key", "k"], ["present.0.key"], { axis: 2n }),
      node("Concat", ["past_key_values.0.value", "v"], ["present.0.value"], { axis: -2n }),
    ];
    const found = findKvSlices(oneLayer(ok));
    assert.deepEqual(found, { found: true, slices: [{ key: "k", value: "v" }], elemType: 1 });

    const gqa = oneLayer([
      node(
        "GroupQueryAttention",
        ["q", "k", "v", "past_key_values.0.key", "past_key_values.0.value"],
        ["o", "present.0.key", "present.0.value"],
      ),
    ]);
    assert.match(String(Object(findKvSlices(gqa)).reason), /present\.0\.key is not a Concat/);

    const wrongAxis = oneLayer([
      node("Concat", ["past_key_values.0.key", "k"], ["present.0.key"], { axis: 1n }),
      ok[1]!,
    ]);
    assert.match(String(Object(findKvSlices(wrongAxis)).reason), /along axis 1/);

    const swapped = oneLayer([
      node("Concat", ["k", "past_key_values.0.key"], ["present.0.key"], { axis: 2n }),
      ok[1]!,
    ]);
    assert.match(String(Object(findKvSlices(swapped)).reason), /does not start with past_key_values\.0\.key/);
  });

  it("takes an fp16 graph's new positions where they still had the cache's type", () => {
    const half = (nodes: OnnxGraph["nodes"]): OnnxGraph => ({
      nodes,
      inputs: [io("past_key_values.0.key", 10), io("past_key_values.0.value", 10)],
      outputs: [io("present.0.key", 10), io("present.0.value", 10)],
      opset: 21,
    });
    const layer = (kind: string, newChain: OnnxGraph["nodes"], added: string) => [
      node("Cast", [`past_key_values.0.${kind}`], [`p32${kind}`], { to: 1n }),
      ...newChain,
      node("Concat", [`p32${kind}`, added], [`c${kind}`], { axis: 2n }),
      node("Cast", [`c${kind}`], [`present.0.${kind}`], { to: 10n }),
    ];
    const good = half([
      ...layer(
        "key",
        [node("Cast", ["k32"], ["k16"], { to: 10n }), node("Cast", ["k16"], ["kUp"], { to: 1n })],
        "kUp",
      ),
      ...layer(
        "value",
        [node("Cast", ["v32"], ["v16"], { to: 10n }), node("Cast", ["v16"], ["vUp"], { to: 1n })],
        "vUp",
      ),
    ]);
    assert.deepEqual(findKvSlices(good), {
      found: true,
      slices: [{ key: "k16", value: "v16" }],
      elemType: 10,
    });
    // New positions computed in fp32 and never rounded to fp16 before the Concat: refused.
    const never = half([...layer("key", [], "k32"), ...layer("value", [], "v32")]);
    assert.match(String(Object(findKvSlices(never)).reason), /never have the cache's type/);
  });
});

describe("SlotKvCache", () => {
  // One layer, 2 heads of size 2; the value of each element encodes (prompt, head, position, i).
  const heads = 2;
  const dim = 2;
  const prompts = 2;
  const len = 3;
  const val = (p: number, h: number, pos: number, i: number) => 1000 * p + 100 * h + 10 * pos + i;
  const tensor = (offset: number) => {
    const data = new Float32Array(prompts * heads * len * dim);
    for (let p = 0; p < prompts; p++)
      for (let h = 0; h < heads; h++)
        for (let pos = 0; pos < len; pos++)
          for (let i = 0; i < dim; i++)
            data[((p * heads + h) * len + pos) * dim + i] = val(p, h, pos, i) + offset;
    return makeTensor("float32", data, [prompts, heads, len, dim]);
  };
  const at = (c: SlotKvCache, t: number, r: number, h: number, slot: number, i: number) =>
    c.buffers[t]![((r * heads + h) * c.capacity + slot) * dim + i];

  it("expands rows, appends into the next slot, drops rows and padding, grows", () => {
    let c = SlotKvCache.fromCache({ tensors: [tensor(0), tensor(0.5)] }, [1, 0, 1], 5);
    assert.deepEqual([c.rows, c.length, c.capacity], [3, 3, 5]);
    assert.equal(at(c, 0, 0, 1, 2, 1), val(1, 1, 2, 1));
    assert.equal(at(c, 1, 1, 0, 0, 0), val(0, 0, 0, 0) + 0.5);
    assert.equal(at(c, 0, 2, 1, 3, 0), 0, "free slots are zero");
    assert.deepEqual(c.stepMask([0, 1, 2]), [1, 1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1]);

    const slice = (base: number) =>
      makeTensor(
        "float32",
        Float32Array.from({ length: 3 * heads * dim }, (_, j) => base + j),
        [3, heads, 1, dim],
      );
    c = c.appended([slice(-100), slice(-200)]);
    assert.equal(c.length, 4);
    // Row 2, head 1, element 1 of the slice is its (2 * heads + 1) * dim + 1 = 11th value.
    assert.equal(at(c, 0, 2, 1, 3, 1), -100 + 11);
    assert.equal(at(c, 1, 0, 0, 3, 0), -200);

    c = c.selectRows([2, 0], 1);
    assert.deepEqual([c.rows, c.length, c.capacity], [2, 3, 4]);
    assert.equal(at(c, 0, 0, 1, 0, 0), val(1, 1, 1, 0), "first slot dropped");
    assert.equal(at(c, 0, 0, 1, 2, 1), -100 + 11);
    assert.equal(at(c, 0, 1, 0, 1, 1), val(1, 0, 2, 1));

    const full = c.appended(
      [slice(0), slice(0)].map((t) => ({ data: (t.data as Float32Array).subarray(0, 8) })),
    );
    assert.equal(full.length, 4);
    assert.throws(() => full.appended([slice(0), slice(0)]), /no free slot/);
    // Growing consumes the cache (possibly in place): compare with a copy taken before.
    const before = (r: number, h: number, s: number, i: number) => at(full, 0, r, h, s, i);
    const snapshot = [0, 1].map((r) =>
      [0, 1].map((h) => [0, 1, 2, 3].map((s) => [0, 1].map((i) => before(r, h, s, i)))),
    );
    const grown = full.grown(GROW_SLOTS);
    assert.deepEqual([grown.rows, grown.length, grown.capacity], [2, 4, 4 + GROW_SLOTS]);
    for (let r = 0; r < 2; r++)
      for (let h = 0; h < heads; h++)
        for (let s = 0; s < 4; s++)
          for (let i = 0; i < dim; i++) assert.equal(at(grown, 0, r, h, s, i), snapshot[r]![h]![s]![i]);
    // It outgrew its buffers: the new ones hold room to grow again in place.
    assert.equal(grown.grown(GROW_SLOTS).buffers[0], grown.buffers[0]);
  });

  it("with memory reserved, dropping rows and padding and growing rearrange the same buffers", () => {
    const c = SlotKvCache.fromCache({ tensors: [tensor(0), tensor(0.5)] }, [1, 0, 1], 4, { reserve: 10 });
    const buffer = c.buffers[0];
    // Drop row 1 and the first slot: rows 0 and 2 (both prompt 1), slots 1..2 of it.
    const kept = c.selectRows([0, 2], 1);
    assert.equal(kept.buffers[0], buffer, "in place");
    assert.deepEqual([kept.rows, kept.length, kept.capacity], [2, 2, 3]);
    for (const r of [0, 1])
      for (let h = 0; h < heads; h++)
        for (let slot = 0; slot < 2; slot++)
          for (let i = 0; i < dim; i++) assert.equal(at(kept, 0, r, h, slot, i), val(1, h, slot + 1, i));
    assert.equal(at(kept, 1, 1, 1, 2, 0), 0, "the free slot is zero");
    const grown = kept.grown(5);
    assert.equal(grown.buffers[0], buffer, "grown in place");
    assert.deepEqual([grown.rows, grown.length, grown.capacity], [2, 2, 8]);
    for (const r of [0, 1])
      for (let h = 0; h < heads; h++) {
        for (let slot = 0; slot < 2; slot++)
          for (let i = 0; i < dim; i++)
            assert.equal(at(grown, 1, r, h, slot, i), val(1, h, slot + 1, i) + 0.5);
        for (let slot = 2; slot < 8; slot++) assert.equal(at(grown, 0, r, h, slot, 0), 0);
      }
    // The fed tensors are views of the part in use.
    assert.deepEqual(grown.feeds()["past_key_values.0.key"]!.dims, [2, heads, 8, dim]);
    assert.equal((grown.feeds()["past_key_values.0.key"]!.data as Float32Array).length, 2 * heads * 8 * dim);
  });

  it("lays out groups' caches as one left-padded batch; a reused buffer keeps nothing of the last batch", () => {
    // Prompt 0 has 1 real position (in a 2-column part: padded to its group), prompt 1 has 3: width 3.
    const part = (p: number, len: number) => {
      const data = new Float32Array(heads * len * dim);
      for (let h = 0; h < heads; h++)
        for (let pos = 0; pos < len; pos++)
          for (let i = 0; i < dim; i++) data[(h * len + pos) * dim + i] = val(p, h, pos, i);
      return makeTensor("float32", data, [1, heads, len, dim]);
    };
    const wide = (p: number) => {
      const data = new Float32Array(heads * 2 * dim).fill(99);
      for (let h = 0; h < heads; h++)
        for (let i = 0; i < dim; i++) data[(h * 2 + 1) * dim + i] = val(p, h, 0, i);
      return makeTensor("float32", data, [1, heads, 2, dim]);
    };
    const pool = new SlotBufferPool();
    pool.give([new Float32Array(64).fill(7), new Float32Array(64).fill(7)]);
    const c = SlotKvCache.fromParts(
      [
        { tensors: [part(1, 3), part(1, 3)], prompts: [1] },
        // A part as wide as its group's longest prompt: prompt 0's position is its last column.
        { tensors: [wide(0), wide(0)], prompts: [0] },
      ],
      [2, 0],
      3,
      [0, 1],
      5,
      { pool },
    );
    assert.equal(c.buffers[0]!.length, 64, "the pool's buffers were reused");
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < dim; i++) {
        assert.equal(at(c, 0, 0, h, 0, i), 0, "padding cleared");
        assert.equal(at(c, 0, 0, h, 1, i), 0, "padding cleared");
        assert.equal(at(c, 0, 0, h, 2, i), val(0, h, 0, i), "the real position right-aligned");
        for (let slot = 0; slot < 3; slot++) assert.equal(at(c, 1, 1, h, slot, i), val(1, h, slot, i));
        for (const r of [0, 1])
          for (const slot of [3, 4]) assert.equal(at(c, 0, r, h, slot, i), 0, "free slots cleared");
      }
  });
});
