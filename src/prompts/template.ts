import { InputError } from "../util/errors.js";

/**
 * Placeholder syntax of prompt templates: `{name}` is replaced by a value; `{{` and `}}` stand for
 * literal braces. Any other brace is an error, so a typo such as `{qestion}` or a stray `{` fails
 * when the template is loaded instead of leaking into every prompt.
 */
export type Segment = { text: string } | { placeholder: string };

/** A template checked against the placeholders its context allows. */
export interface ParsedTemplate {
  segments: Segment[];
  /** The placeholders used, in order of first use. */
  placeholders: string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * Parses `template`; `where` names it in errors (`prompt template my.json`). A placeholder outside
 * `allowed` is an InputError naming it and the allowed ones.
 */
export function parseTemplate(template: string, allowed: readonly string[], where: string): ParsedTemplate {
  const segments: Segment[] = [];
  const placeholders: string[] = [];
  let text = "";
  for (let i = 0; i < template.length; i++) {
    const ch = template[i] as string;
    const next = template[i + 1];
    if ((ch === "{" && next === "{") || (ch === "}" && next === "}")) {
      text += ch;
      i++;
      continue;
    }
    if (ch === "}")
      throw new InputError(`${where}: unmatched "}" at offset ${i} (write "}}" for a literal brace)`);
    if (ch !== "{") {
      text += ch;
      continue;
    }
    const close = template.indexOf("}", i + 1);
    const name = close === -1 ? "" : template.slice(i + 1, close);
    if (close === -1 || !NAME.test(name)) {
      throw new InputError(`${where}: unmatched "{" at offset ${i} (write "{{" for a literal brace)`);
    }
    if (!allowed.includes(name)) {
      throw new InputError(
        `${where}: unknown placeholder {${name}} (allowed: ${allowed.map((a) => `{${a}}`).join(", ")})`,
      );
    }
    if (text !== "") segments.push({ text });
    text = "";
    segments.push({ placeholder: name });
    if (!placeholders.includes(name)) placeholders.push(name);
    i = close;
  }
  if (text !== "") segments.push({ text });
  return { segments, placeholders };
}

/** Fills a parsed template. Values are inserted verbatim: braces in a question are never re-parsed. */
export function fillTemplate(parsed: ParsedTemplate, values: Readonly<Record<string, string>>): string {
  let out = "";
  for (const segment of parsed.segments) {
    if ("text" in segment) out += segment.text;
    else {
      const value = values[segment.placeholder];
      // parseTemplate already checked names against the allowed set, so a miss is a caller bug.
      if (value === undefined) throw new Error(`no value for placeholder {${segment.placeholder}}`);
      out += value;
    }
  }
  return out;
}
