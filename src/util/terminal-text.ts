/**
 * Text from outside litmus (a server's error body, a model name, a reply snippet) made safe to
 * print on a terminal: nothing in it can move the cursor, recolour, retitle or reorder the line.
 * One helper, used wherever such text reaches stderr or stdout.
 */

/** ESC-introduced sequences: CSI (`ESC [ ... final`), OSC/DCS/PM/APC strings, and 2-byte escapes. */
const ESCAPE_SEQUENCE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /\x1b(?:\[[0-?]*[ -/]*[@-~]|[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])|\x9b[0-?]*[ -/]*[@-~]/g;
/** Whitespace controls read as a space: the text stays on one line. */
const WHITESPACE_CONTROL = /[\t\n\v\f\r\x85\u2028\u2029]/g;
/**
 * Everything else invisible that changes how a line shows: C0, DEL, C1, and the bidi embedding,
 * override, isolate and mark characters (a "Trojan Source" line reads differently than it is).
 */
const CONTROL =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /[\x00-\x08\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `text` without escape sequences and control characters, whitespace controls as spaces. */
export function terminalSafe(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, "").replace(WHITESPACE_CONTROL, " ").replace(CONTROL, "");
}
