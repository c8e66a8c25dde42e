/**
 * Program-of-thought answers: for a prompt format with `answerFrom: "code"`, a completion is the
 * body of `def solution():` and its answer is what `solution()` returns, run in the Python sandbox.
 * A chat reply (the format's chat form) holds the whole function instead: its program is read
 * out of the reply (chatReplyProgram). A number is canonicalised like an extracted one; anything
 * else is "no answer" with its reason as the rule (see src/audit/README.md).
 */
import { cutAtStop, normalizeNumber, sameNumber } from "../extract/index.js";
import { DEFINES_SOLUTION, SOLUTION_HEADER } from "../prompts/index.js";
import type { PythonSandbox, SandboxResult } from "../sandbox/index.js";
import type { AuditRequest, ChatSettings, CodeProgramRule, CodeRuleName } from "../types/audit.js";

export { SOLUTION_HEADER };

/** The program run for one completion: the header plus the completion cut at the stop strings. */
export function solutionProgram(completion: string, stop: readonly string[]): string {
  return SOLUTION_HEADER + cutAtStop(completion, stop);
}

/**
 * A fenced block (```` ```python ```` or a bare ```` ``` ````): its info word and its text, up to
 * the closing fence or, for a reply cut short, the end of the reply.
 */
const FENCED_BLOCK = /```([^\n`]*)\n([\s\S]*?)(?:```|$)/g;

/** Info words of a fence whose block is taken as the program (a bare fence has none). */
const PROGRAM_FENCE_WORDS: ReadonlySet<string> = new Set(["", "python", "python3", "py"]);

/**
 * The program run for one chat reply: the first ```python (or bare ```) fenced block, else the
 * whole reply (cut at the stop strings first). A block that defines `solution()` runs as it is;
 * anything else is taken as the function's body, after SOLUTION_HEADER as for a completion. A
 * reply with no code fails in the sandbox like a broken completion (`code-exception`).
 */
export function chatReplyProgram(reply: string, stop: readonly string[]): string {
  const text = cutAtStop(reply, stop);
  let code = text;
  for (const m of text.matchAll(FENCED_BLOCK)) {
    if (PROGRAM_FENCE_WORDS.has((m[1] ?? "").trim().toLowerCase())) {
      code = m[2] ?? "";
      break;
    }
  }
  return DEFINES_SOLUTION.test(code) ? code : SOLUTION_HEADER + code;
}

/** How each rule makes the program run from a model's text, as data. */
export const PROGRAM_OF: Readonly<
  Record<CodeProgramRule, (text: string, stop: readonly string[]) => string>
> = {
  "completion-body": solutionProgram,
  "chat-reply": chatReplyProgram,
};

/** The rule of a run: a chat (API or template) replies with the whole function, a completion continues it. */
export function codeProgramRuleOf(chat: ChatSettings | null | undefined): CodeProgramRule {
  return chat ? "chat-reply" : "completion-body";
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

/** Runs one completion's program (made by `rule`) and scores it against the request's expected answer. */
export async function scoreCodeCompletion(
  sandbox: PythonSandbox,
  completion: string,
  request: Pick<AuditRequest, "stop" | "expected">,
  rule: CodeProgramRule = "completion-body",
): Promise<CodeAnswer & { correct: boolean }> {
  const result = await sandbox.run(PROGRAM_OF[rule](completion, request.stop));
  const answer = answerOfResult(result);
  return { ...answer, correct: sameNumber(answer.answer, request.expected) };
}
