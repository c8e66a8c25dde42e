import type { ExtractionRuleName } from "../types/audit.js";
import { FREE_NUMBER, NUMBER_SOURCE } from "./numbers.js";

/** One extraction rule: finds the text of a number in a completion, or null. */
export interface ExtractionRule {
  name: ExtractionRuleName;
  description: string;
  find(text: string): string | null;
}

// Strict rules take the FIRST match, as lm-evaluation-harness's take_first does: once a model has
// written its final answer, later markers belong to whatever it rambles on about.
const HASH_LINE = new RegExp(`####\\s*(${NUMBER_SOURCE})`);
const ANSWER_IS = new RegExp(
  `\\bthe (?:final )?answer is\\s*[:=]?\\s*(?:\\*\\*|\\\\boxed\\{)?\\s*(${NUMBER_SOURCE})`,
  "i",
);

export const RULES: Readonly<Record<ExtractionRuleName, ExtractionRule>> = {
  "hash-line": {
    name: "hash-line",
    description: 'the number after the first "####" (GSM8K solution format)',
    find: (text) => HASH_LINE.exec(text)?.[1] ?? null,
  },
  "answer-is": {
    name: "answer-is",
    description: 'the number after the first "The answer is" (chain-of-thought format), case-insensitive',
    find: (text) => ANSWER_IS.exec(text)?.[1] ?? null,
  },
  "last-number": {
    name: "last-number",
    description: "the last free-standing number in the text",
    find: (text) => {
      let last: string | null = null;
      for (const m of text.matchAll(FREE_NUMBER)) last = m[0];
      return last;
    },
  },
};
