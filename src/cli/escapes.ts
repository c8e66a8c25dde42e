/**
 * Text given on the command line (`--prompt`, `--text`, `--prefix`, `--stop`, `--bos-text`): `\n`,
 * `\t` and `\r` stand for a newline, a tab and a carriage return, `\\` for a backslash, alike in
 * every flag, since a shell cannot easily pass a newline. Any other backslash is kept as written.
 */
export function unescapeFlagText(text: string): string {
  return text.replace(/\\([ntr\\])/g, (_, c: string) =>
    c === "n" ? "\n" : c === "t" ? "\t" : c === "r" ? "\r" : "\\",
  );
}
