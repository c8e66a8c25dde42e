import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { recordDecodePath, storedDecodePaths, summaryDecodePath } from "../../src/audit/decode-path-note.js";
import type { DecodePath } from "../../src/runner/types.js";
import { SqliteRunStore } from "../../src/store/index.js";
import { makeTempDir } from "../helpers/data-fixtures.js";

const SLOT: DecodePath = { path: "slot-cache", reason: null };
const PLAIN: DecodePath = { path: "present-feedback", reason: "the slot cache is turned off" };

describe("the decode path recorded in a run store", () => {
  it("is null for a served model, one path when every invocation agreed, mixed (in any order) otherwise", async () => {
    const { dir, cleanup } = await makeTempDir("litmus-decode-path-");
    try {
      const store = SqliteRunStore.openDir(join(dir, "a"));
      recordDecodePath(store, undefined);
      assert.equal(summaryDecodePath(storedDecodePaths(store)), null, "a served model records none");
      recordDecodePath(store, SLOT);
      recordDecodePath(store, SLOT);
      assert.deepEqual(summaryDecodePath(storedDecodePaths(store)), SLOT);
      recordDecodePath(store, PLAIN);
      const mixed = summaryDecodePath(storedDecodePaths(store));
      assert.deepEqual(mixed, {
        path: "mixed",
        reason: "present-feedback (the slot cache is turned off); slot-cache",
      });
      store.close();
      // Shards merged the other way round say the same.
      const other = SqliteRunStore.openDir(join(dir, "b"));
      recordDecodePath(other, [PLAIN]);
      recordDecodePath(other, [SLOT]);
      assert.deepEqual(summaryDecodePath(storedDecodePaths(other)), mixed);
      other.close();
    } finally {
      await cleanup();
    }
  });
});
