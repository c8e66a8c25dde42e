import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { MemoryRunStore, type RunStore, SqliteRunStore } from "../../src/store/index.js";
import type { AuditRequest, CompletionRecord, RunConfig } from "../../src/types/audit.js";
import type { Problem, Variant } from "../../src/types/index.js";
import { InputError } from "../../src/util/errors.js";
import { makeTempDir } from "../helpers/data-fixtures.js";

const CONFIG: RunConfig = {
  litmusVersion: "0.1.0",
  onnxruntimeVersion: "1.30.0",
  executionProvider: "cpu",
  modelFiles: { "model.onnx": "ab".repeat(32) },
  dataset: { name: "gsm8k-test", sha256: "cd".repeat(32) },
  selection: { limit: 2 },
  probes: ["number-swap"],
  promptFormat: { name: "qa", spec: null },
  decoding: { n: 2, temperature: 0.8, topP: 0.95, topK: 0, maxNewTokens: 256 },
  ks: [1, 2],
  seeds: { run: 1, probes: 1, bootstrap: 1 },
};

// Made-up problem: GSM8K text must never be copied into the repository.
const PROBLEM: Problem = {
  id: "mine:1",
  source: "mine",
  line: 1,
  question: "Ana has 3 pens and buys 4 more. How many pens?",
  answer: "3+4=<<3+4=7>>7\n#### 7",
  finalAnswer: "7",
  hash: "h1",
};
const VARIANT: Variant = {
  id: "mine:1/number-swap/one-quantity/0",
  problemId: "mine:1",
  probe: "number-swap",
  kind: "one-quantity",
  question: "Ana has 5 pens and buys 4 more. How many pens?",
  edits: [{ start: 8, end: 9, before: "3", after: "5" }],
  expected: "9",
  originalAnswer: "7",
  solution: "5+4=<<5+4=9>>9\n#### 9",
  answerChanged: true,
  seed: 42,
};
function request(mode: "greedy" | "sampled", variant: boolean): AuditRequest {
  return {
    id: `${variant ? VARIANT.id : PROBLEM.id}#${mode}`,
    problemId: PROBLEM.id,
    variantId: variant ? VARIANT.id : null,
    probe: variant ? "number-swap" : "original",
    prompt: `Question: ${variant ? VARIANT.question : PROBLEM.question}\nAnswer:`,
    stop: ["Question:"],
    mode,
    n: mode === "greedy" ? 1 : 2,
    expected: variant ? "9" : "7",
    originalAnswer: "7",
    answerChanged: variant,
  };
}
const REQUESTS = [
  request("greedy", false),
  request("sampled", false),
  request("greedy", true),
  request("sampled", true),
];
function completion(requestId: string, sampleIndex: number | null, text = " 7\n#### 7"): CompletionRecord {
  return {
    requestId,
    sampleIndex,
    text,
    tokenCount: 5,
    finishReason: "stop",
    seed: sampleIndex === null ? null : 1000 + sampleIndex,
    answer: "7",
    rule: "hash-line",
    correct: !requestId.includes("number-swap"),
  };
}

function setUp(store: RunStore): void {
  store.begin(CONFIG, "2025-01-01T00:00:00Z");
  store.putProblems([PROBLEM]);
  store.putVariants([VARIANT]);
  store.putRequests(REQUESTS);
}

let dir: string;
let cleanup: () => Promise<void>;
before(async () => {
  ({ dir, cleanup } = await makeTempDir("litmus-store-"));
});
after(() => cleanup());

let counter = 0;
const implementations: Array<[string, () => RunStore]> = [
  ["memory", () => new MemoryRunStore()],
  ["sqlite", () => SqliteRunStore.open(join(dir, `contract-${counter++}`, "run.sqlite"))],
];

