/** Messages between `litmus serve` and its tokenizer worker (tokenize-worker.ts). */

export interface TokenizeJob {
  kind: "tokenize";
  id: number;
  text: string;
  /**
   * Most tokens wanted: a text found longer is given up on (`over`) without tokenizing the rest,
   * so one huge prompt costs about `limit` tokens' work, not its whole length.
   */
  limit: number;
}

export type ToTokenizer = TokenizeJob | { kind: "cancel"; id: number };

export type FromTokenizer =
  | { kind: "ready" }
  | { kind: "failed"; message: string }
  | { kind: "ids"; id: number; ids: number[] }
  /**
   * The text has more than `limit` tokens: exactly `counted` when tokenized whole (`exact`), at
   * least `counted` when given up on while counting piece by piece.
   */
  | { kind: "over"; id: number; counted: number; exact: boolean };

/** Text tokenized in one go; a longer text is counted in pieces of about this many characters. */
export const PIECE_CHARS = 16 * 1024;
