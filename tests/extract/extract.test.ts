import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  cutAtStop,
  extractAll,
  extractAnswer,
  normalizeNumber,
  pipelineByName,
  sameNumber,
} from "../../src/extract/index.js";
import type { ExtractionRuleName } from "../../src/types/audit.js";
import { InputError } from "../../src/util/errors.js";

const QS = ["Question:"];
const QA = ["Q:"];

/** [completion, stop strings, flexible-extract answer, rule, strict-match answer]. Made-up text. */
const TABLE: Array<[string, string[], string | null, ExtractionRuleName | null, string | null]> = [
  // GSM8K solution format
  [" She sold 48/2 = <<48/2=24>>24 clips in May.\n#### 72", QS, "72", "hash-line", "72"],
  [
    " Total is 5+7=<<5+7=12>>12\n#### 12\n\nQuestion: A farmer has 9 cows...\nAnswer: 9*2=18\n#### 18",
    QS,
    "12",
    "hash-line",
    "12",
  ],
  [" First 3*4=12.\n#### 12\n#### 15", [], "12", "hash-line", "12"],
  [" The cost is $1,200.\n#### $1,200", QS, "1200", "hash-line", "1200"],
  [" #### 1,200.00", QS, "1200", "hash-line", "1200"],
  [" He owes 10-15=-5 dollars.\n#### -5", QS, "-5", "hash-line", "-5"],
  [" ####-5", QS, "-5", "hash-line", "-5"],
  [" Each share is 7.5\n#### 7.50", QS, "7.5", "hash-line", "7.5"],
  [" ####\n42", QS, "42", "hash-line", "42"],
  [" 2 + 2 = 4\n#### four", QS, "4", "last-number", null],
  [" So the total is 10 + 8 = 18 dollars.\n####", QS, "18", "last-number", null],
  [" #### 0", QS, "0", "hash-line", "0"],
  [" #### 1,000,000", QS, "1000000", "hash-line", "1000000"],
  // chain-of-thought format
  [" There are 4 + 3 = 7 birds. The answer is 7.", QA, "7", "answer-is", "7"],
  [" The answer is 5. Next, we add 10 more to get 15 total and 20 later.", QA, "5", "answer-is", "5"],
  [
    " 6 * 2 = 12. The answer is 12.\n\nQ: If Jill has 3 hats and buys 2, how many hats?\nA: The answer is 5.",
    QA,
    "12",
    "answer-is",
    "12",
  ],
  [" The answer is $1,200.", QA, "1200", "answer-is", "1200"],
  [" The answer is: 45", QA, "45", "answer-is", "45"],
  [" the answer is -3.", QA, "-3", "answer-is", "-3"],
  [" The final answer is 64.", QA, "64", "answer-is", "64"],
  [" The answer is **27**.", QA, "27", "answer-is", "27"],
  [" The answer is \\boxed{27}.", QA, "27", "answer-is", "27"],
  [" The answer is 1,200.00 dollars.", QA, "1200", "answer-is", "1200"],
  [" The answer is 0.5.", QA, "0.5", "answer-is", "0.5"],
  [" The answer is $.75.", QA, "0.75", "answer-is", "0.75"],
  [" The answer is 3/4.", QA, "0.75", "answer-is", "0.75"],
  [" The answer is twelve. She had 3 boxes.", QA, "3", "last-number", null],
  [" The answer is 8.\n#### 9", QA, "9", "hash-line", "9"],
  // zero-shot (qa) answers: the last number of the text before the stop string
  [" Tom has 4 - 1 = 3 apples left.", QS, "3", "last-number", null],
  [" She pays $1,200 in total.", QS, "1200", "last-number", null],
  [" He paid 1,200.00 dollars.", QS, "1200", "last-number", null],
  [" The temperature drops to -12 degrees.", QS, "-12", "last-number", null],
  [" He is now −4 points behind.", QS, "-4", "last-number", null],
  [" She lost -$5 on the deal.", QS, "-5", "last-number", null],
  [" The field is 20 m by 30 m, so 600 m^2.", QS, "600", "last-number", null],
  [" It takes 2.5 hours.", QS, "2.5", "last-number", null],
  [" 5-3=2 so two remain.", QS, "2", "last-number", null],
  // a minus with a space after it is the operator, not a sign of what follows
  [" He earns 11 - 9", QS, "9", "last-number", null],
  [" So he has 20 - 4.5", QS, "4.5", "last-number", null],
  [" The difference is 30 − $12", QS, "12", "last-number", null],
  [" That happened in COVID-19 times, so 7 weeks.", QS, "7", "last-number", null],
  [" 50% of 80 is 40%", QS, "40", "last-number", null],
  [" The price is £30 or €35.", QS, "35", "last-number", null],
  [
    " Each gets 12 cookies.\n\nQuestion: Sam has 10 pencils and loses 4.\nAnswer: 6",
    QS,
    "12",
    "last-number",
    null,
  ],
  [" I don't know how to solve this problem.", QS, null, null, null],
  ["", QS, null, null, null],
  [" \n\nQuestion: Lily has 5 cats.", QS, null, null, null],
  [" The answer is unknown because the question is unclear.", QA, null, null, null],
  [" There are twelve eggs in a dozen.", QS, null, null, null],
  [" Sum: 1,234 + 766 = 2,000.", QS, "2000", "last-number", null],
  [" The answer is 18.\n\nExercise 2: A train travels 60 km in 1 hour.", QS, "18", "answer-is", "18"],
  [
    " 3 x 4 = 12 students. Great job!\nFollow-up exercise 1: What if there were 5 groups?",
    QS,
    "5",
    "last-number",
    null,
  ],
  [" She has 5 apples.\nQ: How many pears?", QA, "5", "last-number", null],
];

