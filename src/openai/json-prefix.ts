/**
 * The value of a JSON text that was cut short: everything complete before the cut, with the open
 * string, list and object closed where it stopped. litmus reads a reply only up to
 * `--max-completion-bytes`, and a cut reply still holds the completion's text up to the cut.
 * Any syntax error before the cut throws, as JSON.parse would.
 */
export function parseJsonPrefix(text: string): unknown {
  const parser = new PrefixParser(text);
  const value = parser.value();
  return value === CUT ? undefined : value;
}

/** Marks a value the cut left nothing of (a number or literal cut mid-way, a key without value). */
const CUT = Symbol("cut");

class PrefixParser {
  private at = 0;
  constructor(private readonly text: string) {}

  value(): unknown {
    this.space();
    if (this.at >= this.text.length) return CUT;
    const c = this.text[this.at]!;
    if (c === "{") return this.object();
    if (c === "[") return this.list();
    if (c === '"') return this.string();
    return this.scalar();
  }

  private object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.at++;
    for (;;) {
      this.space();
      if (this.at >= this.text.length) return out;
      if (this.text[this.at] === "}") {
        this.at++;
        return out;
      }
      if (this.text[this.at] === ",") {
        this.at++;
        continue;
      }
      if (this.text[this.at] !== '"') throw this.error("a key");
      const key = this.string();
      this.space();
      if (this.at >= this.text.length) return out;
      if (this.text[this.at] !== ":") throw this.error('":"');
      this.at++;
      const v = this.value();
      if (v === CUT) return out;
      out[key] = v;
    }
  }

  private list(): unknown[] {
    const out: unknown[] = [];
    this.at++;
    for (;;) {
      this.space();
      if (this.at >= this.text.length) return out;
      if (this.text[this.at] === "]") {
        this.at++;
        return out;
      }
      if (this.text[this.at] === ",") {
        this.at++;
        continue;
      }
      const v = this.value();
      if (v === CUT) return out;
      out.push(v);
    }
  }

  /** A string, closed at the cut (an escape cut mid-way is dropped). */
  private string(): string {
    const text = this.text;
    let i = this.at + 1;
    let complete = i; // end of the last whole character or escape
    while (i < text.length && text[i] !== '"') {
      if (text[i] === "\\") {
        const width = text[i + 1] === "u" ? 6 : 2;
        if (i + width > text.length) break;
        i += width;
      } else i++;
      complete = i;
    }
    const closed = i < text.length && text[i] === '"';
    const body = text.slice(this.at + 1, closed ? i : complete);
    this.at = closed ? i + 1 : text.length;
    return JSON.parse(`"${body}"`) as string;
  }

  /** A number, true, false or null; one the cut reached is dropped. */
  private scalar(): unknown {
    // Literals may be cut too ("nu"): matched by their prefixes, dropped when the cut reached them.
    const m = /^[-+0-9.eE]+|^t(?:r(?:ue?)?)?|^f(?:a(?:l(?:se?)?)?)?|^n(?:u(?:ll?)?)?/.exec(
      this.text.slice(this.at, this.at + 64),
    );
    if (!m) throw this.error("a value");
    this.at += m[0].length;
    if (this.at >= this.text.length) return CUT;
    return JSON.parse(m[0]);
  }

  private space(): void {
    while (this.at < this.text.length && /\s/.test(this.text[this.at]!)) this.at++;
  }

  private error(wanted: string): SyntaxError {
    return new SyntaxError(`expected ${wanted} at position ${this.at}`);
  }
}
