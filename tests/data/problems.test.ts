import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { GSM8K_FILES } from "../../src/data/gsm8k.js";
import { finalAnswerOf, loadProblems, parseProblems, problemHash } from "../../src/data/problems.js";
import { InputError } from "../../src/util/errors.js";
import { makeTempDir, problemLine, sharedGsm8kFile, writeFixture } from "../helpers/data-fixtures.js";

// Made-up problems: GSM8K text must never be copied into the repository.
const PENS_Q = "Ana has 3 pens and buys 4 more. How many pens does she have now?";
const PENS_A = "She has 3+4=<<3+4=7>>7 pens.\n#### 7";
const PENS_HASH = "c434e72eec0d3940c055fd22185ce7d8b6ec8055427b7cdd9927ad5fd97ded59";
const BUS_Q = "A bus carries 12 people and 5 get off. How many remain?";
const BUS_A = "12-5=<<12-5=7>>7 remain.\n####   7 \n";
const GOOD = [problemLine(PENS_Q, PENS_A), "", problemLine(BUS_Q, BUS_A), "", ""].join("\n");

const utf8 = (text: string) => new TextEncoder().encode(text);
const origin = { file: "data/mine.jsonl", source: "mine" };

async function assertRejectsWith(promise: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof InputError, `expected InputError, got ${String(err)}`);
    assert.equal(err.message, message);
    return true;
  });
}

describe("parseProblems", () => {
  it("builds problems with ids from the physical line, trimmed final answers and content hashes", () => {
    const problems = parseProblems(utf8(GOOD), origin);
    assert.deepEqual(problems, [
      {
        id: "mine:1",
        source: "mine",
        line: 1,
        question: PENS_Q,
        answer: PENS_A,
        finalAnswer: "7",
        hash: PENS_HASH,
      },
      {
        id: "mine:3",
        source: "mine",
        line: 3,
        question: BUS_Q,
        answer: BUS_A,
        finalAnswer: "7",
        hash: createHash("sha256").update(`${BUS_Q}\n${BUS_A}`).digest("hex"),
      },
    ]);
  });

  it("gives the same ids and hashes on every load, and a different hash when the text changes", () => {
    const first = parseProblems(utf8(GOOD), origin);
    const second = parseProblems(utf8(GOOD), origin);
    assert.deepEqual(second, first);
    assert.equal(problemHash(PENS_Q, PENS_A), PENS_HASH);
    assert.notEqual(problemHash(PENS_Q, PENS_A.replace("7 pens", "8 pens")), PENS_HASH);
    // The separator keeps text from shifting between the fields unnoticed.
    assert.notEqual(problemHash("ab", "c"), problemHash("a", "bc"));
  });

  it("ignores extra fields", () => {
    const line = JSON.stringify({ question: PENS_Q, answer: PENS_A, note: "x", level: 2 });
    const [problem] = parseProblems(utf8(line), origin);
    assert.equal(problem?.id, "mine:1");
    assert.equal(problem?.finalAnswer, "7");
  });
});

describe("parseProblems on malformed input", () => {
  const good = problemLine(PENS_Q, PENS_A);
  const cases: Array<[string, string, string | RegExp]> = [
    ["bad JSON", `${good}\n{"question": "x", "answer": }`, /^data\/mine\.jsonl:2: invalid JSON \(.+\)$/],
    [
      "missing question",
      `${good}\n\n${JSON.stringify({ answer: PENS_A })}`,
      'data/mine.jsonl:3: missing "question" field',
    ],
    ["missing answer", JSON.stringify({ question: PENS_Q }), 'data/mine.jsonl:1: missing "answer" field'],
    [
      "non-string question",
      JSON.stringify({ question: 12, answer: PENS_A }),
      'data/mine.jsonl:1: "question" must be a string, got a number',
    ],
    [
      "null answer",
      JSON.stringify({ question: PENS_Q, answer: null }),
      'data/mine.jsonl:1: "answer" must be a string, got null',
    ],
    ["empty question", problemLine("  ", PENS_A), 'data/mine.jsonl:1: "question" is empty'],
    [
      "answer without ####",
      `${good}\n${problemLine(PENS_Q, "She has 7 pens.")}`,
      'data/mine.jsonl:2: "answer" has no final "#### <answer>" line',
    ],
    [
      "text after the #### line",
      problemLine(PENS_Q, "#### 7\nShe has 7 pens."),
      'data/mine.jsonl:1: "answer" has text after its "#### <answer>" line',
    ],
    [
      "empty #### line",
      problemLine(PENS_Q, "She has 7 pens.\n####  "),
      'data/mine.jsonl:1: "answer" has an empty "####" line',
    ],
    ...["forty-two", "NaN", "1e400", "Infinity", "7 pens"].map((answer): [string, string, string] => [
      `final answer ${answer}`,
      problemLine(PENS_Q, `She has 7 pens.\n#### ${answer}`),
      `data/mine.jsonl:1: "answer": the final answer "${answer}" is not a number written in digits (e.g. "#### 42", "#### -3.5", "#### 1,200")`,
    ]),
    ["non-object line", `${good}\n["${PENS_Q}"]`, "data/mine.jsonl:2: expected a JSON object, got an array"],
    ["empty file", "", "data/mine.jsonl: empty file (no JSON lines)"],
  ];
  for (const [name, content, expected] of cases) {
    it(`${name} -> InputError naming file:line and the reason`, () => {
      assert.throws(
        () => parseProblems(utf8(content), origin),
        (err: unknown) => {
          assert.ok(err instanceof InputError, `expected InputError, got ${String(err)}`);
          if (typeof expected === "string") assert.equal(err.message, expected);
          else assert.match(err.message, expected);
          return true;
        },
      );
    });
  }

  it("non-UTF-8 bytes -> InputError naming the line of the first bad byte", () => {
    const bytes = Uint8Array.from([
      ...utf8(`${good}\n${good}\n{"question":"`),
      0xe2,
      0x28,
      ...utf8('","answer":"#### 1"}\n'),
    ]);
    assert.throws(() => parseProblems(bytes, origin), new InputError("data/mine.jsonl:3: not valid UTF-8"));
  });
});

