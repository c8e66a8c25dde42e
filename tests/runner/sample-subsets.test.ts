import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { OnnxBackend } from "../../src/runner/index.js";
import { deriveSeed } from "../../src/util/rng.js";
import { TINY } from "./helpers.js";

describe("generation of chosen samples and explicit seeds (phi-tiny)", () => {
  let backend: OnnxBackend;
  before(async () => {
    backend = await OnnxBackend.open(TINY, { threads: 1 });
  });
  after(() => backend.close());
  const config = { temperature: 1, topP: 0.9, maxNewTokens: 10, seed: 3, n: 5 };

  it("samples [1, 4] alone are samples 1 and 4 of the full run (a resume asks only for those)", async () => {
    const all = await backend.generate([{ id: "q", prompt: "Tom has 3 apples" }], config);
    const some = await backend.generate([{ id: "q", prompt: "Tom has 3 apples", samples: [1, 4] }], config);
    assert.deepEqual(
      some.map((c) => [c.sampleIndex, c.text, c.seed]),
      [all[1]!, all[4]!].map((c) => [c.sampleIndex, c.text, c.seed]),
    );
    assert.equal(new Set(all.map((c) => c.text)).size > 1, true, "the samples differ");
  });

  it("explicit seeds replace the derivation: seed deriveSeed(3, q, 2) gives sample 2", async () => {
    const all = await backend.generate([{ id: "q", prompt: "Tom has 3 apples" }], config);
    const [pinned] = await backend.generate(
      [{ id: "other-id", prompt: "Tom has 3 apples", samples: [0], seeds: [deriveSeed(3, "q", 2)] }],
      config,
    );
    assert.equal(pinned!.text, all[2]!.text);
    assert.equal(pinned!.seed, all[2]!.seed);
  });

  it("refuses sample indices outside n and seed lists of the wrong length", async () => {
    await assert.rejects(
      backend.generate([{ id: "q", prompt: "x", samples: [5] }], config),
      /sample index 5 is outside 0\.\.4/,
    );
    await assert.rejects(
      backend.generate([{ id: "q", prompt: "x", samples: [0, 1], seeds: [1] }], config),
      /1 seeds for 2 samples/,
    );
  });
});
