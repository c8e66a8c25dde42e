/** The model's tokenizer.json through @huggingface/tokenizers, plus the facts the runner needs. */
import { Tokenizer } from "@huggingface/tokenizers";

export interface TokenizerJson {
  model?: { vocab?: Record<string, number> | Array<[string, number]> };
  added_tokens?: Array<{ id: number; content: string; special?: boolean }>;
}

export class TextTokenizer {
  private readonly tokenizer: Tokenizer;
  /** One past the largest id the tokenizer can produce. */
  readonly size: number;
  /** Ids below `size` the tokenizer lacks (holes); usually empty. */
  readonly missingIds: number[];
  private readonly specialIds: Set<number>;

  constructor(json: TokenizerJson, config: Record<string, unknown>) {
    this.tokenizer = new Tokenizer(json, config);
    const ids = new Set<number>();
    const vocab = json.model?.vocab;
    if (Array.isArray(vocab)) {
      for (let i = 0; i < vocab.length; i++) ids.add(i);
    } else if (vocab) for (const id of Object.values(vocab)) ids.add(id);
    this.specialIds = new Set<number>();
    for (const t of json.added_tokens ?? []) {
      ids.add(t.id);
      if (t.special) this.specialIds.add(t.id);
    }
    let max = -1;
    for (const id of ids) if (id > max) max = id;
    this.size = max + 1;
    this.missingIds = [];
    for (let i = 0; i < this.size; i++) if (!ids.has(i)) this.missingIds.push(i);
  }

  encode(text: string): number[] {
    if (text === "") return [];
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /** Exact text of the ids (no clean-up of spaces); special tokens are dropped unless asked for. */
  decode(ids: readonly number[], keepSpecial = false): string {
    if (ids.length === 0) return "";
    return this.tokenizer.decode(ids as number[], {
      skip_special_tokens: !keepSpecial,
      clean_up_tokenization_spaces: false,
    });
  }

  tokenToId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }

  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }
}
