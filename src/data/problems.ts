import { basename, extname } from "node:path";
import type { Problem } from "../types/index.js";
import { InputError, located } from "../util/errors.js";
import { sha256Hex } from "./hash.js";
import { type JsonlRecord, parseJsonl, readInputFile } from "./jsonl.js";

/** Where problems come from: `file` for error messages, `source` for ids (`<source>:<line>`). */
export interface ProblemOrigin {
  file: string;
  source: string;
}

/** The data set name a file path gets: its base name without the extension (`data/my.jsonl` -> `my`). */
export function sourceNameOf(path: string): string {
  return basename(path, extname(path));
}

/** Loads a GSM8K-format JSONL file. `source` defaults to the file's base name without extension. */
export async function loadProblems(path: string, source: string = sourceNameOf(path)): Promise<Problem[]> {
  return parseProblems(await readInputFile(path), { file: path, source });
}

/** Parses GSM8K-format JSONL bytes; every malformed line is an InputError naming `file:line`. */
export function parseProblems(bytes: Uint8Array, origin: ProblemOrigin): Problem[] {
  return parseJsonl(bytes, origin.file).map((record) => toProblem(record, origin));
}

/**
 * The text of the final `#### <answer>` line, or an error reason. The `####` line must be the last
 * non-blank line: scorers compare model output against this value, so an answer with text after it
 * is ambiguous about what the final answer is.
 */
export function finalAnswerOf(answer: string): { finalAnswer: string } | { reason: string } {
  const lines = answer.split("\n").map((l) => l.trim());
  const isMarker = (l: string) => l.startsWith("####");
  const last = lines.findLast((l) => l !== "") ?? "";
  if (!isMarker(last)) {
    return {
      reason: lines.some(isMarker)
        ? `"answer" has text after its "#### <answer>" line`
        : `"answer" has no final "#### <answer>" line`,
    };
  }
  const finalAnswer = last.slice(4).trim();
  if (finalAnswer === "") return { reason: `"answer" has an empty "####" line` };
  if (!FINAL_NUMBER.test(finalAnswer))
    return {
      reason: `"answer": the final answer ${JSON.stringify(finalAnswer.slice(0, 40))} is not a number written in digits (e.g. "#### 42", "#### -3.5", "#### 1,200")`,
    };
  return { finalAnswer };
}

/**
 * A final answer litmus can score: digits with an optional sign, `$`, thousands commas, decimals,
 * `%`, or a fraction. Words ("forty-two"), NaN and exponents ("1e400") are not answers a scorer can
 * compare exactly.
 */
const FINAL_NUMBER = /^[-+]?\$?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?$|^[-+]?\.\d+$|^[-+]?\d+\/[1-9]\d*$/;

/** Hash over exactly the fields a probe reads, so any edit to a problem changes it. */
export function problemHash(question: string, answer: string): string {
  return sha256Hex(question + "\n" + answer);
}

function toProblem(record: JsonlRecord, origin: ProblemOrigin): Problem {
  const fail = (reason: string): never => {
    throw new InputError(located(origin.file, record.line, reason));
  };
  const question = requireString(record.value, "question", fail);
  const answer = requireString(record.value, "answer", fail);
  const final = finalAnswerOf(answer);
  if ("reason" in final) return fail(final.reason);
  return {
    id: `${origin.source}:${record.line}`,
    source: origin.source,
    line: record.line,
    question,
    answer,
    finalAnswer: final.finalAnswer,
    hash: problemHash(question, answer),
  };
}

function requireString(
  value: Record<string, unknown>,
  field: string,
  fail: (reason: string) => never,
): string {
  if (!(field in value)) fail(`missing "${field}" field`);
  const text = value[field];
  if (typeof text !== "string") return fail(`"${field}" must be a string, got ${jsonType(text)}`);
  if (text.trim() === "") fail(`"${field}" is empty`);
  return text;
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}
