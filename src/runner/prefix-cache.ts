/**
 * The shared-prefix KV cache. Few-shot formats put the same exemplar block (~800 tokens for
 * `gsm8k-5shot`) before every question; prefilling it for every request is most of a run's prefill
 * time. A request that names its shared prefix (`GenerateRequest.sharedPrefix`) starts instead from
 * a copy of that block's cache, computed once: the block's positions are the same in every prompt
 * (a position depends only on the tokens before it), so the completions are those of the full
 * prefill up to float rounding (tests/runner/prefix-cache.test.ts).
 *
 * Tokens, not characters, decide how much is reused: the block is tokenized on its own, and each
 * prompt reuses the longest run of leading tokens it shares with it (a BPE merge across the
 * block's end changes at most its last token).
 */
import type { KvCache } from "./kv-cache.js";
import type { CausalLM } from "./model.js";
import { leftPad, prefill } from "./prefill.js";
import type { GenerateRequest } from "./types.js";

/** A prefilled block: its token ids and its one-row cache (never fed to the graph itself). */
export interface PrefixEntry {
  text: string;
  ids: number[];
  cache: KvCache;
}

/** What the cache did, for --verbose and the benchmarks. */
export interface PrefixStats {
  /** Blocks prefilled (misses). */
  prefilled: number;
  /** Tokens prefilled for those blocks. */
  prefilledTokens: number;
  /** Prompt rows that started from a block's cache, and the prompt tokens they did not recompute. */
  reusedRows: number;
  reusedTokens: number;
}

/** Most-recently used first; two entries keep a run's block while a one-off block comes and goes. */
export class PrefixCache {
  private entries: PrefixEntry[] = [];
  readonly stats: PrefixStats = { prefilled: 0, prefilledTokens: 0, reusedRows: 0, reusedTokens: 0 };

  constructor(
    private readonly capacity = 2,
    private readonly maxLogitsBytes?: number,
  ) {}

  /** The entry for `text`, prefilled on first use. */
  async entry(lm: CausalLM, text: string): Promise<PrefixEntry> {
    const at = this.entries.findIndex((e) => e.text === text);
    if (at >= 0) {
      const [hit] = this.entries.splice(at, 1);
      this.entries.unshift(hit!);
      return hit!;
    }
    const ids = lm.tokenizer.encode(text);
    const { cache } = await prefill(lm, leftPad([ids], lm.bosId), { maxLogitsBytes: this.maxLogitsBytes });
    const made = { text, ids, cache };
    this.stats.prefilled++;
    this.stats.prefilledTokens += ids.length;
    this.entries.unshift(made);
    this.entries.length = Math.min(this.entries.length, this.capacity);
    return made;
  }

  /** Records that `rows` prompts each skipped `columns` prompt tokens (minus their padding). */
  noteReuse(columns: number, pads: readonly number[]): void {
    for (const pad of pads) {
      if (pad >= columns) continue;
      this.stats.reusedRows++;
      this.stats.reusedTokens += columns - pad;
    }
  }
}

/** The shared prefix a request names ("" when none). */
export function sharedPrefixText(req: Pick<GenerateRequest, "prompt" | "sharedPrefix">): string {
  return req.sharedPrefix ? req.prompt.slice(0, req.sharedPrefix) : "";
}

/** The number of leading tokens every prompt shares with `ids`. */
export function sharedLeadingTokens(ids: readonly number[], prompts: readonly (readonly number[])[]): number {
  let k = ids.length;
  for (const p of prompts) {
    const limit = Math.min(k, p.length);
    let i = 0;
    while (i < limit && p[i] === ids[i]) i++;
    k = i;
  }
  return k;
}

/** One line on what the cache saved, or undefined when no request named a shared prefix. */
export function describePrefixReuse(stats: PrefixStats): string | undefined {
  if (stats.prefilled === 0) return undefined;
  const blocks = stats.prefilled === 1 ? "1 shared prefix" : `${stats.prefilled} shared prefixes`;
  return (
    `${blocks} (${stats.prefilledTokens} tokens) prefilled once; ${stats.reusedRows} prompts started ` +
    `from it, ${stats.reusedTokens} prompt tokens not recomputed`
  );
}
