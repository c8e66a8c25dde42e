import type { ExtractionRuleName } from "../types/audit.js";
import { FREE_NUMBER, NUMBER_SOURCE } from "./numbers.js";

/** Where a rule found its number: the text as written and the offset just after it. */
export interface RuleMatch {
  raw: string;
  end: number;
}

/** One extraction rule: finds a number in a completion, or null. */
export interface ExtractionRule {
  name: ExtractionRuleName;
  description: string;
  find(text: string): RuleMatch | null;
}

function groupMatch(m: RegExpExecArray | null): RuleMatch | null {
  const raw = m?.[1];
  if (!m || raw === undefined) return null;
  return { raw, end: m.index + m[0].length };
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
    find: (text) => groupMatch(HASH_LINE.exec(text)),
  },
  "answer-is": {
    name: "answer-is",
    description: 'the number after the first "The answer is" (chain-of-thought format), case-insensitive',
    find: (text) => groupMatch(ANSWER_IS.exec(text)),
  },
  "last-number": {
    name: "last-number",
    description: "the last free-standing number in the text",
    find: (text) => {
      let last: RuleMatch | null = null;
      for (const m of text.matchAll(FREE_NUMBER)) last = { raw: m[0], end: (m.index ?? 0) + m[0].length };
      return last;
    },
  },
};
