import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseJsonPrefix } from "../../src/openai/json-prefix.js";

describe("parseJsonPrefix: the value of a JSON text cut short", () => {
  const whole = {
    id: "c",
    choices: [{ index: 0, text: 'a "q" \\ é 𝄞 end', logprobs: null, n: -1.5e-3, ok: true }],
    usage: { prompt_tokens: 3 },
  };
  const text = JSON.stringify(whole);

  it("parses a whole text as JSON.parse does", () => {
    assert.deepEqual(parseJsonPrefix(text), whole);
  });

  it("at every cut, keeps what came before it (strings cut to a prefix), never a wrong value", () => {
    let sawWholeText = false;
    for (let cut = 1; cut < text.length; cut++) {
      const value = parseJsonPrefix(text.slice(0, cut)) as typeof whole;
      assert.equal(typeof value, "object", `cut ${cut}`);
      // A string the cut reached keeps its start.
      if (value.id !== undefined) assert.ok("c".startsWith(value.id), `cut ${cut}`);
      const choice = value.choices?.[0];
      if (choice?.text !== undefined)
        assert.ok(whole.choices[0]!.text.startsWith(choice.text), `cut ${cut}: ${choice.text}`);
      // A number or literal the cut reached is dropped, not read as a shorter one.
      if (choice?.n !== undefined) assert.equal(choice.n, -1.5e-3, `cut ${cut}`);
      if (choice?.ok !== undefined) assert.equal(choice.ok, true, `cut ${cut}`);
      if (choice?.text === whole.choices[0]!.text) sawWholeText = true;
    }
    assert.ok(sawWholeText, "cuts after the text keep all of it");
  });

  it("drops an escape the cut split (\\u00e9, \\\\)", () => {
    assert.equal(parseJsonPrefix('"ab\\u00'), "ab");
    assert.equal(parseJsonPrefix('"ab\\'), "ab");
    assert.equal(parseJsonPrefix('"ab\\\\'), "ab\\");
    assert.equal(parseJsonPrefix('"ab\\u00e9c'), "abéc");
  });

  it("throws on a syntax error before the cut", () => {
    assert.throws(() => parseJsonPrefix('{"a": nope'), SyntaxError);
    assert.throws(() => parseJsonPrefix("<html>"), SyntaxError);
  });
});