describe("extraction table", () => {
  it("has at least 40 rows", () => assert.ok(TABLE.length >= 40, String(TABLE.length)));
  for (const [i, [completion, stop, answer, rule, strict]] of TABLE.entries()) {
    it(`row ${i + 1}: ${JSON.stringify(completion.slice(0, 50))}`, () => {
      const flexible = extractAnswer(completion, stop);
      assert.equal(flexible.pipeline, "flexible-extract");
      assert.equal(flexible.answer, answer);
      assert.equal(flexible.rule, rule);
      assert.equal(
        flexible.raw === null,
        answer === null,
        "raw text is kept exactly when there is an answer",
      );
      assert.equal(extractAnswer(completion, stop, "strict-match").answer, strict);
    });
  }
});

describe("extraction details", () => {
  it("keeps the matched text as written, and reports every pipeline side by side", () => {
    assert.deepEqual(extractAll(" She paid $1,200.00 in all", QS), [
      { pipeline: "strict-match", answer: null, rule: null, raw: null },
      { pipeline: "flexible-extract", answer: "1200", rule: "last-number", raw: "$1,200.00" },
    ]);
  });

  it("cuts at the earliest stop string of several", () => {
    assert.equal(cutAtStop("a 1 Q: b 2 Question: c 3", ["Question:", "Q:"]), "a 1 ");
    assert.equal(cutAtStop("no stop here", ["Q:"]), "no stop here");
  });

  it("refuses an unknown pipeline with an InputError", () => {
    assert.throws(
      () => pipelineByName("loose"),
      (e: unknown) => e instanceof InputError && /loose/.test(e.message),
    );
  });

  it("normalises numbers to canonical decimals", () => {
    const cases: Array<[string, string | null]> = [
      ["1,200", "1200"],
      ["$1,200.00", "1200"],
      ["-$5", "-5"],
      ["$-5", "-5"],
      ["\u22127", "-7"],
      [".5", "0.5"],
      ["007", "7"],
      ["-0", "0"],
      ["1/3", "1/3"],
      ["6/4", "1.5"],
      ["abc", null],
    ];
    for (const [raw, want] of cases) assert.equal(normalizeNumber(raw), want, raw);
  });

  it("compares answers exactly; no answer never matches", () => {
    assert.ok(sameNumber("18", "18.0"));
    assert.ok(sameNumber("0.1", "1/10"));
    assert.ok(!sameNumber("0.3", "0.30000000000000004"));
    assert.ok(!sameNumber(null, null));
    assert.ok(!sameNumber(null, "0"));
  });
});
