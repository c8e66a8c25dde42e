import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { alignQuantities, recomputeEdited } from "../../src/recompute/index.js";
import { makeTempDir, problemLine, writeFixture } from "../helpers/data-fixtures.js";
import { MADE_UP } from "../probes/fixtures.js";
import { type CliResult, oneLineError, runLitmus } from "./run-litmus.js";

const PIZZA = MADE_UP[0] as { question: string; answer: string };
const EGGS = {
  question: "A box holds 12 eggs. Sam buys 2 dozen eggs and 12 more eggs. How many eggs does Sam have?",
  answer: "Two dozen is 2 * 12 = <<2*12=24>>24 eggs.\nSam has 24 + 12 = <<24+12=36>>36 eggs.\n#### 36",
};
const ALGEBRA = MADE_UP[5] as { question: string; answer: string };
const CATS = {
  question:
    "Tom is 30 years old and has 3 cats. Each cat eats 2 cans a day. How many cans do the cats eat a day?",
  answer: "The cats eat 3 * 2 = <<3*2=6>>6 cans a day.\n#### 6",
};
const SHOP = {
  question: "A shop opens at 9 am and closes at 5 pm. How many hours is it open?",
  answer: "It is open 17 - 9 = <<17-9=8>>8 hours.\n#### 8",
};
const APPLES = {
  question: "Ann has 12 apples. She eats 1/4 of them. How many apples are left?",
  answer: "She eats 12/4 = <<12/4=3>>3 apples.\nShe has 12 - 3 = <<12-3=9>>9 left.\n#### 9",
};

describe("recomputeEdited", () => {
  it("recomputes a pizza-price edit (worked by hand: 2 * $15 + 4 * $3 = $42)", () => {
    assert.deepEqual(recomputeEdited(PIZZA, PIZZA.question.replace("$12", "$15")), {
      answer: "42",
      reason: null,
    });
    // 2 * $12.50 + 4 * $3 = $37: a whole price may become one with cents.
    assert.deepEqual(recomputeEdited(PIZZA, PIZZA.question.replace("$12", "$12.50")), {
      answer: "37",
      reason: null,
    });
    // 2 * $12 + 5 * $4 = $44: two quantities at once.
    const both = PIZZA.question.replace("$3", "$4").replace("4 drinks", "5 drinks");
    assert.deepEqual(recomputeEdited(PIZZA, both), { answer: "44", reason: null });
  });

  it("gives the original answer when only whitespace or the writing of a value changed", () => {
    assert.deepEqual(recomputeEdited(PIZZA, PIZZA.question.replace(". ", ".\n  ")), {
      answer: "36",
      reason: null,
    });
    // 30 is never read by the solution, yet rewriting it as 30.0 changes nothing.
    assert.deepEqual(recomputeEdited(CATS, CATS.question.replace("30 years", "30.0 years")), {
      answer: "6",
      reason: null,
    });
    // The algebra problem cannot be lifted, but an unchanged question needs no lift.
    assert.deepEqual(recomputeEdited(ALGEBRA, `  ${ALGEBRA.question}`), { answer: "13", reason: null });
  });

  it("refuses edits that change more than quantities", () => {
    const notAligned = { answer: null, reason: "not_aligned" };
    assert.deepEqual(recomputeEdited(PIZZA, PIZZA.question.replace("pizzas", "pies")), notAligned);
    assert.deepEqual(recomputeEdited(PIZZA, PIZZA.question.replace("$12", "twelve dollars")), notAligned);
    assert.deepEqual(recomputeEdited(PIZZA, PIZZA.question.replace(" and a drink costs $3", "")), notAligned);
    // 5 pm is also 17 in the solution; 5 am is not.
    assert.deepEqual(recomputeEdited(SHOP, SHOP.question.replace("5 pm", "5 am")), notAligned);
  });

  it("recomputes a changed time through its 24-hour form (6 pm - 9 am = 9 hours)", () => {
    assert.deepEqual(recomputeEdited(SHOP, SHOP.question.replace("5 pm", "6 pm")), {
      answer: "9",
      reason: null,
    });
  });

  it("refuses when the changed number could be a constant the solution also uses", () => {
    const edited = EGGS.question.replace("holds 12", "holds 10");
    assert.deepEqual(recomputeEdited(EGGS, edited), { answer: null, reason: "ambiguous_binding" });
  });

  it("refuses problems the engine cannot lift, with the lift's reason", () => {
    const edited = ALGEBRA.question.replace("7 more", "8 more");
    assert.deepEqual(recomputeEdited(ALGEBRA, edited), { answer: null, reason: "not_perturbable:algebra" });
  });

  it("refuses a change to a number the solution never reads", () => {
    const edited = CATS.question.replace("30 years", "40 years");
    assert.deepEqual(recomputeEdited(CATS, edited), { answer: null, reason: "unused_quantity" });
  });

  it("refuses a fraction it cannot write back rather than guess", () => {
    const result = recomputeEdited(APPLES, APPLES.question.replace("1/4", "1/3"));
    assert.equal(result.answer, null);
  });
});