describe("finalAnswerOf", () => {
  it("takes the text after the last line's ####, trimmed, ignoring trailing blank lines", () => {
    assert.deepEqual(finalAnswerOf("work\n#### 1,250\n\n"), { finalAnswer: "1,250" });
    assert.deepEqual(finalAnswerOf("####-3"), { finalAnswer: "-3" });
    assert.ok("reason" in finalAnswerOf("the answer is 5"));
    for (const ok of ["42", "-3.5", "$1,200", "12%", "3/4", ".5", "+7"])
      assert.deepEqual(finalAnswerOf(`#### ${ok}`), { finalAnswer: ok });
    for (const bad of ["1,20", "1e400", "NaN", "3/0", "4 apples"])
      assert.ok("reason" in finalAnswerOf(`#### ${bad}`), bad);
  });
});

describe("loadProblems", () => {
  let dir = "";
  let cleanup = async () => {};
  before(async () => ({ dir, cleanup } = await makeTempDir()));
  after(() => cleanup());

  it("names the source after the file's base name and reports errors against the path", async () => {
    const path = await writeFixture(dir, "my-set.v2.jsonl", GOOD);
    const problems = await loadProblems(path);
    assert.deepEqual(
      problems.map((p) => p.id),
      ["my-set.v2:1", "my-set.v2:3"],
    );
    const bad = await writeFixture(dir, "bad.jsonl", `${problemLine(PENS_Q, PENS_A)}\n{"answer":"#### 2"}\n`);
    await assertRejectsWith(loadProblems(bad), `${bad}:2: missing "question" field`);
    await assertRejectsWith(loadProblems(`${dir}/absent.jsonl`), `${dir}/absent.jsonl: no such file`);
  });
});

describe("the reference GSM8K files", () => {
  it("test.jsonl: 1,319 problems, sha256 as in the README and as pinned in the code", async () => {
    const bytes = await readFile(sharedGsm8kFile("test.jsonl"));
    const readme = await readFile(sharedGsm8kFile("README.md"), "utf8");
    const documented = /test\.jsonl\s+([0-9a-f]{64})/.exec(readme)?.[1];
    const actual = createHash("sha256").update(bytes).digest("hex");
    assert.equal(actual, documented);
    assert.equal(GSM8K_FILES.test.sha256, documented);

    const problems = await loadProblems(sharedGsm8kFile("test.jsonl"), "gsm8k-test");
    assert.equal(problems.length, 1319);
    assert.equal(problems.length, GSM8K_FILES.test.problems);
    assert.equal(problems[0]?.id, "gsm8k-test:1");
    assert.equal(problems.at(-1)?.id, "gsm8k-test:1319");
    assert.equal(new Set(problems.map((p) => p.hash)).size, 1319);
    assert.ok(problems.every((p) => p.finalAnswer !== "" && !p.finalAnswer.includes("#")));
  });

  it("train.jsonl: 7,473 problems and the pinned sha256", async () => {
    const path = sharedGsm8kFile("train.jsonl");
    const bytes = await readFile(path);
    assert.equal(createHash("sha256").update(bytes).digest("hex"), GSM8K_FILES.train.sha256);
    const problems = parseProblems(bytes, { file: path, source: "gsm8k-train" });
    assert.equal(problems.length, 7473);
    assert.equal(problems.length, GSM8K_FILES.train.problems);
  });
});
