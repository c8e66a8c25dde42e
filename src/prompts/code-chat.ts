/**
 * The chat form of a program-of-thought format (`answerFrom: "code"`): the text prompt opens
 * `def solution():` for the completion to continue, which a new assistant turn cannot do, so the
 * chat form asks for the whole function in a fenced block instead (src/audit/code-answer.ts reads
 * the program back out of the reply).
 */

/** What a code format's text prompt ends with, and what a completion's program starts with. */
export const SOLUTION_HEADER = "def solution():\n";

/** A program that defines `solution()` itself (a top-level `def solution(`), not only its body. */
export const DEFINES_SOLUTION = /^def\s+solution\s*\(/m;

/** The system message of a code format's chat form (built-in `code` and template files alike). */
export const CODE_CHAT_SYSTEM =
  "Solve the grade-school math problem by writing a Python function solution() that takes no arguments and returns the final answer as a number. It must not read input or print anything. Reply with the complete function in a ```python code block.";

/**
 * Stop strings of a code format that would cut a chat reply's program: the reply opens its fenced
 * block with "```" and the function with "def ". The others (a new "Question:", an end-of-text
 * marker) stay. None is "\n\n\n", which a program's blank lines could hold.
 */
export const STOPS_CUTTING_A_FENCED_REPLY: readonly string[] = ["```", "\ndef "];

/** The stop strings of a code format's chat form. */
export function codeChatStops(stop: readonly string[]): string[] {
  return stop.filter((s) => !STOPS_CUTTING_A_FENCED_REPLY.includes(s));
}

/**
 * The opening of the program a code format's text prompt ends with (an optional fence line, then
 * the header): a chat user turn leaves it out, the reply writes the whole function.
 */
const PROGRAM_OPENING = /(?:```[A-Za-z0-9]*\n)?def\s+solution\s*\(\s*\)\s*:\s*$/;

/** A code format's question as a chat user turn: its text prompt without the program opening. */
export function withoutProgramOpening(asked: string): string {
  return asked.replace(PROGRAM_OPENING, "").trimEnd();
}

/**
 * An exemplar's worked program as an assistant reply: the full function in a ```python block (a
 * closing fence the exemplar template wrote after it is not repeated).
 */
export function fencedSolution(program: string): string {
  const body = program.replace(/\s*(?:```\s*)?$/, "");
  const full = DEFINES_SOLUTION.test(body) ? body : SOLUTION_HEADER + body;
  return `\`\`\`python\n${full}\n\`\`\``;
}
