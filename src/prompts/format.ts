import type { AskedProblem, Exemplar, PromptFormatSpec, RenderedPrompt } from "../types/audit.js";
import type { Problem, QuestionWrapper, WrapperEdit } from "../types/index.js";
import { InputError } from "../util/errors.js";
import { fillTemplate, type ParsedTemplate, parseTemplate } from "./template.js";

/** Placeholders of a prompt template. */
export const TEMPLATE_PLACEHOLDERS = ["question", "exemplars"] as const;
/** Placeholders of an exemplar template. */
export const EXEMPLAR_PLACEHOLDERS = ["question", "answer", "final"] as const;

/** A format ready to render: its spec, its exemplar pool resolved to text, its templates parsed. */
export interface PromptFormat {
  spec: PromptFormatSpec;
  /** Candidate exemplars in order of preference; the first `shots` that are not the asked problem are shown. */
  pool: Exemplar[];
  template: ParsedTemplate;
  exemplarTemplate: ParsedTemplate;
}

/**
 * Checks a spec and resolves its exemplars. `train` is the GSM8K train split, needed only by specs
 * whose exemplars are train lines. Every problem in a spec is an InputError naming the format.
 */
export function preparePromptFormat(spec: PromptFormatSpec, train?: readonly Problem[]): PromptFormat {
  const where = `prompt format ${spec.name}`;
  const template = parseTemplate(spec.template, TEMPLATE_PLACEHOLDERS, where);
  const exemplarTemplate = parseTemplate(spec.exemplarTemplate, EXEMPLAR_PLACEHOLDERS, `${where} (exemplar)`);
  if (!template.placeholders.includes("question")) {
    throw new InputError(`${where}: the template has no {question} placeholder`);
  }
  if (!Number.isInteger(spec.shots) || spec.shots < 0) {
    throw new InputError(`${where}: shots must be a whole number >= 0, got ${spec.shots}`);
  }
  if (spec.shots > 0 && !template.placeholders.includes("exemplars")) {
    throw new InputError(`${where}: ${spec.shots} shots but the template has no {exemplars} placeholder`);
  }
  if (spec.stop.some((s) => s === "")) throw new InputError(`${where}: empty stop string`);
  const pool = resolvePool(spec, train, where);
  if (pool.length < spec.shots) {
    throw new InputError(`${where}: ${spec.shots} shots but only ${pool.length} exemplars`);
  }
  return { spec, pool, template, exemplarTemplate };
}

function resolvePool(
  spec: PromptFormatSpec,
  train: readonly Problem[] | undefined,
  where: string,
): Exemplar[] {
  const source = spec.exemplars;
  switch (source.kind) {
    case "none":
      return [];
    case "inline":
      return source.exemplars.slice();
    case "gsm8k-train": {
      if (!train) throw new InputError(`${where}: needs the GSM8K train split for its exemplars`);
      const byLine = new Map(train.map((p) => [p.line, p]));
      return source.lines.map((line) => {
        const problem = byLine.get(line);
        if (!problem) throw new InputError(`${where}: the GSM8K train split has no problem on line ${line}`);
        return {
          id: `gsm8k-train:${line}`,
          question: problem.question,
          answer: problem.answer,
          final: problem.finalAnswer,
          hash: problem.hash,
        };
      });
    }
  }
}

/**
 * The first `shots` exemplars of the pool that are not the asked problem. An exemplar is the asked
 * problem when its content hash or id equals the asked problem's, or its question equals the asked
 * question or the original question a variant was made from (compared with whitespace and case
 * folded), so a problem never sees its own solution, perturbed or not.
 */
