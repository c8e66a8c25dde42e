import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { splitSentences } from "../../src/probes/sentences.js";

const split = (text: string): string[] => splitSentences(text).map((s) => text.slice(s.start, s.end));

describe("splitSentences", () => {
  it("splits after . ? and ! followed by a capital, a digit or a quote", () => {
    assert.deepEqual(split("Ann has 3 cats. Does she have dogs? Yes! 2 of them."), [
      "Ann has 3 cats.",
      "Does she have dogs?",
      "Yes!",
      "2 of them.",
    ]);
  });

  it("keeps decimals and money amounts inside a sentence", () => {
    assert.deepEqual(
      split("A pen costs $1.50 and weighs 2.5 grams. Ann buys 3.25 kg for $10.75. How much?"),
      ["A pen costs $1.50 and weighs 2.5 grams.", "Ann buys 3.25 kg for $10.75.", "How much?"],
    );
  });

  it("does not split after titles and other abbreviations", () => {
    const text =
      "Mr. Smith met Mrs. Jones and Ms. Lee on Oak St. Tuesday. Dr. Brown and Tom Jr. came. It was Reds vs. Blues. How many came?";
    assert.deepEqual(split(text), [
      "Mr. Smith met Mrs. Jones and Ms. Lee on Oak St. Tuesday.",
      "Dr. Brown and Tom Jr. came.",
      "It was Reds vs. Blues.",
      "How many came?",
    ]);
  });

  it("does not split after etc. or before a lower-case word", () => {
    assert.deepEqual(
      split("He buys pens, pencils, etc. Then he goes home. It costs $5 a.m. and p.m. alike."),
      ["He buys pens, pencils, etc. Then he goes home.", "It costs $5 a.m. and p.m. alike."],
    );
  });

  it("splits after closing quotes, but not inside a quoted sentence that goes on", () => {
    assert.deepEqual(
      split('Tom said, "I have 4 apples." Then he ate one. "Wow!" said Ann. How many are left?'),
      ['Tom said, "I have 4 apples."', "Then he ate one.", '"Wow!" said Ann.', "How many are left?"],
    );
    assert.deepEqual(split("Ann said \u201cI\u2019m 9.\u201d Ben is 7."), [
      "Ann said \u201cI\u2019m 9.\u201d",
      "Ben is 7.",
    ]);
  });

  it("treats a lone capital as an initial after a name or an initial, and as a label otherwise", () => {
    assert.deepEqual(split("J. K. Smith and John F. Lee sold 5 books. Box A. Box B holds 4."), [
      "J. K. Smith and John F. Lee sold 5 books.",
      "Box A.",
      "Box B holds 4.",
    ]);
  });

  it("reports the gap before each sentence and leaves outer whitespace out", () => {
    const text = "  One cat.\n\nTwo dogs.  ";
    const sentences = splitSentences(text);
    assert.deepEqual(
      sentences.map((s) => [text.slice(s.gapStart, s.start), text.slice(s.start, s.end)]),
      [
        ["", "One cat."],
        ["\n\n", "Two dogs."],
      ],
    );
    assert.deepEqual(splitSentences("   "), []);
  });
});
