import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { unescapeFlagText } from "../../src/cli/escapes.js";
import { TINY } from "../audit/helpers.js";
import { oneLineError, runLitmus } from "./run-litmus.js";

const COMMANDS = [
  "audit",
  "merge",
  "report",
  "calibrate",
  "reproduce",
  "perturb",
  "recompute",
  "generate",
  "score",
  "serve",
];

describe("flags", () => {
  it("every flag of every command has a description in --help", async () => {
    const helps = await Promise.all(COMMANDS.map((c) => runLitmus([c, "--help"])));
    for (const [i, help] of helps.entries()) {
      assert.equal(help.code, 0, help.stderr);
      const flags = help.stdout.split("\n").filter((l) => /^\s+--[a-z]/.test(l));
      assert.ok(flags.length > 2, COMMANDS[i]);
      for (const line of flags) {
        const described = line
          .replace(/^\s+--[a-z0-9-]+(?:, -{1,2}[a-z0-9-]+)?/, "")
          .replace(/\[[^\]]*\]/g, "")
          .trim();
        assert.ok(described.length > 0, `${COMMANDS[i]}: ${line.trim()}`);
      }
    }
  });

  it("one default per meaning: nucleus sampling and the seeds agree across commands", async () => {
    const [audit, generate, perturb, calibrate] = await Promise.all(
      ["audit", "generate", "perturb", "calibrate"].map((c) => runLitmus([c, "--help"])),
    );
    const defaultOf = (help: string, flag: string) =>
      // The default may sit on a wrapped line of the flag's description, before the next flag.
      new RegExp(`--${flag}\\b(?:(?!\\n\\s+--)[\\s\\S])*?\\[default: ([^\\]]+)\\]`).exec(help)?.[1];
    assert.equal(defaultOf(audit!.stdout, "top-p"), defaultOf(generate!.stdout, "top-p"));
    for (const [help, flag] of [
      [audit, "seed"],
      [audit, "probe-seed"],
      [audit, "bootstrap-seed"],
      [generate, "seed"],
      [perturb, "probe-seed"],
      [calibrate, "bootstrap-seed"],
    ] as const)
      assert.equal(defaultOf(help!.stdout, flag), "1", flag);
  });

  it("suggests the flag meant when one is mistyped (exit 2, one line)", async () => {
    const r = await runLitmus(["audit", "--tempreature", "0.5"]);
    assert.equal(r.code, 2);
    assert.match(
      oneLineError(r) ?? "",
      /Unknown argument: tempreature \(--tempreature: did you mean --temperature\?\)/,
    );
  });

  it("reads \\n, \\t and \\\\ alike in every text flag", async () => {
    assert.equal(unescapeFlagText("a\\nb\\tc\\\\n\\q"), "a\nb\tc\\n\\q");
    // --text with an escaped newline scores exactly the text with a real one.
    const [escaped, real] = await Promise.all(
      ["Tom has 3 apples.\\nHe eats 1.", "Tom has 3 apples.\nHe eats 1."].map((text) =>
        runLitmus(["score", "--model", TINY, "--text", text, "--threads", "1", "--json"]),
      ),
    );
    assert.equal(escaped!.code, 0, escaped!.stderr);
    assert.deepEqual(JSON.parse(escaped!.stdout).token_ids, JSON.parse(real!.stdout).token_ids);
  });
});
