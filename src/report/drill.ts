/**
 * The drill-down records: per problem, its original and its variants, each with the exact prompt
 * the model was given, the edits its probe recorded, and every completion with its extraction rule
 * and where the extracted number sits in its text. The page embeds these for every completion of a
 * run, so they are compact arrays, and text that many prompts share (a few-shot exemplar block, the
 * template's words around the question) is stored once, in `DrillTables.texts`.
 */
import type { StoredRow, StoredRun } from "../audit/records.js";
import { isStaleAnswer } from "../audit/samples.js";
import type { AuditSummary } from "../audit/summary.js";
import { answerSpan, RULES } from "../extract/index.js";
import { ORIGINAL } from "../metrics/index.js";
import { applyEdits } from "../probes/edits.js";
import type { Edit, Variant } from "../types/index.js";

/** Completion status in the drill-down: 0 wrong, 1 right, 2 stale (the original answer on a changed problem). */
export type CompletionStatus = 0 | 1 | 2;

/**
 * [sample index (-1 for greedy), text, extracted answer or null, status, extraction rule (index
 * into `DrillTables.rules`, -1: none matched), start and end of the extracted number in the text
 * (-1, -1: not located, e.g. a program's answer)].
 */
export type CompactCompletion = [number, string, string | null, CompletionStatus, number, number, number];

/** A recorded edit: `[start, end)` of the original question, replaced by the text. */
export type CompactEdit = [number, number, string];

/** Where the unit's question goes among a prompt's pieces (the others index `DrillTables.texts`). */
export const QUESTION_PIECE = -1;

/** One prompt of a problem: the original or a variant, with its completions. */
export interface DrillUnit {
  /** `original` or the probe. */
  p: string;
  /** Probe kind (null for the original). */
  k: string | null;
  /** Variant id (null for the original). */
  id: string | null;
  /**
   * The variant's question when its recorded edits do not reproduce it from the original (then no
   * edit is highlighted); null otherwise: the page applies `ed` to the original question.
   */
  q: string | null;
  /** The probe's edits, by start; empty for the original. */
  ed: CompactEdit[];
  /** The exact prompt as pieces: indices into `DrillTables.texts`, QUESTION_PIECE for the question. */
  pr: number[];
  /** Expected answer. */
  e: string;
  /** The expected answer differs from the original one. */
  ch: boolean;
  c: CompactCompletion[];
}

export interface DrillProblem {
  id: string;
  q: string;
  /** Original answer. */
  a: string;
  /** Verdict. */
  v: string;
  /** Original accuracy and stale share (null when not measured). */
  oa: number | null;
  ss: number | null;
  /** The baseline run's verdict of this problem, in a comparison report. */
  bv?: string | null;
  u: DrillUnit[];
}

/** Text shared by the records, each stored once. */
export interface DrillTables {
  /** Prompt pieces (see `DrillUnit.pr`). */
  texts: string[];
  /** [name, what it reads] of every extraction rule the completions name. */
  rules: Array<[string, string]>;
}

export interface DrillData {
  tables: DrillTables;
  problems: DrillProblem[];
}

/** What the `code` format's rules mean (src/audit/code-answer.ts): the answer is what a program returned. */
const CODE_RULES: Readonly<Record<string, string>> = {
  code: "the number solution() returned when the program ran in the sandbox",
  "code-timeout": "no answer: the program ran out of time",
  "code-memory": "no answer: the program ran out of memory",
  "code-output": "no answer: the program wrote too much output",
  "code-exception": "no answer: the program raised an exception",
  "code-crash": "no answer: the sandbox's interpreter crashed",
  "code-not-a-number": "no answer: solution() returned something other than a number",
};

function ruleDescription(name: string): string {
  if (Object.hasOwn(RULES, name)) return RULES[name as keyof typeof RULES].description;
  return CODE_RULES[name] ?? "recorded by the run";
}

/** Gives each distinct string one index. */
class Interner {
  readonly list: string[] = [];
  private readonly index = new Map<string, number>();
  of(text: string): number {
    let i = this.index.get(text);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(text);
      this.index.set(text, i);
    }
    return i;
  }
}

