/**
 * The hand-made held-out corpus of number edits of GSM8K train problems
 * (tests/fixtures/train-edits/*.jsonl): line references, the edits and hand-worked answers, never
 * the GSM8K text, which is read from ../shared/gsm8k/train.jsonl.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const CORPUS_DIR = fileURLToPath(new URL("../../../tests/fixtures/train-edits/", import.meta.url));

export const CAUSES = [
  "computed-equals-question",
  "unwritten-count",
  "equal-values",
  "percent-equals-subtotal",
  "implausible",
  "prose-arithmetic",
  "plain",
] as const;
export type Cause = (typeof CAUSES)[number];

export interface CorpusEdit {
  /** The number as written in the question ("$6", "25%", "five"). */
  from: string;
  /** Which whole-number occurrence of `from` (0-based). */
  occurrence: number;
  to: string;
}

export interface CorpusCase {
  file: string;
  /** 1-based line of ../shared/gsm8k/train.jsonl. */
  line: number;
  edits: CorpusEdit[];
  /** The answer of the edited problem worked out by hand, or "impossible". */
  answer: string;
  cause: Cause;
  work: string;
  /** What `litmus recompute` gives: the answer, or `refused:<reason code>`. */
  recompute: string;
}

export function loadCorpus(): CorpusCase[] {
  const cases: CorpusCase[] = [];
  for (const file of readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith(".jsonl"))
    .sort()) {
    const text = readFileSync(join(CORPUS_DIR, file), "utf8");
    for (const [i, line] of text.trimEnd().split("\n").entries()) {
      const record = JSON.parse(line) as Omit<CorpusCase, "file">;
      if (!CAUSES.includes(record.cause)) throw new Error(`${file}:${i + 1}: unknown cause ${record.cause}`);
      cases.push({ file, ...record });
    }
  }
  return cases;
}

const escapeRegExp = (s: string): string => s.replace(/[$.*+?()[\]\\|^{}]/g, "\\$&");

/**
 * Applies the edits to a question. An occurrence counts `from` where it stands as a whole number:
 * a number word between word boundaries; digits not inside a longer number (`5` in `15`, `5.5`,
 * `5,000` or `1/5` does not count), while a `$` before or a `%` after does not matter.
 */
export function applyCorpusEdits(question: string, edits: readonly CorpusEdit[]): string {
  const spans = edits.map((edit) => {
    const pattern = /^[a-z]/i.test(edit.from)
      ? `\\b${escapeRegExp(edit.from)}\\b`
      : `(?<![\\d.,]|\\d/)${escapeRegExp(edit.from)}(?![\\d]|[.,/]\\d)`;
    const match = [...question.matchAll(new RegExp(pattern, "g"))][edit.occurrence];
    if (match?.index === undefined) throw new Error(`no occurrence ${edit.occurrence} of "${edit.from}"`);
    return { start: match.index, end: match.index + match[0].length, to: edit.to };
  });
  spans.sort((a, b) => b.start - a.start);
  let out = question;
  for (const s of spans) out = out.slice(0, s.start) + s.to + out.slice(s.end);
  return out;
}
