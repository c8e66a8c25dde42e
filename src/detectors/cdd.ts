/**
 * CDD, Contamination Detection via output Distribution (Dong et al. 2024, "Generalization or
 * Memorization"): a model that memorised a problem answers it almost the same way every time it
 * is sampled. The edit distance of each sample to the greedy completion, over tokens, is small for
 * a peaked distribution. Text only: works for any backend.
 */
import levenshtein from "fast-levenshtein";

export interface CddOptions {
  /** Share of the longest sample's length a sample may differ by and still count as "near". */
  alpha: number;
  /** A problem is flagged when its peakedness exceeds xi. */
  xi: number;
  /** Only the first `maxTokens` tokens of each completion are compared. */
  maxTokens: number;
}

export const DEFAULT_CDD: CddOptions = { alpha: 0.05, xi: 0.01, maxTokens: 100 };

export interface CddResult {
  /** Edit distance of each sample to the greedy completion (tokens, after truncation). */
  distances: number[];
  /** Longest sample (tokens, after truncation): the l in alpha * l. */
  maxLength: number;
  /** Share of samples with distance <= alpha * maxLength. */
  peakedness: number;
  flagged: boolean;
}

// Token id -> one UTF-16 code unit, skipping the surrogate block so every id is one character.
const SURROGATE_START = 0xd800;
const SURROGATE_SIZE = 0x800;
const MAX_MAPPED = 0xffff - SURROGATE_SIZE;

function idsToString(ids: readonly number[]): string | null {
  let s = "";
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0 || id > MAX_MAPPED) return null;
    s += String.fromCharCode(id < SURROGATE_START ? id : id + SURROGATE_SIZE);
  }
  return s;
}

/**
 * Levenshtein distance between two token id sequences: fast-levenshtein over one character per
 * id when every id fits in the Basic Multilingual Plane (ids < 63488), else a plain DP.
 */
export function tokenEditDistance(a: readonly number[], b: readonly number[]): number {
  const sa = idsToString(a);
  const sb = idsToString(b);
  if (sa !== null && sb !== null) return levenshtein.get(sa, sb);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * Peakedness of one prompt's output distribution: F(alpha * l) = share of the n samples whose
 * token edit distance to the greedy completion is at most alpha * l, l the longest sample's
 * length; all sequences cut to `maxTokens` first. No samples: peakedness 0, not flagged.
 */
export function cdd(
  greedy: readonly number[],
  samples: ReadonlyArray<readonly number[]>,
  options: Partial<CddOptions> = {},
): CddResult {
  const o = { ...DEFAULT_CDD, ...options };
  if (!(o.alpha >= 0 && o.alpha <= 1)) throw new RangeError(`alpha must be in [0, 1], got ${o.alpha}`);
  if (!(o.xi >= 0 && o.xi <= 1)) throw new RangeError(`xi must be in [0, 1], got ${o.xi}`);
  const g = greedy.slice(0, o.maxTokens);
  const cut = samples.map((s) => s.slice(0, o.maxTokens));
  const distances = cut.map((s) => tokenEditDistance(g, s));
  const maxLength = cut.reduce((m, s) => Math.max(m, s.length), 0);
  const limit = o.alpha * maxLength;
  const near = distances.filter((d) => d <= limit).length;
  const peakedness = cut.length === 0 ? 0 : near / cut.length;
  return { distances, maxLength, peakedness, flagged: peakedness > o.xi };
}

/**
 * A tokenization for stored completions that kept only their text: words, numbers and single
 * punctuation marks (whitespace dropped), each distinct unit given the next id of `vocab`. Use
 * the model's own token ids when they are available.
 */
export function textUnits(text: string, vocab: Map<string, number>): number[] {
  const units = text.match(/[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu) ?? [];
  return units.map((u) => {
    let id = vocab.get(u);
    if (id === undefined) {
      id = vocab.size;
      vocab.set(u, id);
    }
    return id;
  });
}