/**
 * A prompt as pieces: the shared prefix (the exemplar block), the text before the question, the
 * question (QUESTION_PIECE), the text after it. Joined back they are exactly `prompt`; a prompt
 * that does not hold the question verbatim is kept whole.
 */
export function promptPieces(
  prompt: string,
  sharedPrefix: number,
  question: string,
  intern: (text: string) => number,
): number[] {
  const pieces: number[] = [];
  const shared = Math.max(0, Math.min(sharedPrefix, prompt.length));
  if (shared > 0) pieces.push(intern(prompt.slice(0, shared)));
  const rest = prompt.slice(shared);
  const at = question === "" ? -1 : rest.indexOf(question);
  if (at < 0) {
    if (rest !== "") pieces.push(intern(rest));
    return pieces;
  }
  if (at > 0) pieces.push(intern(rest.slice(0, at)));
  pieces.push(QUESTION_PIECE);
  const tail = rest.slice(at + question.length);
  if (tail !== "") pieces.push(intern(tail));
  return pieces;
}

/** The variant's edits when they reproduce its question from the original; null when they do not. */
function replayableEdits(original: string, variant: Variant): CompactEdit[] | null {
  const edits: readonly Edit[] = Array.isArray(variant.edits) ? variant.edits : [];
  try {
    if (applyEdits(original, edits) !== variant.question) return null;
  } catch {
    return null;
  }
  return [...edits].sort((a, b) => a.start - b.start).map((e) => [e.start, e.end, e.after]);
}

function newUnit(row: StoredRow, texts: Interner): DrillUnit {
  const { request, variant, problem } = row;
  const edits = variant ? replayableEdits(problem.question, variant) : [];
  const question = variant ? variant.question : problem.question;
  return {
    p: request.variantId === null ? ORIGINAL : request.probe,
    k: variant?.kind ?? null,
    id: request.variantId,
    q: variant && edits === null ? variant.question : null,
    ed: edits ?? [],
    pr: promptPieces(request.prompt, request.sharedPrefix ?? 0, question, (t) => texts.of(t)),
    e: request.expected,
    ch: request.answerChanged,
    c: [],
  };
}

/** The drill-down records: one per problem, its original then its variants, each with its completions. */
export function drillData(summary: AuditSummary, run: StoredRun): DrillData {
  const obj = (v: unknown): Record<string, unknown> =>
    v !== null && typeof v === "object" ? (v as Record<string, unknown>) : {};
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  const verdicts = new Map(summary.verdicts.map((v) => [String(v["problem_id"]), obj(v)]));
  const byProblem = new Map<string, DrillProblem>();
  const units = new Map<string, DrillUnit>();
  const texts = new Interner();
  const rules = new Interner();
  for (const p of run.problems) {
    const v = verdicts.get(p.id) ?? {};
    byProblem.set(p.id, {
      id: p.id,
      q: p.question,
      a: p.finalAnswer,
      v: typeof v["verdict"] === "string" ? v["verdict"] : "unsolved",
      oa: num(v["original_accuracy"]),
      ss: num(v["stale_share"]),
      u: [],
    });
  }
  for (const row of run.rows) {
    const problem = byProblem.get(row.problem.id);
    if (!problem) continue;
    const key = `${row.problem.id}\u0000${row.request.variantId ?? ""}`;
    let unit = units.get(key);
    if (!unit) {
      unit = newUnit(row, texts);
      units.set(key, unit);
      problem.u.push(unit);
    }
    const c = row.completion;
    const status: CompletionStatus = c.correct ? 1 : isStaleAnswer(row.request, c.answer) ? 2 : 0;
    const span = c.answer === null ? null : answerSpan(c.text, row.request.stop, c.rule);
    unit.c.push([
      c.sampleIndex ?? -1,
      c.text,
      c.answer,
      status,
      c.rule === null ? -1 : rules.of(c.rule),
      span?.start ?? -1,
      span?.end ?? -1,
    ]);
  }
  return {
    tables: { texts: texts.list, rules: rules.list.map((name) => [name, ruleDescription(name)]) },
    problems: [...byProblem.values()],
  };
}
