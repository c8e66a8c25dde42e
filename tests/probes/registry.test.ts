import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_PROBES, OPT_IN_PROBES, parseProbeList, probeFactories } from "../../src/probes/registry.js";
import { InputError } from "../../src/util/errors.js";

describe("probe registry", () => {
  it("knows the probes; the default list leaves out the opt-in ones", () => {
    assert.deepEqual(
      [...probeFactories.keys()],
      [
        "newline",
        "number-swap",
        "price-edit",
        "rename",
        "distractor",
        "format",
        "digit-expansion",
        "decimal",
      ],
    );
    assert.equal(DEFAULT_PROBES, "newline,number-swap,price-edit,rename");
    assert.deepEqual([...OPT_IN_PROBES], ["distractor", "format", "digit-expansion", "decimal"]);
    for (const [name, factory] of probeFactories) assert.equal(factory().name, name);
  });

  it("builds the listed probes in the listed order, ignoring spaces", () => {
    const probes = parseProbeList(" rename , newline,number-swap");
    assert.deepEqual(
      probes.map((p) => [p.name, p.changesAnswer]),
      [
        ["rename", false],
        ["newline", false],
        ["number-swap", true],
      ],
    );
  });

  it("rejects an unknown name with the list of known ones", () => {
    assert.throws(
      () => parseProbeList("newline,pizza"),
      (err: unknown) =>
        err instanceof InputError &&
        err.message ===
          'unknown probe "pizza"; known probes: newline, number-swap, price-edit, rename, distractor, format, digit-expansion, decimal',
    );
  });

  it("rejects an empty list, an empty entry and a repeated probe", () => {
    assert.throws(
      () => parseProbeList(""),
      (err: unknown) => err instanceof InputError && /no probes given/.test(err.message),
    );
    assert.throws(
      () => parseProbeList("newline,,rename"),
      (err: unknown) => err instanceof InputError && /empty name/.test(err.message),
    );
    assert.throws(
      () => parseProbeList("newline,newline"),
      (err: unknown) => err instanceof InputError && /"newline" is listed twice/.test(err.message),
    );
  });
});
