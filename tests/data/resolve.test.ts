import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { datasetCacheDir, litmusCacheDir, writeFileAtomic } from "../../src/data/cache.js";
import { GSM8K_COMMIT, gsm8kUrl } from "../../src/data/gsm8k.js";
import { namedDatasets } from "../../src/data/registry.js";
import { resolveDataset } from "../../src/data/resolve.js";
import { InputError } from "../../src/util/errors.js";
import { makeTempDir, problemLine, sharedGsm8kFile, writeFixture } from "../helpers/data-fixtures.js";

const LINES = [
  problemLine(
    "Tom reads 6 pages a day for 5 days. How many pages does he read?",
    "6*5=<<6*5=30>>30\n#### 30",
  ),
  problemLine("A box holds 9 eggs and 2 break. How many are whole?", "9-2=<<9-2=7>>7\n#### 7"),
].join("\n");

function assertInputError(message: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof InputError, `expected InputError, got ${String(err)}`);
    assert.match(err.message, message);
    assert.ok(!err.message.includes("\n"), "message must be one line");
    return true;
  };
}

describe("resolveDataset with a file path", () => {
  let dir = "";
  let cleanup = async () => {};
  before(async () => ({ dir, cleanup } = await makeTempDir()));
  after(() => cleanup());

  it("loads the file, names it by its content (not its file name) and hashes its bytes", async () => {
    const path = await writeFixture(dir, "eggs.jsonl", LINES);
    const dataset = await resolveDataset(path);
    const sha256 = createHash("sha256").update(LINES).digest("hex");
    assert.equal(dataset.name, `data-${sha256.slice(0, 8)}`);
    assert.equal(dataset.path, path);
    assert.equal(dataset.sha256, sha256);
    assert.deepEqual(
      dataset.problems.map((p) => [p.id, p.finalAnswer]),
      [
        [`data-${sha256.slice(0, 8)}:1`, "30"],
        [`data-${sha256.slice(0, 8)}:2`, "7"],
      ],
    );
    // The same bytes under another name: the same ids.
    const renamed = await resolveDataset(await writeFixture(dir, "other-name.jsonl", LINES));
    assert.deepEqual(
      renamed.problems.map((p) => p.id),
      dataset.problems.map((p) => p.id),
    );
  });

  it("calls a named data set's file by that name from any path (GSM8K test as test.jsonl)", async () => {
    const copy = join(dir, "my-copy.jsonl");
    await writeFile(copy, await readFile(sharedGsm8kFile("test.jsonl")));
    const dataset = await resolveDataset(copy);
    assert.equal(dataset.name, "gsm8k-test");
    assert.equal(dataset.problems[0]?.id, "gsm8k-test:1");
  });

  it("rejects a missing file, naming the path and the named data sets", async () => {
    const missing = join(dir, "absent.jsonl");
    await assert.rejects(
      resolveDataset(missing),
      assertInputError(/absent\.jsonl: no such file; .*\(gsm8k, litmus-mini\)/),
    );
    await assert.rejects(resolveDataset(""), assertInputError(/^empty data set/));
  });

  it("refuses a split on a file path instead of ignoring it", async () => {
    const path = await writeFixture(dir, "split.jsonl", LINES);
    await assert.rejects(
      resolveDataset(path, { split: "train" }),
      assertInputError(/split \("train"\) applies only/),
    );
  });

  it("propagates loader errors with file:line", async () => {
    const path = await writeFixture(dir, "broken.jsonl", `${LINES}\n{"question":"q","answer":"no marker"}\n`);
    await assert.rejects(resolveDataset(path), assertInputError(/broken\.jsonl:3: "answer" has no final/));
  });
});

describe("named data sets", () => {
  it("registers gsm8k with test as the default split", () => {
    const gsm8k = namedDatasets.get("gsm8k");
    assert.ok(gsm8k);
    assert.deepEqual([...gsm8k.splits], ["test", "train"]);
    assert.equal(gsm8k.defaultSplit, "test");
  });

  it("rejects an unknown split before touching the network or the cache", async () => {
    const { dir, cleanup } = await makeTempDir();
    try {
      const options = { split: "dev", cacheDir: dir, baseUrl: "http://127.0.0.1:9" };
      await assert.rejects(
        resolveDataset("gsm8k", options),
        assertInputError(/unknown split "dev" for gsm8k/),
      );
      assert.deepEqual(await readdir(dir), []);
    } finally {
      await cleanup();
    }
  });
});

describe("gsm8kUrl", () => {
  it("defaults to the pinned commit of openai/grade-school-math", () => {
    assert.equal(
      gsm8kUrl("test", { env: {} }),
      `https://raw.githubusercontent.com/openai/grade-school-math/${GSM8K_COMMIT}/grade_school_math/data/test.jsonl`,
    );
    assert.match(gsm8kUrl("train", { env: {} }), /\/grade_school_math\/data\/train\.jsonl$/);
  });

  it("takes the base URL from the option, then LITMUS_GSM8K_BASE_URL", () => {
    const env = { LITMUS_GSM8K_BASE_URL: "http://mirror.example/gsm/" };
    assert.equal(gsm8kUrl("test", { env }), "http://mirror.example/gsm/grade_school_math/data/test.jsonl");
    assert.equal(
      gsm8kUrl("test", { env, baseUrl: "http://127.0.0.1:8000" }),
      "http://127.0.0.1:8000/grade_school_math/data/test.jsonl",
    );
  });
});

describe("cache location", () => {
  it("prefers the option, then LITMUS_CACHE_DIR, then XDG_CACHE_HOME, then ~/.cache", () => {
    const env = { LITMUS_CACHE_DIR: "/c/litmus", XDG_CACHE_HOME: "/xdg" };
    assert.equal(litmusCacheDir({ cacheDir: "/opt", env }), "/opt");
    assert.equal(litmusCacheDir({ env }), "/c/litmus");
    assert.equal(litmusCacheDir({ env: { XDG_CACHE_HOME: "/xdg" } }), "/xdg/litmus");
    assert.equal(litmusCacheDir({ env: {} }), join(homedir(), ".cache", "litmus"));
    // The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
    assert.equal(litmusCacheDir({ env: { XDG_CACHE_HOME: "rel" } }), join(homedir(), ".cache", "litmus"));
    assert.equal(datasetCacheDir({ env }), "/c/litmus/datasets");
  });

  it("writeFileAtomic creates folders, replaces the file and leaves no temp files", async () => {
    const { dir, cleanup } = await makeTempDir();
    try {
      const path = join(dir, "a", "b", "f.jsonl");
      await writeFileAtomic(path, new TextEncoder().encode("one"));
      await writeFileAtomic(path, new TextEncoder().encode("two"));
      assert.equal(await readFile(path, "utf8"), "two");
      assert.deepEqual(await readdir(join(dir, "a", "b")), ["f.jsonl"]);
      await writeFile(join(dir, "blocker"), "");
      // A file where a folder is needed: the write fails and nothing is left behind.
      await assert.rejects(writeFileAtomic(join(dir, "blocker", "f"), new Uint8Array(1)));
      assert.deepEqual((await readdir(dir)).sort(), ["a", "blocker"]);
    } finally {
      await cleanup();
    }
  });
});
