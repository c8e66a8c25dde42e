import assert from "node:assert/strict";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import * as ort from "onnxruntime-node";
import { linkedDataFolder } from "../../src/runner/data-folder.js";
import { externalDataLocations, readExternalDataLocations } from "../../src/runner/external-data.js";
import { generateBatch } from "../../src/runner/generate.js";
import { CausalLM } from "../../src/runner/model.js";
import { InputError } from "../../src/util/errors.js";
import { writeWithExternalData } from "./external-data.js";
import { modelDir, reference, TINY } from "./helpers.js";

const OTHER_FILES = [
  "config.json",
  "generation_config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
];

/** The fixture's first reference prompt, greedily, on the model in `dir`. */
async function greedyTokens(dir: string, options: { sliceKv?: boolean } = {}) {
  const p = reference().prompts[0]!;
  const lm = await CausalLM.open(dir, { threads: 1, ...options });
  try {
    const [c] = await generateBatch(lm, [{ id: "x", prompt: p.text }], {
      maxNewTokens: p.greedy_ids.length,
      temperature: 0,
    });
    return { tokens: c!.tokenIds, expected: p.greedy_ids, decodePath: lm.decodePath };
  } finally {
    await lm.close();
  }
}

/**
 * A Hugging Face hub cache holding the fixture with its weights in external data `dataName`:
 * `models--org--tiny/snapshots/<rev>/<file>` are relative links to `../../blobs/<hash>`.
 */
function hubCache(dataName = "model.onnx_data"): { root: string; snapshot: string; blobs: string } {
  const root = mkdtempSync(join(tmpdir(), "litmus-hub-"));
  const repo = join(root, "models--org--tiny");
  const blobs = join(repo, "blobs");
  const snapshot = join(repo, "snapshots", "0123abcd");
  mkdirSync(blobs, { recursive: true });
  mkdirSync(snapshot, { recursive: true });
  writeWithExternalData(
    readFileSync(join(TINY, "model.onnx")),
    join(blobs, "a1b2"),
    join(blobs, "c3d4"),
    dataName,
  );
  symlinkSync("../../blobs/a1b2", join(snapshot, "model.onnx"));
  symlinkSync("../../blobs/c3d4", join(snapshot, dataName));
  OTHER_FILES.forEach((f, i) => {
    copyFileSync(join(TINY, f), join(blobs, `e${i}`));
    symlinkSync(`../../blobs/e${i}`, join(snapshot, f));
  });
  return { root, snapshot, blobs };
}

/** Runs `fn` with the OS temporary folder at `dir` (worker threads copy the environment). */
async function withTmpdir<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const before = process.env["TMPDIR"];
  process.env["TMPDIR"] = dir;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env["TMPDIR"];
    else process.env["TMPDIR"] = before;
  }
}

describe("external data files named by the graph", () => {
  it("reads each data file's name from the graph, from bytes and from the file alike", () => {
    const { dir, cleanup } = modelDir(TINY, { omit: ["model.onnx"] });
    try {
      assert.deepEqual(readExternalDataLocations(join(TINY, "model.onnx")), [], "inline weights");
      const model = join(dir, "model.onnx");
      const moved = writeWithExternalData(
        readFileSync(join(TINY, "model.onnx")),
        model,
        join(dir, "w.bin"),
        "w.bin",
      );
      assert.ok(moved > 10);
      assert.deepEqual(readExternalDataLocations(model), ["w.bin"]);
      assert.deepEqual(externalDataLocations(readFileSync(model)), ["w.bin"]);
    } finally {
      cleanup();
    }
  });

  it("loads weights in model.onnx.data (onnxruntime's quantizer's name) and names that file when it is missing", async () => {
    const { dir, cleanup } = modelDir(TINY, { omit: ["model.onnx"] });
    try {
      writeWithExternalData(
        readFileSync(join(TINY, "model.onnx")),
        join(dir, "model.onnx"),
        join(dir, "model.onnx.data"),
        "model.onnx.data",
      );
      for (const sliceKv of [true, false]) {
        const run = await greedyTokens(dir, { sliceKv });
        assert.deepEqual(run.tokens, run.expected, `sliceKv ${sliceKv}`);
        assert.equal(run.decodePath.path, sliceKv ? "slot-cache" : "present-feedback");
      }
      unlinkSync(join(dir, "model.onnx.data"));
      await assert.rejects(CausalLM.open(dir, { threads: 1 }), (err: unknown) => {
        assert.ok(err instanceof InputError, String(err));
        assert.match(err.message, /missing model\.onnx\.data \(the external weights model\.onnx refers to\)/);
        return true;
      });
    } finally {
      cleanup();
    }
  });
});

