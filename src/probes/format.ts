import type { AnalyzedProblem } from "../perturb/index.js";
import type { QuestionWrapper, WrapperEdit } from "../types/index.js";
import type { Rng } from "../util/rng.js";
import { canonicalAnswer } from "./answer.js";
import type { ProbeContext, ProbeFactory, ProbeOutcome, ProbeVariant } from "./types.js";

/**
 * One change of the asked question's wrapper: a rewrite of the prompt format's text before the
 * question, after it, or both (each listed side must match). A format whose text does not match
 * gets no variant of this kind, counted under `refusal`.
 */
interface WrapperRule {
  kind: string;
  before?: readonly [match: RegExp, replacement: string];
  after?: readonly [match: RegExp, replacement: string];
  refusal: string;
}

/**
 * The wrapper changes, as data. The phi-1.5 finding was a line break; these are its kin around the
 * question rather than inside it: a blank line before the answer cue, the other pair of labels
 * (lm-evaluation-harness's gsm8k_cot writes `Q:`/`A:`, its gsm8k `Question:`/`Answer:`), and two
 * trailing spaces at the end of the question's line (a copy-paste artefact, and a Markdown line
 * break). The prompt still ends with the format's answer cue, so the model's first token starts
 * where it did.
 */
export const WRAPPER_RULES: readonly WrapperRule[] = [
  {
    kind: "blank-line-before-answer",
    after: [/^\n(?=(?:Answer|A):)/, "\n\n"],
    refusal: "no_answer_line",
  },
  {
    kind: "short-labels",
    before: [/(^|\n)Question: $/, "$1Q: "],
    after: [/^\nAnswer:/, "\nA:"],
    refusal: "no_question_answer_labels",
  },
  {
    kind: "long-labels",
    before: [/(^|\n)Q: $/, "$1Question: "],
    after: [/^\nA:/, "\nAnswer:"],
    refusal: "no_q_a_labels",
  },
  {
    kind: "trailing-spaces",
    after: [/^(?=\r?\n)/, "  "],
    refusal: "no_line_break_after_question",
  },
];

/** The edits a rule makes to a wrapper, or null when a side it rewrites does not match. */
export function wrapperEdits(rule: WrapperRule, wrapper: QuestionWrapper): WrapperEdit[] | null {
  const edits: WrapperEdit[] = [];
  for (const side of ["before", "after"] as const) {
    const rewrite = rule[side];
    if (!rewrite) continue;
    const [match, replacement] = rewrite;
    if (!match.test(wrapper[side])) return null;
    edits.push({ side, before: wrapper[side], after: wrapper[side].replace(match, replacement) });
  }
  return edits;
}

function apply(analyzed: AnalyzedProblem, _rng: Rng, context?: ProbeContext): ProbeOutcome {
  const { problem } = analyzed;
  const expected = canonicalAnswer(problem.finalAnswer);
  if (expected === null) return { variants: [], reason: "unparseable_answer" };
  const format = context?.promptFormat;
  if (!format) return { variants: [], reason: "no_prompt_format" };
  if (format.chat) return { variants: [], reason: "chat_prompts_have_no_text_wrapper" };
  if (!format.wrapper) return { variants: [], reason: "question_placeholder_repeated" };
  const variants: ProbeVariant[] = [];
  const refused: Record<string, number> = {};
  for (const rule of WRAPPER_RULES) {
    const wrapper = wrapperEdits(rule, format.wrapper);
    if (!wrapper) {
      refused[rule.refusal] = (refused[rule.refusal] ?? 0) + 1;
      continue;
    }
    variants.push({
      kind: rule.kind,
      question: problem.question,
      edits: [],
      expected,
      solution: problem.answer,
      wrapper,
    });
  }
  return variants.length > 0 ? { variants, refused } : { variants, reason: "no_wrapper_to_change", refused };
}

/**
 * The question as it is, asked in a changed wrapper: the prompt format's text around the question
 * (never the exemplars, so the few-shot block every prompt shares stays as it is). The answer is
 * the original's; which kinds a format gets depends on its text (`qa` has no `Q:` to lengthen).
 */
export const format: ProbeFactory = () => ({
  name: "format",
  changesAnswer: false,
  params: { kinds: WRAPPER_RULES.map((r) => r.kind) },
  apply,
});
