/**
 * A model's chat template (Hugging Face's Jinja `chat_template`), rendered with @huggingface/jinja
 * as transformers' `apply_chat_template(messages, add_generation_prompt=True, tokenize=False)`
 * does: the variables `messages`, `add_generation_prompt`, `bos_token` and `eos_token`. Where the
 * template comes from is `--chat-template auto|none|FILE`: `auto` takes the model's own
 * (`chat_template.jinja` beside `tokenizer_config.json`, else that file's `chat_template`), or
 * none when it has none.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Template } from "@huggingface/jinja";
import type { ChatMessage } from "../types/audit.js";
import { InputError } from "../util/errors.js";

/** `--chat-template`: the model's own when it has one, none, or a Jinja file. */
export type ChatTemplateChoice = "auto" | "none" | { file: string };

export interface ChatTemplate {
  /** Where it was read: `DIR/chat_template.jinja`, `DIR/tokenizer_config.json`, or the file. */
  source: string;
  /** The model's own template, or a file given by `--chat-template FILE`. */
  origin: "model" | "file";
  /** sha256 of the template text: part of a run's identity. */
  sha256: string;
  /** The prompt text for `messages`, ending where the assistant's reply starts. */
  render(messages: readonly ChatMessage[]): string;
  /** What was compiled: another thread (litmus serve's body worker) compiles the same template. */
  compiledFrom: { text: string; tokens: { bos_token: string; eos_token: string } };
}

/** Parses a `--chat-template` value. */
export function parseChatTemplateChoice(value: string): ChatTemplateChoice {
  return value === "auto" || value === "none" ? value : { file: value };
}

/** The chat template `choice` selects for the model in `modelDir` (null: plain prompts). */
export function loadChatTemplate(modelDir: string, choice: ChatTemplateChoice): ChatTemplate | null {
  if (choice === "none") return null;
  const tokens = specialTokens(modelDir);
  if (typeof choice === "object") {
    if (!existsSync(choice.file)) throw new InputError(`--chat-template ${choice.file}: no such file`);
    return compileChatTemplate(readFileSync(choice.file, "utf8"), choice.file, tokens, "file");
  }
  const own = modelChatTemplate(modelDir);
  return own === null ? null : compileChatTemplate(own.text, own.source, tokens, "model");
}

/** The model's own template text and where it was found, or null. */
export function modelChatTemplate(modelDir: string): { text: string; source: string } | null {
  const jinja = join(modelDir, "chat_template.jinja");
  if (existsSync(jinja)) return { text: readFileSync(jinja, "utf8"), source: jinja };
  const configPath = join(modelDir, "tokenizer_config.json");
  const config = readJson(configPath);
  const value = config?.["chat_template"];
  if (typeof value === "string") return { text: value, source: configPath };
  // Several named templates (a list of {name, template}): the one named "default" is the chat one.
  if (Array.isArray(value)) {
    const named = value.find(
      (t): t is { name: string; template: string } =>
        typeof t === "object" && t !== null && t.name === "default" && typeof t.template === "string",
    );
    if (named) return { text: named.template, source: `${configPath} (chat_template "default")` };
  }
  return null;
}

/** Compiles template text; a syntax error is an InputError naming `source`. */
export function compileChatTemplate(
  text: string,
  source: string,
  tokens: { bos_token: string; eos_token: string } = { bos_token: "", eos_token: "" },
  origin: ChatTemplate["origin"] = "file",
): ChatTemplate {
  let template: Template;
  try {
    template = new Template(text);
  } catch (err) {
    throw new InputError(`chat template ${source}: ${oneLine(err)}`);
  }
  return {
    source,
    origin,
    sha256: createHash("sha256").update(text).digest("hex"),
    compiledFrom: { text, tokens },
    render(messages) {
      try {
        return template.render({
          messages: messages.map((m) => ({ role: m.role, content: m.content })),
          add_generation_prompt: true,
          ...tokens,
        });
      } catch (err) {
        throw new InputError(`chat template ${source}: ${oneLine(err)}`);
      }
    },
  };
}

/** bos/eos token strings as templates use them (tokenizer_config.json, else special_tokens_map.json). */
function specialTokens(modelDir: string): { bos_token: string; eos_token: string } {
  const config = readJson(join(modelDir, "tokenizer_config.json")) ?? {};
  const map = readJson(join(modelDir, "special_tokens_map.json")) ?? {};
  const token = (v: unknown): string | undefined =>
    typeof v === "string"
      ? v
      : typeof (v as { content?: unknown })?.content === "string"
        ? (v as { content: string }).content
        : undefined;
  return {
    bos_token: token(config["bos_token"]) ?? token(map["bos_token"]) ?? "",
    eos_token: token(config["eos_token"]) ?? token(map["eos_token"]) ?? "",
  };
}

function readJson(path: string): Record<string, unknown> | null {
  if (!existsSync(path)) return null;
  try {
    const value = JSON.parse(readFileSync(path, "utf8")) as unknown;
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    throw new InputError(`${path}: not valid JSON`);
  }
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, " ").trim();
}
