/**
 * How a format's prompts are given to the model, chosen once per audit: as text (the format's
 * own template), as chat messages for a chat API, or as chat messages rendered to text by a chat
 * template. Plan code calls one function whichever it is.
 */
import type { AskedProblem, ChatSettings, RenderedPrompt } from "../types/audit.js";
import { chatSystemOf, chatTranscript, renderChat } from "./chat.js";
import type { ChatTemplate } from "./chat-template.js";
import { type PromptFormat, renderPrompt } from "./format.js";

export type PromptStyle =
  | { kind: "text" }
  | { kind: "chat-api" }
  | { kind: "chat-template"; template: ChatTemplate };

/** Renders the prompt for `asked` in `style`. */
export function renderPromptAs(
  style: PromptStyle,
  format: PromptFormat,
  asked: AskedProblem,
): RenderedPrompt {
  if (style.kind === "text") return renderPrompt(format, asked);
  const chat = renderChat(format, asked);
  const base = { format: chat.format, stop: chat.stop, exemplarIds: chat.exemplarIds };
  if (style.kind === "chat-api")
    return { ...base, text: chatTranscript(chat.messages), messages: chat.messages, sharedPrefix: 0 };
  const text = style.template.render(chat.messages);
  // The exemplar turns are the same in every prompt: the rendered text up to where it first
  // differs from the same chat asking another question is a block a local model prefills once.
  const shared =
    chat.exemplarIds.length > 0
      ? commonPrefixLength(text, style.template.render(withLastQuestion(chat.messages, "\u0000")))
      : 0;
  return { ...base, text, sharedPrefix: shared };
}

/** What a run's config records of the style (null for text prompts). */
export function chatSettingsOf(style: PromptStyle, format: PromptFormat): ChatSettings | null {
  if (style.kind === "text") return null;
  const system = chatSystemOf(format);
  if (style.kind === "chat-api") return { via: "api", system };
  return {
    via: "template",
    system,
    template: { origin: style.template.origin, sha256: style.template.sha256 },
  };
}

function withLastQuestion(messages: RenderedPrompt["messages"] & object, content: string) {
  return messages.map((m, i) => (i === messages.length - 1 ? { ...m, content } : m));
}

function commonPrefixLength(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}
