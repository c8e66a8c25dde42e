/**
 * The work of an audit as data: one greedy and one sampled request per prompt (the original and
 * each variant), and a fixed partition of those requests into batches.
 */

import { answerUnitOf } from "../extract/units.js";
import { ORIGINAL } from "../metrics/index.js";
import { canonicalAnswer } from "../probes/answer.js";
import { type PromptFormat, type PromptStyle, renderPromptAs } from "../prompts/index.js";
import type { AuditRequest } from "../types/audit.js";
import type { Problem, Variant } from "../types/index.js";

/** The id of a prompt unit: the variant's id, or `<problemId>/original`. */
export function unitId(problemId: string, variantId: string | null): string {
  return variantId ?? `${problemId}/${ORIGINAL}`;
}

/**
 * Requests in plan order: per problem, the original then its variants (probe order), each as a
 * greedy request and, when n > 0, a sampled request of n samples. Request ids are
 * `<unit>#greedy` and `<unit>#sampled`; the runner seeds sample j from (run seed, request id, j),
 * so a sample is pinned by its id whatever batch it runs in.
 */
export function buildRequests(
  problems: readonly Problem[],
  variants: readonly Variant[],
  format: PromptFormat,
  n: number,
  style: PromptStyle = { kind: "text" },
): AuditRequest[] {
  const byProblem = new Map<string, Variant[]>();
  for (const v of variants) byProblem.set(v.problemId, [...(byProblem.get(v.problemId) ?? []), v]);
  const out: AuditRequest[] = [];
  for (const problem of problems) {
    const original = canonicalAnswer(problem.finalAnswer) ?? problem.finalAnswer;
    const units: Array<Omit<AuditRequest, "id" | "mode" | "n">> = [];
    const asked = { problemId: problem.id, problemHash: problem.hash };
    const rendered = renderPromptAs(style, format, { ...asked, question: problem.question });
    units.push({
      problemId: problem.id,
      variantId: null,
      probe: ORIGINAL,
      prompt: rendered.text,
      ...messagesOf(rendered.messages),
      ...sharedPrefixOf(rendered.sharedPrefix),
      stop: rendered.stop,
      expected: original,
      originalAnswer: original,
      answerChanged: false,
      ...unitOf(problem.question),
    });
    for (const v of byProblem.get(problem.id) ?? []) {
      const r = renderPromptAs(style, format, {
        ...asked,
        question: v.question,
        originalQuestion: problem.question,
        ...(v.wrapper ? { wrapper: v.wrapper } : {}),
      });
      units.push({
        problemId: problem.id,
        variantId: v.id,
        probe: v.probe,
        prompt: r.text,
        ...messagesOf(r.messages),
        ...sharedPrefixOf(r.sharedPrefix),
        stop: r.stop,
        expected: v.expected,
        originalAnswer: v.originalAnswer,
        answerChanged: v.answerChanged,
        ...unitOf(v.question),
      });
    }
    for (const u of units) {
      const id = unitId(u.problemId, u.variantId);
      out.push({ ...u, id: `${id}#greedy`, mode: "greedy", n: 1 });
      if (n > 0) out.push({ ...u, id: `${id}#sampled`, mode: "sampled", n });
    }
  }
  return out;
}

/** The shared prefix as an optional field (absent without exemplars, so such records stay as they were). */
function sharedPrefixOf(chars: number): Pick<AuditRequest, "sharedPrefix"> {
  return chars > 0 ? { sharedPrefix: chars } : {};
}

/** A chat API prompt's messages as an optional field (absent for text prompts). */
function messagesOf(messages: AuditRequest["messages"]): Pick<AuditRequest, "messages"> {
  return messages ? { messages } : {};
}

/** The answer unit a question asks for, as an optional field (absent when it says nothing). */
function unitOf(question: string): Pick<AuditRequest, "answerUnit"> {
  const unit = answerUnitOf(question);
  return unit ? { answerUnit: unit } : {};
}

/** Rows a request occupies in a decoding batch. */
export function rowsOf(request: AuditRequest): number {
  return request.mode === "greedy" ? 1 : request.n;
}

/**
 * Cuts the requests, in plan order, into batches of at most `batchRows` rows (a request larger
 * than that runs alone). The partition depends only on the plan, never on what is already done:
 * a resumed run re-runs an unfinished batch with exactly the prompts it had, so its completions
 * are computed as in an uninterrupted run.
 */
export function planBatches(requests: readonly AuditRequest[], batchRows: number): AuditRequest[][] {
  const out: AuditRequest[][] = [];
  let batch: AuditRequest[] = [];
  let rows = 0;
  for (const r of requests) {
    const need = rowsOf(r);
    if (batch.length > 0 && rows + need > batchRows) {
      out.push(batch);
      batch = [];
      rows = 0;
    }
    batch.push(r);
    rows += need;
  }
  if (batch.length > 0) out.push(batch);
  return out;
}