for (const [name, make] of implementations) {
  describe(`RunStore contract: ${name}`, () => {
    it("starts a run, then resumes it with an equal config (keys in any order)", () => {
      const store = make();
      const first = store.begin(CONFIG, "2025-01-01T00:00:00Z");
      assert.deepEqual(first, {
        resumed: false,
        manifest: { config: CONFIG, startedAt: "2025-01-01T00:00:00Z", finishedAt: null },
      });
      const reordered = Object.fromEntries(Object.entries(CONFIG).reverse()) as unknown as RunConfig;
      const again = store.begin(reordered, "2025-02-02T00:00:00Z");
      assert.equal(again.resumed, true);
      assert.equal(again.manifest.startedAt, "2025-01-01T00:00:00Z", "keeps the first start time");
      store.finish("2025-01-01T01:00:00Z");
      assert.equal(store.manifest()?.finishedAt, "2025-01-01T01:00:00Z");
      store.close();
    });

    it("starts afresh under a new configuration while nothing has been computed", () => {
      const store = make();
      setUp(store);
      const other = { ...CONFIG, decoding: { ...CONFIG.decoding, temperature: 1 } };
      const begun = store.begin(other, "t1");
      assert.equal(begun.resumed, false);
      assert.equal(begun.manifest.startedAt, "t1");
      assert.deepEqual(store.problems(), []);
      assert.deepEqual(store.requests(), []);
      store.close();
    });

    it("refuses a different configuration with a one-line error naming the differences", () => {
      const store = make();
      setUp(store);
      store.recordCompletion(completion(REQUESTS[0]!.id, null));
      const other = { ...CONFIG, decoding: { ...CONFIG.decoding, temperature: 1 }, probes: ["newline"] };
      assert.throws(
        () => store.begin(other, "t1"),
        (e: unknown) =>
          e instanceof InputError &&
          e.message.includes("different configuration") &&
          e.message.includes("decoding.temperature: 0.8 -> 1") &&
          e.message.includes('probes: ["number-swap"] -> ["newline"]') &&
          !e.message.includes("\n"),
      );
      store.close();
    });

    it("replaces a finished run of another configuration when asked to (a scratch folder)", () => {
      const store = make();
      setUp(store);
      store.recordCompletion(completion(REQUESTS[0]!.id, null));
      const other = { ...CONFIG, decoding: { ...CONFIG.decoding, temperature: 1 } };
      const begun = store.begin(other, "t1", { replace: true });
      assert.equal(begun.resumed, false);
      assert.deepEqual(store.completions(), []);
      assert.deepEqual(store.problems(), []);
      store.close();
    });

    it("names a changed key that holds a dot by its key, with both values", () => {
      const store = make();
      store.begin({ ...CONFIG, modelFiles: { "config.json": "aa", "model.onnx": "bb" } }, "t0");
      store.putProblems([PROBLEM]);
      store.putVariants([VARIANT]);
      store.putRequests(REQUESTS);
      store.recordCompletion(completion(REQUESTS[0]!.id, null));
      const other = { ...CONFIG, modelFiles: { "config.json": "cc", "model.onnx": "bb" } };
      assert.throws(
        () => store.begin(other, "t1"),
        (e: unknown) =>
          e instanceof InputError && e.message.includes('modelFiles["config.json"]: "aa" -> "cc"'),
      );
      store.close();
    });

    it("stores problems, variants and requests idempotently and refuses changed content", () => {
      const store = make();
      setUp(store);
      setUp(store);
      assert.deepEqual(store.problems(), [PROBLEM]);
      assert.deepEqual(store.variants(), [VARIANT]);
      assert.deepEqual(store.requests(), REQUESTS);
      assert.throws(() => store.putProblems([{ ...PROBLEM, question: "changed" }]), InputError);
      assert.throws(() => store.putRequests([{ ...REQUESTS[0]!, prompt: "changed" }]), /different request/);
      assert.throws(() => store.putVariants([{ ...VARIANT, id: "x", problemId: "nope" }]), /problem/);
      store.close();
    });

    it("records each completion once, keyed by request and sample; greedy is sample null", () => {
      const store = make();
      setUp(store);
      const greedy = completion(REQUESTS[0]!.id, null);
      assert.equal(store.recordCompletion(greedy), true);
      assert.equal(store.recordCompletion({ ...greedy, text: "different" }), false, "first record wins");
      assert.equal(store.recordCompletion(completion(REQUESTS[1]!.id, 1)), true);
      assert.equal(store.recordCompletion(completion(REQUESTS[1]!.id, 0)), true);
      assert.equal(store.recordCompletion(completion(REQUESTS[1]!.id, 0)), false);
      assert.equal(store.hasCompletion(REQUESTS[1]!.id, 0), true);
      assert.equal(store.hasCompletion(REQUESTS[3]!.id, 0), false);
      assert.deepEqual(store.completions(), [
        greedy,
        completion(REQUESTS[1]!.id, 0),
        completion(REQUESTS[1]!.id, 1),
      ]);
      store.close();
    });

    it("refuses completions of unknown requests or with a sample index the request cannot have", () => {
      const store = make();
      setUp(store);
      assert.throws(() => store.recordCompletion(completion("nope", null)), /unknown request/);
      assert.throws(() => store.recordCompletion(completion(REQUESTS[0]!.id, 0)), /does not fit greedy/);
      assert.throws(() => store.recordCompletion(completion(REQUESTS[1]!.id, null)), /does not fit sampled/);
      assert.throws(() => store.recordCompletion(completion(REQUESTS[1]!.id, 2)), /n=2/);
      assert.deepEqual(store.completions(), []);
      store.close();
    });

    it("keeps a null answer as null and replaces metrics as a whole", () => {
      const store = make();
      setUp(store);
      const none = {
        ...completion(REQUESTS[2]!.id, null, " no idea"),
        answer: null,
        rule: null,
        correct: false,
      };
      store.recordCompletion(none);
      assert.deepEqual(store.completions(), [none]);
      store.putMetrics([
        { name: "stale_rate", value: { value: 0.5, ci: [0.1, 0.9] } },
        { name: "a", value: 1 },
      ]);
      store.putMetrics([{ name: "pass@1.original", value: 0.25 }]);
      assert.deepEqual(store.metrics(), [{ name: "pass@1.original", value: 0.25 }]);
      store.close();
    });
  });
}

