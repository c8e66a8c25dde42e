/**
 * Records that cross module boundaries. Each pipeline stage reads the previous stage's records:
 * problems -> variants -> generations -> scores -> report.
 */

/** One GSM8K-format problem as loaded from a data set. */
export interface Problem {
  /** Stable id: `<source>:<line>` where line is the 1-based line of the JSONL file. */
  id: string;
  /** Data set name, e.g. `gsm8k-test` or the file's base name. */
  source: string;
  /** 1-based line number in the source file. */
  line: number;
  question: string;
  /** Worked solution with `<<expr=result>>` annotations and a final `#### answer` line. */
  answer: string;
  /** The text after `####`, trimmed. */
  finalAnswer: string;
  /** sha256 (hex) of the question and answer, so a changed problem under the same id is noticed. */
  hash: string;
}

/** A replaced span of the original question. Offsets are UTF-16 indices into the original text. */
export interface Edit {
  start: number;
  end: number;
  before: string;
  after: string;
}

/**
 * The literal text a prompt template puts right before `{question}` (from the previous placeholder
 * or the start) and right after it (to the next placeholder or the end): the asked question's
 * wrapper, e.g. `Question: ` and `\nAnswer:` in the `qa` format.
 */
export interface QuestionWrapper {
  before: string;
  after: string;
}

/**
 * A format variant's change of the asked question's wrapper: the text on one `side` of the question
 * was `before` in the prompt format and is `after` in this variant's prompt.
 */
export interface WrapperEdit {
  side: "before" | "after";
  before: string;
  after: string;
}

/** A probe's perturbation of one problem, with its recomputed expected answer. */
export interface Variant {
  /** `<problemId>/<probe>/<kind>/<index>` */
  id: string;
  problemId: string;
  probe: string;
  /** The named sub-kind of the probe, e.g. `sentence-breaks` or `one-quantity`. */
  kind: string;
  question: string;
  edits: Edit[];
  /** Expected final answer of the variant, as a canonical decimal string. */
  expected: string;
  /** Final answer of the original problem (canonical decimal string). */
  originalAnswer: string;
  /** The worked solution rewritten for the variant (annotations and `####` line updated). */
  solution: string;
  answerChanged: boolean;
  /**
   * Only for variants that keep the question and change the prompt around it (the `format` probe):
   * how the prompt format's text around the question changes when this variant is asked.
   */
  wrapper?: WrapperEdit[];
  /** The seed the probe ran with for this problem. */
  seed: number;
  /**
   * With `--instances K`: which of the problem's K number instantiations by this probe (and kind)
   * the variant is, from 1. Absent without `--instances`, so such runs keep their records.
   */
  instance?: number;
}
