/**
 * Untrusted text (data-set and model names, messages, model output) placed in Markdown: it must
 * stay text. One line (a newline could start a heading, a list or a table row), and every character
 * that could open an inline construct escaped: links and images (`[`), autolinks (`<`, `://`,
 * `www.`), emphasis, code, strikethrough, HTML, table cells (`|`). A block marker at its very start
 * (`#`, `>`, `-`, `+`, `=`, `1.`) is escaped too, since the text may begin a line or a list item.
 */
const LINE_BREAKS = /[\r\n\v\f\u2028\u2029]+/g;
/** NEL (U+0085), a line break to some renderers; kept out of the pattern, which may hold no control character. */
const NEL = String.fromCharCode(0x85);
const INLINE = /[\\`*_~[\]<>|]/g;

export function markdownText(text: string): string {
  return oneLine(text)
    .replace(INLINE, (c) => `\\${c}`)
    .replace(/:\/\//g, ":\\/\\/")
    .replace(/\bwww\./gi, (w) => `${w.slice(0, 3)}\\.`)
    .replace(
      /^(\s*)([#>+=-]|\d+[.)])/,
      (_m, space: string, marker: string) => `${space}${escapeLast(marker)}`,
    );
}

/** `text` as a code span on one line (GFM tables need `|` escaped even there). */
export function markdownCode(text: string): string {
  const line = oneLine(text).replace(/\|/g, "\\|");
  const longest = Math.max(0, ...(line.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  const pad = line.startsWith("`") || line.endsWith("`") ? " " : "";
  return `${fence}${pad}${line}${pad}${fence}`;
}

function escapeLast(marker: string): string {
  return `${marker.slice(0, -1)}\\${marker.slice(-1)}`;
}

function oneLine(text: string): string {
  return text.split(NEL).join(" ").replace(LINE_BREAKS, " ");
}