describe("SQLite run store", () => {
  it("uses WAL and commits each completion before returning (seen by a second connection)", () => {
    const path = join(dir, "wal", "run.sqlite");
    const store = SqliteRunStore.open(path);
    assert.equal(store.journalMode(), "wal");
    setUp(store);
    store.recordCompletion(completion(REQUESTS[0]!.id, null));
    const reader = new Database(path, { readonly: true });
    assert.equal(reader.prepare("SELECT count(*) FROM completions").pluck().get(), 1);
    reader.close();
    store.close();
  });

  it("reopens a file: resumes with the same config, refuses another, never duplicates", () => {
    const path = join(dir, "reopen", "run.sqlite");
    const a = SqliteRunStore.open(path);
    setUp(a);
    a.recordCompletion(completion(REQUESTS[1]!.id, 0));
    a.close();
    const b = SqliteRunStore.open(path);
    assert.equal(b.begin(CONFIG, "later").resumed, true);
    setUp(b);
    assert.equal(b.recordCompletion(completion(REQUESTS[1]!.id, 0)), false);
    assert.equal(b.completions().length, 1);
    assert.throws(
      () => b.begin({ ...CONFIG, ks: [1] }, "later"),
      (e: unknown) => e instanceof InputError && e.message.startsWith(path),
    );
    b.close();
  });

  it("keeps each completion's tokens and text scores, and upgrades a version-1 file in place", () => {
    const path = join(dir, "v1", "run.sqlite");
    const a = SqliteRunStore.open(path);
    setUp(a);
    a.recordCompletion(completion(REQUESTS[0]!.id, null));
    a.close();
    // Make it a version-1 file: no tokens column.
    const raw = new Database(path);
    raw.exec("ALTER TABLE completions DROP COLUMN tokens");
    raw.pragma("user_version = 1");
    raw.close();
    const b = SqliteRunStore.open(path);
    assert.equal(b.begin(CONFIG, "later").resumed, true);
    b.recordCompletion({ ...completion(REQUESTS[1]!.id, 0), tokens: ["464", " 7", "\n"] });
    b.putTextScores([
      {
        unit: "mine:1/original",
        probe: "original",
        answerChanged: false,
        k: 0.2,
        tokens: 3,
        logLikelihood: -3,
        perToken: -1,
        minK: -1,
        minKPlusPlus: null,
        zlibRatio: -0.1,
      },
    ]);
    const rows = b.completions();
    assert.equal(rows[0]!.tokens, undefined, "an old row has no tokens");
    assert.deepEqual(rows[1]!.tokens, ["464", " 7", "\n"]);
    assert.equal(b.textScores()[0]!.minKPlusPlus, null);
    b.close();
    const reader = new Database(path, { readonly: true });
    assert.equal(reader.pragma("user_version", { simple: true }), 2);
    reader.close();
  });

  it("refuses a file that is not a SQLite database", async () => {
    const { writeFile, mkdir } = await import("node:fs/promises");
    await mkdir(join(dir, "junk"), { recursive: true });
    const path = join(dir, "junk", "run.sqlite");
    await writeFile(path, "this is not a database, just some text that is long enough to matter ".repeat(20));
    assert.throws(() => SqliteRunStore.open(path), InputError);
  });

  it("survives SIGKILL mid-write: every committed completion intact, resume adds only the rest", async () => {
    const path = join(dir, "killed", "run.sqlite");
    const seed = SqliteRunStore.open(path);
    const many: AuditRequest = { ...request("sampled", false), id: "mine:1#many", n: 100_000 };
    setUp(seed);
    seed.putRequests([many]);
    seed.close();
    const storeModule = fileURLToPath(new URL("../../src/store/index.js", import.meta.url));
    // The child writes completions as fast as it can and reports progress; it is killed mid-stream.
    const script = `
      const { SqliteRunStore } = await import(${JSON.stringify(storeModule)});
      const store = SqliteRunStore.open(${JSON.stringify(path)});
      for (let i = 0; i < 100000; i++) {
        store.recordCompletion({ requestId: "mine:1#many", sampleIndex: i, text: "x".repeat(200) + i, tokenCount: i,
          finishReason: "length", seed: i, answer: String(i), rule: "last-number", correct: false });
        if (i === 300) process.stdout.write("go\\n");
      }`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", () => {
        setTimeout(() => {
          child.kill("SIGKILL");
          resolve();
        }, 30);
      });
      child.on("exit", (code) => reject(new Error(`child exited on its own (${code}) before the kill`)));
    });
    await new Promise((resolve) => child.on("close", resolve));
    const store = SqliteRunStore.open(path);
    assert.equal(store.begin(CONFIG, "resume").resumed, true);
    const got = store.completions().filter((c) => c.requestId === "mine:1#many");
    assert.ok(got.length > 300 && got.length < 100_000, `committed ${got.length}`);
    // Committed rows form a prefix 0..m-1 and each is complete.
    got.forEach((c, i) => {
      assert.equal(c.sampleIndex, i);
      assert.equal(c.text, "x".repeat(200) + i);
      assert.equal(c.answer, String(i));
    });
    let added = 0;
    for (let i = 0; i < got.length + 50; i++) {
      if (
        store.recordCompletion({
          ...got[0]!,
          sampleIndex: i,
          text: "x".repeat(200) + i,
          tokenCount: i,
          seed: i,
          answer: String(i),
        })
      )
        added++;
    }
    assert.equal(added, 50, "only the missing ones are added");
    assert.equal(store.completions().filter((c) => c.requestId === "mine:1#many").length, got.length + 50);
    store.close();
  });
});
