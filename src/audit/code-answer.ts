/**
 * Program-of-thought answers: for a prompt format with `answerFrom: "code"`, a completion is the
 * body of `def solution():` and its answer is what `solution()` returns, run in the Python sandbox.
 * A number is canonicalised like an extracted one; anything else is "no answer" with its reason as
 * the rule (see src/audit/README.md).
 */
import { cutAtStop, normalizeNumber, sameNumber } from "../extract/index.js";
import type { PythonSandbox, SandboxResult } from "../sandbox/index.js";
import type { AuditRequest, CodeRuleName } from "../types/audit.js";

/** What the completion continues: the prompt ends with this line. */
export const SOLUTION_HEADER = "def solution():\n";

/** The program run for one completion: the header plus the completion cut at the stop strings. */
export function solutionProgram(completion: string, stop: readonly string[]): string {
  return SOLUTION_HEADER + cutAtStop(completion, stop);
}

export interface CodeAnswer {
  answer: string | null;
  rule: CodeRuleName;
}

const NUMBER_TYPES = new Set(["int", "float", "Decimal"]);

/** The canonical answer of a sandbox result (null and the reason when it is no number). */
export function answerOfResult(result: SandboxResult): CodeAnswer {
  if (!result.ok) return { answer: null, rule: `code-${result.reason}` };
  let text: string | null = null;
  if (NUMBER_TYPES.has(result.valueType)) text = result.value;
  else if (result.valueType === "Fraction") {
    // str(Fraction) is "n/d" or "n"; the answer is its value as a float.
    const [n, d = "1"] = result.value.split("/");
    const value = Number(n) / Number(d);
    text = Number.isFinite(value) ? String(value) : null;
  }
  const answer = text === null ? null : normalizeNumber(text);
  return answer === null ? { answer: null, rule: "code-not-a-number" } : { answer, rule: "code" };
}

/** Runs one completion's program and scores it against the request's expected answer. */
export async function scoreCodeCompletion(
  sandbox: PythonSandbox,
  completion: string,
  request: Pick<AuditRequest, "stop" | "expected">,
): Promise<CodeAnswer & { correct: boolean }> {
  const result = await sandbox.run(solutionProgram(completion, request.stop));
  const answer = answerOfResult(result);
  return { ...answer, correct: sameNumber(answer.answer, request.expected) };
}
