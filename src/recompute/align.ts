import { type Quantity, scanQuantities } from "../perturb/index.js";

/** A question quantity and what an edited question wrote in its place. */
export interface AlignedQuantity {
  original: Quantity;
  edited: Quantity;
}

/**
 * Numerals are one kind whether whole, decimal or year-like: $12 -> $12.50 or 1200 -> 1600 miles
 * changes a value, not a kind.
 */
const NUMERAL_KINDS = new Set(["integer", "decimal", "year"]);
const kindFamily = (q: Quantity): string => (NUMERAL_KINDS.has(q.kind) ? "numeral" : q.kind);

const normalize = (text: string): string => text.replace(/\s+/g, " ");

/**
 * Pairs the quantities of an edited question with the original's, or null when the edit changed
 * anything but quantity values: a different count, a different kind (a word become a numeral,
 * `pm` become `am`, a price become a count), or different text between the quantities.
 */
export function alignQuantities(original: string, edited: string): AlignedQuantity[] | null {
  const a = scanQuantities(original);
  const b = scanQuantities(edited);
  if (a.length !== b.length) return null;
  const gaps = (text: string, qs: Quantity[]): string[] => {
    const out: string[] = [];
    let at = 0;
    for (const q of qs) {
      out.push(normalize(text.slice(at, q.start)));
      at = q.end;
    }
    out.push(normalize(text.slice(at)));
    out[0] = (out[0] as string).trimStart();
    out[out.length - 1] = (out[out.length - 1] as string).trimEnd();
    return out;
  };
  const gapsA = gaps(original, a);
  const gapsB = gaps(edited, b);
  if (gapsA.some((gap, i) => gap !== gapsB[i])) return null;
  const pairs: AlignedQuantity[] = [];
  for (const [i, qa] of a.entries()) {
    const qb = b[i] as Quantity;
    // Forms carry meaning beyond the value: `5 pm` is also 17, `50 cents` also 0.5 dollars.
    const sameForms = qa.forms.length === qb.forms.length && qa.forms.every((f, k) => f === qb.forms[k]);
    if (kindFamily(qa) !== kindFamily(qb) || qa.money !== qb.money || !sameForms) return null;
    pairs.push({ original: qa, edited: qb });
  }
  return pairs;
}