export function selectExemplars(format: PromptFormat, asked: AskedProblem): Exemplar[] {
  const questions = new Set([fold(asked.question)]);
  if (asked.originalQuestion !== undefined) questions.add(fold(asked.originalQuestion));
  const chosen: Exemplar[] = [];
  for (const exemplar of format.pool) {
    if (chosen.length === format.spec.shots) break;
    const same =
      (asked.problemHash !== undefined && exemplar.hash === asked.problemHash) ||
      (asked.problemId !== undefined && exemplar.id === asked.problemId) ||
      questions.has(fold(exemplar.question));
    if (!same) chosen.push(exemplar);
  }
  return chosen;
}

/**
 * The literal text around the template's `{question}`: from the previous placeholder (or the start)
 * and to the next one (or the end). Null when `{question}` occurs more than once, where "the"
 * wrapper of the question is not one text.
 */
export function questionWrapper(parsed: ParsedTemplate): QuestionWrapper | null {
  const at = parsed.segments.flatMap((s, i) =>
    "placeholder" in s && s.placeholder === "question" ? [i] : [],
  );
  if (at.length !== 1) return null;
  const textAt = (i: number): string => {
    const s = parsed.segments[i];
    return s !== undefined && "text" in s ? s.text : "";
  };
  const i = at[0] as number;
  return { before: textAt(i - 1), after: textAt(i + 1) };
}

/** The text around the question in a format spec's template (null: `{question}` twice). */
export function wrapperOfSpec(spec: PromptFormatSpec): QuestionWrapper | null {
  return questionWrapper(parseTemplate(spec.template, TEMPLATE_PLACEHOLDERS, `prompt format ${spec.name}`));
}

/**
 * The template with a format variant's wrapper edits made: each edit's side must hold exactly its
 * `before` text, or the variant was made for another prompt format (a bug, never silently ignored).
 */
function rewrapped(parsed: ParsedTemplate, edits: readonly WrapperEdit[]): ParsedTemplate {
  const i = parsed.segments.findIndex((s) => "placeholder" in s && s.placeholder === "question");
  const segments = parsed.segments.slice();
  for (const edit of edits) {
    const j = edit.side === "before" ? i - 1 : i + 1;
    const current = segments[j];
    const text = current !== undefined && "text" in current ? current.text : "";
    if (text !== edit.before)
      throw new Error(`wrapper edit of ${JSON.stringify(text)} expected ${JSON.stringify(edit.before)}`);
    if (current !== undefined && "text" in current) segments[j] = { text: edit.after };
    else segments.splice(edit.side === "before" ? i : i + 1, 0, { text: edit.after });
  }
  return { ...parsed, segments };
}

/** The exact prompt text for a problem, with the format's stop strings and the exemplars shown. */
export function renderPrompt(format: PromptFormat, asked: AskedProblem): RenderedPrompt {
  const exemplars = selectExemplars(format, asked);
  const rendered = exemplars
    .map(
      (e) =>
        fillTemplate(format.exemplarTemplate, { question: e.question, answer: e.answer, final: e.final }) +
        format.spec.exemplarSeparator,
    )
    .join("");
  const values = { question: asked.question, exemplars: rendered };
  const template = asked.wrapper ? rewrapped(format.template, asked.wrapper) : format.template;
  return {
    format: format.spec.name,
    text: fillTemplate(template, values),
    stop: format.spec.stop.slice(),
    exemplarIds: exemplars.map((e) => e.id),
    sharedPrefix: exemplars.length > 0 ? textBeforeQuestion(format.template, values).length : 0,
  };
}

/**
 * The rendered text before the first {question}: with exemplars, the block every problem of a run
 * shares (the few-shot exemplars), which a local backend prefills once (src/runner/prefix-cache.ts).
 */
function textBeforeQuestion(parsed: ParsedTemplate, values: Readonly<Record<string, string>>): string {
  const end = parsed.segments.findIndex((s) => "placeholder" in s && s.placeholder === "question");
  return fillTemplate({ ...parsed, segments: parsed.segments.slice(0, end) }, values);
}

function fold(text: string): string {
  return text.replace(/\s+/g, " ").trim().toLowerCase();
}
