import type { AnalyzedProblem } from "../perturb/index.js";
import type { Edit } from "../types/index.js";
import { canonicalAnswer } from "./answer.js";
import { applyEdits, editOf } from "./edits.js";
import { type Sentence, splitSentences } from "./sentences.js";
import type { ProbeFactory, ProbeOutcome, ProbeVariant } from "./types.js";

/** The reformattings, each a function from the question to the edits it makes (none: no variant). */
const KINDS: ReadonlyArray<[kind: string, edits: (text: string) => Edit[]]> = [
  ["sentence-breaks", sentenceBreaks],
  ["break-before-question", breakBeforeQuestion],
  ["collapse-whitespace", collapseWhitespace],
];

/** A line break in every gap between sentences that has none yet. */
function sentenceBreaks(text: string): Edit[] {
  return splitSentences(text)
    .slice(1)
    .filter((s) => !hasLineBreak(text, s))
    .map((s) => editOf(text, s.gapStart, s.start, "\n"));
}

/**
 * A line break before the question being asked: the last sentence with a question mark, else
 * the last sentence ("Find the total cost."). A question of one sentence has nothing to break.
 */
function breakBeforeQuestion(text: string): Edit[] {
  const sentences = splitSentences(text);
  const asking = sentences.findLastIndex((s) => text.slice(s.start, s.end).includes("?"));
  const index = asking >= 0 ? asking : sentences.length - 1;
  const target = sentences[index];
  if (index < 1 || !target || hasLineBreak(text, target)) return [];
  return [editOf(text, target.gapStart, target.start, "\n")];
}

/** Line breaks, tabs and runs of spaces inside the text become one space; the ends stay as they are. */
function collapseWhitespace(text: string): Edit[] {
  const edits: Edit[] = [];
  const last = text.trimEnd().length;
  for (const m of text.matchAll(/\s+/g)) {
    const start = m.index ?? 0;
    if (start === 0 || start + m[0].length >= last || m[0] === " ") continue;
    edits.push(editOf(text, start, start + m[0].length, " "));
  }
  return edits;
}

function hasLineBreak(text: string, sentence: Sentence): boolean {
  return /[\r\n]/.test(text.slice(sentence.gapStart, sentence.start));
}

function apply(analyzed: AnalyzedProblem): ProbeOutcome {
  const { problem } = analyzed;
  const expected = canonicalAnswer(problem.finalAnswer);
  if (expected === null) return { variants: [], reason: "unparseable_answer" };
  const variants: ProbeVariant[] = [];
  for (const [kind, editsOf] of KINDS) {
    const edits = editsOf(problem.question);
    if (edits.length === 0) continue;
    variants.push({
      kind,
      question: applyEdits(problem.question, edits),
      edits,
      expected,
      solution: problem.answer,
    });
  }
  return variants.length > 0 ? { variants } : { variants, reason: "nothing_to_reformat" };
}

/**
 * Reformatting that keeps the answer: line breaks between sentences, before the question, or
 * whitespace collapsed. Needs no lifted program, so it covers problems the engine cannot lift.
 */
export const newline: ProbeFactory = () => ({
  name: "newline",
  changesAnswer: false,
  params: { kinds: KINDS.map(([kind]) => kind) },
  apply,
});