describe("alignQuantities", () => {
  it("pairs quantities when only their values differ", () => {
    const pairs = alignQuantities("Tom buys 3 pens for $2.", "Tom  buys 30 pens for $2.50.");
    assert.deepEqual(
      pairs?.map((p) => [p.original.text, p.edited.text]),
      [
        ["3", "30"],
        ["$2", "$2.50"],
      ],
    );
    assert.equal(alignQuantities("Tom buys 3 pens.", "Tom buys 3 red pens."), null);
    assert.equal(alignQuantities("Tom buys 3 pens.", "Tom buys 3 pens and 2 caps."), null);
    assert.equal(alignQuantities("Tom buys 3 pens for $2.", "Tom buys 3 pens for 2."), null);
  });
});

describe("litmus recompute", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let originals: string;
  let edited: string;

  before(async () => {
    ({ dir, cleanup } = await makeTempDir());
    const pairs: Array<[{ question: string; answer: string }, string]> = [
      [PIZZA, PIZZA.question.replace("$12", "$15")],
      [PIZZA, PIZZA.question.replace("pizzas", "pies")],
      [EGGS, EGGS.question.replace("holds 12", "holds 10")],
      [ALGEBRA, ALGEBRA.question.replace("7 more", "8 more")],
      [PIZZA, PIZZA.question],
    ];
    originals = await writeFixture(
      dir,
      "a.jsonl",
      pairs.map(([p]) => problemLine(p.question, p.answer)).join("\n"),
    );
    edited = await writeFixture(
      dir,
      "b.jsonl",
      pairs.map(([, q]) => JSON.stringify({ question: q })).join("\n"),
    );
  });
  after(() => cleanup());

  const EXPECTED =
    [
      '{"answer":"42","reason":null}',
      '{"answer":null,"reason":"not_aligned"}',
      '{"answer":null,"reason":"ambiguous_binding"}',
      '{"answer":null,"reason":"not_perturbable:algebra"}',
      '{"answer":"36","reason":null}',
    ].join("\n") + "\n";

  it("writes one result per line to stdout, or to --out", async () => {
    const result = await runLitmus(["recompute", "--original", originals, "--edited", edited]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, EXPECTED);
    const out = join(dir, "answers.jsonl");
    const toFile = await runLitmus(["recompute", "--original", originals, "--edited", edited, "--out", out]);
    assert.equal(toFile.code, 0, toFile.stderr);
    assert.equal(await readFile(out, "utf8"), EXPECTED);
    assert.match(toFile.stderr, /recomputed 2 of 5 \(3 refused\)/);
  });

  it("exits 2 with one line for bad input", async () => {
    const short = await writeFixture(dir, "short.jsonl", JSON.stringify({ question: PIZZA.question }));
    const noQuestion = await writeFixture(
      dir,
      "bad.jsonl",
      `${JSON.stringify({ question: "x" })}\n{"q": 1}\n`,
    );
    const cases: Array<[string[], RegExp]> = [
      [
        ["--original", originals, "--edited", short],
        /a\.jsonl has 5 problems but .*short\.jsonl has 1 questions/,
      ],
      [["--original", join(dir, "nope.jsonl"), "--edited", edited], /nope\.jsonl: no such file/],
      [
        ["--original", originals, "--edited", noQuestion],
        /bad\.jsonl:2: "question" must be a non-empty string/,
      ],
      [["--original", originals], /Missing required argument: edited/],
    ];
    // Independent runs: started together to keep the suite quick.
    const results = await Promise.all(cases.map(([args]) => runLitmus(["recompute", ...args])));
    for (const [i, [args, message]] of cases.entries()) {
      const result = results[i] as CliResult;
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      const line = oneLineError(result);
      assert.ok(line, `one line on stderr: ${result.stderr}`);
      assert.match(line, message);
    }
  });
});
