import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseJsonl, readJsonl } from "../../src/data/jsonl.js";
import { InputError } from "../../src/util/errors.js";
import { makeTempDir, writeFixture } from "../helpers/data-fixtures.js";

const utf8 = (text: string) => new TextEncoder().encode(text);

/** Asserts that `fn` throws an InputError whose message is exactly `message`. */
function assertInputError(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InputError, `expected InputError, got ${String(err)}`);
    if (typeof message === "string") assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

describe("parseJsonl", () => {
  it("returns objects with physical line numbers, skipping blank lines anywhere", () => {
    const records = parseJsonl(utf8('{"a":1}\n\n  \n{"b":2}\r\n{"c":"x"}\n\n\n'), "f.jsonl");
    assert.deepEqual(records, [
      { line: 1, value: { a: 1 } },
      { line: 4, value: { b: 2 } },
      { line: 5, value: { c: "x" } },
    ]);
  });

  it("accepts a file without a trailing newline and with a UTF-8 byte order mark", () => {
    const records = parseJsonl(utf8('\uFEFF{"a":"é"}\n{"b":2}'), "f.jsonl");
    assert.deepEqual(records, [
      { line: 1, value: { a: "é" } },
      { line: 2, value: { b: 2 } },
    ]);
  });

  it("reports invalid JSON with file:line", () => {
    assertInputError(
      () => parseJsonl(utf8('{"a":1}\n\n{"b":\n'), "bad.jsonl"),
      /^bad\.jsonl:3: invalid JSON \(.+\)$/,
    );
  });

  it("reports lines that are JSON but not objects", () => {
    for (const [line, kind] of [
      ["[1,2]", "an array"],
      ["42", "a number"],
      ['"text"', "a string"],
      ["null", "null"],
      ["true", "a boolean"],
    ]) {
      assertInputError(
        () => parseJsonl(utf8(`{"ok":1}\n${line}\n`), "x.jsonl"),
        `x.jsonl:2: expected a JSON object, got ${kind}`,
      );
    }
  });

  it("rejects an empty file and a file of blank lines", () => {
    assertInputError(() => parseJsonl(new Uint8Array(0), "e.jsonl"), "e.jsonl: empty file (no JSON lines)");
    assertInputError(() => parseJsonl(utf8("\n  \n\r\n"), "e.jsonl"), "e.jsonl: empty file (no JSON lines)");
  });

  it("reports the line of the first non-UTF-8 byte", () => {
    const good = utf8('{"a":"ü"}\n{"b":2}\n');
    const bad = Uint8Array.from([
      ...good,
      ...utf8('{"c":"'),
      0xff,
      ...utf8('"}\n{"d":"'),
      0xfe,
      ...utf8('"}\n'),
    ]);
    assertInputError(() => parseJsonl(bad, "u.jsonl"), "u.jsonl:3: not valid UTF-8");
  });

  it("reports a multi-byte character cut off at the end of the file", () => {
    const bytes = Uint8Array.from([...utf8('{"a":1}\n{"a":2}\n{"b":"'), 0xc3]);
    assertInputError(() => parseJsonl(bytes, "t.jsonl"), "t.jsonl:3: not valid UTF-8");
  });
});

describe("readJsonl", () => {
  let dir = "";
  let cleanup = async () => {};
  before(async () => ({ dir, cleanup } = await makeTempDir()));
  after(() => cleanup());

  it("reads a file from disk", async () => {
    const path = await writeFixture(dir, "r.jsonl", '{"n":1}\n{"n":2}\n');
    assert.deepEqual(await readJsonl(path), [
      { line: 1, value: { n: 1 } },
      { line: 2, value: { n: 2 } },
    ]);
  });

  it("turns a missing file or a folder into a one-line InputError naming the path", async () => {
    const missing = `${dir}/nope.jsonl`;
    await assert.rejects(readJsonl(missing), new InputError(`${missing}: no such file`));
    await assert.rejects(readJsonl(dir), new InputError(`${dir}: is a directory, not a JSONL file`));
  });
});