describe("a Hugging Face hub cache snapshot (files linked into ../../blobs)", () => {
  it("is refused by ONNX Runtime when loaded from bytes with the snapshot as data folder", async () => {
    const cache = hubCache();
    try {
      // The load the extended graph needs (bytes + folder) fails on the links as they are.
      const bytes = readFileSync(join(cache.snapshot, "model.onnx"));
      await assert.rejects(
        ort.InferenceSession.create(bytes, {
          logSeverityLevel: 3,
          extra: { session: { model_external_initializers_file_folder_path: cache.snapshot } },
        }),
        /escapes model directory/,
      );
    } finally {
      rmSync(cache.root, { recursive: true, force: true });
    }
  });

  it("loads (slot cache and plain) with the plain folder's greedy tokens, and leaves no links behind", async () => {
    const cache = hubCache();
    const tmp = mkdtempSync(join(tmpdir(), "litmus-tmp-"));
    try {
      const plain = await greedyTokens(TINY);
      assert.deepEqual(plain.tokens, plain.expected);
      await withTmpdir(tmp, async () => {
        for (const sliceKv of [true, false]) {
          const run = await greedyTokens(cache.snapshot, { sliceKv });
          assert.deepEqual(run.tokens, plain.tokens, `sliceKv ${sliceKv}`);
          assert.equal(run.decodePath.path, sliceKv ? "slot-cache" : "present-feedback");
        }
      });
      assert.deepEqual(readdirSync(tmp), [], "the link folder is removed once the session exists");
      assert.equal(readdirSync(cache.blobs).length, 2 + OTHER_FILES.length, "nothing left in the cache");
    } finally {
      rmSync(cache.root, { recursive: true, force: true });
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("links beside the blobs when the temporary folder is on another file system", async (t) => {
    const cache = hubCache();
    const other = "/dev/shm";
    try {
      if (!statSync(other, { throwIfNoEntry: false })?.isDirectory())
        return t.skip(`${other} is not a folder here`);
      if (statSync(other).dev === statSync(cache.blobs).dev)
        return t.skip(`${other} is on the same file system as ${tmpdir()}`);
      const tmp = mkdtempSync(join(other, "litmus-tmp-"));
      try {
        const run = await withTmpdir(tmp, () => greedyTokens(cache.snapshot));
        assert.equal(run.decodePath.path, "slot-cache", "loaded from bytes, with the data linked");
        assert.deepEqual(run.tokens, run.expected);
        assert.deepEqual(readdirSync(tmp), []);
        assert.equal(readdirSync(cache.blobs).length, 2 + OTHER_FILES.length, "the hidden folder is removed");
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    } finally {
      rmSync(cache.root, { recursive: true, force: true });
    }
  });

  it("says to copy the folder with its links resolved when no hard link can be made", () => {
    const cache = hubCache();
    try {
      const model = join(cache.snapshot, "model.onnx");
      assert.equal(linkedDataFolder(join(TINY, "model.onnx"), []), undefined, "nothing to link");
      assert.throws(
        () => linkedDataFolder(model, ["model.onnx_data"], [join(cache.root, "no-such-folder", "x-")]),
        (err: unknown) => {
          assert.ok(err instanceof InputError);
          assert.ok(!err.message.includes("\n"), "one line");
          assert.match(
            err.message,
            /model\.onnx_data links to .*blobs\/c3d4; no hard link to it could be made/,
          );
          assert.ok(err.message.includes(`cp -rL ${cache.snapshot} NEW_DIR`), err.message);
          return true;
        },
      );
    } finally {
      rmSync(cache.root, { recursive: true, force: true });
    }
  });
});
