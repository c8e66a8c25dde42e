import type { AnalyzedProblem } from "../perturb/index.js";
import type { Edit } from "../types/index.js";
import type { Rng } from "../util/rng.js";
import { canonicalAnswer } from "./answer.js";
import { applyEdits } from "./edits.js";
import { FIRST_NAMES, namesOfGender } from "./names.js";
import type { ProbeFactory, ProbeOutcome } from "./types.js";

const WORD_CHAR = /[\p{L}\p{N}_]/u;
const isWordChar = (ch: string | undefined): boolean => ch !== undefined && WORD_CHAR.test(ch);
const isApostrophe = (ch: string | undefined): boolean => ch === "'" || ch === "’";

/** After a title the word is a surname ("Mr. James"), not the first name this probe renames. */
const TITLE_BEFORE = /\b(?:Mr|Mrs|Ms|Mx|Dr|Prof|St|Saint|Miss|Sir|Madam)\.?\s+$/;

interface NameSpan {
  start: number;
  end: number;
  /** The apostrophe of a bare possessive (`James'`), which the span includes. */
  bareApostrophe: string;
}

/**
 * Where `name` occurs in `text` as a word, or null when some occurrence cannot be renamed safely:
 * part of a compound ("Mary-Kate", "O'Neil") or after a title ("Mr. James" is a surname). Renaming
 * only some occurrences would make two people of one.
 */
function nameSpans(text: string, name: string): NameSpan[] | null {
  const spans: NameSpan[] = [];
  for (let at = text.indexOf(name); at >= 0; at = text.indexOf(name, at + 1)) {
    const before = text[at - 1];
    let end = at + name.length;
    const after = text[end];
    if (isWordChar(before) || isWordChar(after)) continue;
    if (isApostrophe(before) || before === "-" || after === "-") return null;
    if (TITLE_BEFORE.test(text.slice(Math.max(0, at - 12), at))) return null;
    let bareApostrophe = "";
    if (isApostrophe(after) && !isWordChar(text[end + 1])) {
      // `Janet'` is a closing quote or a typo, not a possessive; only names ending in s take a bare one.
      if (!name.endsWith("s")) return null;
      bareApostrophe = after as string;
      end++;
    }
    spans.push({ start: at, end, bareApostrophe });
  }
  return spans;
}

/** Edits writing `replacement` for `name` at every span: `James'` becomes `Kevin's`, not `Kevin'`. */
function renameEdits(text: string, name: string, replacement: string): Edit[] {
  const spans = nameSpans(text, name) ?? [];
  return spans.map(({ start, end, bareApostrophe }) => {
    const after =
      bareApostrophe === ""
        ? replacement
        : replacement + bareApostrophe + (replacement.endsWith("s") ? "" : "s");
    return { start, end, before: text.slice(start, end), after };
  });
}

/**
 * The known first names of the question, in order of appearance, and those of them that can be
 * renamed everywhere they occur in question and solution.
 */
function namesIn(question: string, solution: string): { known: string[]; renamable: string[] } {
  const words = question.match(/(?<![\p{L}\p{N}_])\p{Lu}\p{Ll}+(?![\p{L}\p{N}_])/gu) ?? [];
  const known = [...new Set(words)].filter((word) => FIRST_NAMES.has(word));
  const renamable = known.filter((name) => {
    const spans = nameSpans(question, name);
    return spans !== null && spans.length > 0 && nameSpans(solution, name) !== null;
  });
  return { known, renamable };
}

function apply(analyzed: AnalyzedProblem, rng: Rng): ProbeOutcome {
  const { question, answer: solution, finalAnswer } = analyzed.problem;
  const expected = canonicalAnswer(finalAnswer);
  if (expected === null) return { variants: [], reason: "unparseable_answer" };
  const { known, renamable } = namesIn(question, solution);
  if (renamable.length === 0)
    return { variants: [], reason: known.length === 0 ? "no_name" : "name_not_renamable" };
  const name = rng.pick(renamable);
  const gender = FIRST_NAMES.get(name) as NonNullable<ReturnType<typeof FIRST_NAMES.get>>;
  // A replacement already in the text would merge two people, or a person and a word, into one.
  const words = new Set(`${question}\n${solution}`.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? []);
  const unused = namesOfGender(gender).filter((other) => !words.has(other.toLowerCase()));
  if (unused.length === 0) return { variants: [], reason: "no_unused_name" };
  const replacement = rng.pick(unused);
  const edits = renameEdits(question, name, replacement);
  return {
    variants: [
      {
        kind: "first-name",
        question: applyEdits(question, edits),
        edits,
        expected,
        solution: applyEdits(solution, renameEdits(solution, name, replacement)),
      },
    ],
  };
}

/** Renames one person consistently in question and solution, keeping gender; the answer stays. */
export const rename: ProbeFactory = () => ({
  name: "rename",
  changesAnswer: false,
  params: { kind: "first-name" },
  apply,
});
