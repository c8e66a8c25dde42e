/**
 * The chat form of a prompt format, for instruct models: a system message, each shown exemplar as
 * a user turn (the exemplar's question asked exactly as the format asks the real one) and an
 * assistant turn (its worked answer), then the question as the last user turn. This is
 * lm-evaluation-harness's `--apply_chat_template --fewshot_as_multiturn` shape, so the answer the
 * model writes is extracted by the same rules as a completion's. A code format's chat form asks
 * for the whole function instead of opening it (src/prompts/code-chat.ts).
 */
import type { AskedProblem, ChatMessage } from "../types/audit.js";
import { CODE_CHAT_SYSTEM, codeChatStops, fencedSolution, withoutProgramOpening } from "./code-chat.js";
import type { PromptFormat } from "./format.js";
import { selectExemplars } from "./format.js";
import { fillTemplate, type ParsedTemplate } from "./template.js";

/**
 * System messages by format name, as data; a template file's format gets DEFAULT_CHAT_SYSTEM.
 * Each asks for the ending the extraction rules look for first (`#### N`, `The answer is N`).
 */
export const CHAT_SYSTEM: Readonly<Record<string, string>> = {
  qa: "Solve the grade-school math problem. Show your reasoning, then give the final answer on its own line as #### N.",
  "gsm8k-5shot":
    "Solve the grade-school math problem. Show your reasoning, then give the final answer on its own line as #### N.",
  "cot-8shot": 'Solve the grade-school math problem step by step, then end with "The answer is N."',
  code: CODE_CHAT_SYSTEM,
};

export const DEFAULT_CHAT_SYSTEM = "Solve the math problem. End with the final answer as a number.";

/** A chat prompt: the messages, the format's stop strings and the exemplars shown. */
export interface RenderedChat {
  format: string;
  messages: ChatMessage[];
  stop: string[];
  exemplarIds: string[];
}

/** The system message of a format's chat form (a code template file gets CODE_CHAT_SYSTEM). */
export function chatSystemOf(format: PromptFormat): string {
  const fallback = format.spec.answerFrom === "code" ? CODE_CHAT_SYSTEM : DEFAULT_CHAT_SYSTEM;
  return CHAT_SYSTEM[format.spec.name] ?? fallback;
}

/** The chat form of the prompt for `asked` (exemplars excluded exactly as renderPrompt does). */
export function renderChat(format: PromptFormat, asked: AskedProblem): RenderedChat {
  const code = format.spec.answerFrom === "code";
  const exemplars = selectExemplars(format, asked);
  const answerPart = answerSegments(format.exemplarTemplate);
  const messages: ChatMessage[] = [{ role: "system", content: chatSystemOf(format) }];
  for (const e of exemplars) {
    messages.push({ role: "user", content: askedText(format, e.question) });
    const worked = fillTemplate(answerPart, { question: e.question, answer: e.answer, final: e.final });
    messages.push({ role: "assistant", content: code ? fencedSolution(worked) : worked.trimStart() });
  }
  messages.push({ role: "user", content: askedText(format, asked.question) });
  return {
    format: format.spec.name,
    messages,
    stop: code ? codeChatStops(format.spec.stop) : format.spec.stop.slice(),
    exemplarIds: exemplars.map((e) => e.id),
  };
}

/**
 * A question as the format asks it, without exemplars (`Question: ...\nAnswer:` for qa); for a
 * code format without the `def solution():` opening its text prompt ends with.
 */
function askedText(format: PromptFormat, question: string): string {
  const text = fillTemplate(format.template, { question, exemplars: "" });
  return format.spec.answerFrom === "code" ? withoutProgramOpening(text) : text;
}

/**
 * The part of an exemplar template that is the answer: from its first `{answer}` or `{final}`
 * on (`{answer}` of `Question: {question}\nAnswer: {answer}`). A template without either shows
 * no answer; the assistant turn is then empty.
 */
function answerSegments(template: ParsedTemplate): ParsedTemplate {
  const start = template.segments.findIndex(
    (s) => "placeholder" in s && (s.placeholder === "answer" || s.placeholder === "final"),
  );
  const segments = start < 0 ? [] : template.segments.slice(start);
  return { segments, placeholders: template.placeholders };
}

/**
 * A plain transcript of messages, one turn per block (`System: ...`, `User: ...`,
 * `Assistant: ...`), ending with `Assistant:` when a reply is asked for. It is what an audit
 * records as the prompt of a chat API request (the server renders the messages with its own
 * template), and the template `litmus serve` falls back to for a model without one.
 */
export function chatTranscript(messages: readonly ChatMessage[], addGenerationPrompt = true): string {
  const turns = messages.map((m) => `${ROLE_LABEL[m.role]}: ${m.content}`);
  if (addGenerationPrompt) turns.push("Assistant:");
  return turns.join("\n\n");
}

const ROLE_LABEL: Readonly<Record<ChatMessage["role"], string>> = {
  system: "System",
  user: "User",
  assistant: "Assistant",
};
