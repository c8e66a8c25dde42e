/**
 * The generation loop: a left-padded prefill for a batch of prompts (run in groups of similar
 * length, prefill-groups.ts), the prompt caches expanded to n rows each, then one decode step per
 * token for every unfinished row. Rows draw from their own generator seeded by (run seed, prompt
 * id, sample index), so a sample does not depend on the batch it ran in. Finished rows are
 * dropped from the cache (with padding no row needs).
 */
import { InputError } from "../util/errors.js";
import { createRng, deriveSeed, type Rng } from "../util/rng.js";
import { resolveConfig } from "./config.js";
import { GROW_SLOTS, openDecoder } from "./decoder.js";
import { KvCache } from "./kv-cache.js";
import { readLogits } from "./logits.js";
import type { CausalLM } from "./model.js";
import type { Tensor } from "./ort.js";
import { equalLengthGroups, leftPad, type PaddedBatch, yieldToEventLoop } from "./prefill.js";
import { prefillByGroups } from "./prefill-groups.js";
import { type PrefixCache, sharedLeadingTokens, sharedPrefixText } from "./prefix-cache.js";
import { type RowPlan, RowSampler, rowPlan } from "./row-sampler.js";
import { type StopCheck, stopCheck } from "./stopping.js";
import type { Completion, FinishReason, GenerateRequest, GenerationConfig, RunOptions } from "./types.js";

/**
 * Most new positions a decode cache reserves memory for at the start (pages are touched only as it
 * fills; a longer completion moves the cache into buffers twice the size when it outgrows them). A
 * budget of a whole context (a huge --max-new-tokens) must not become one allocation.
 */
const RESERVE_SLOTS = 1024;

/** Most time (ms) one decode step's rows hold the event loop before timers and I/O get a turn. */
const ROWS_SLICE_MS = 10;

export interface GenerateOptions extends RunOptions {
  maxLogitsBytes?: number;
  /** Where shared prefixes (`GenerateRequest.sharedPrefix`) are kept; without it every prompt is prefilled whole. */
  prefixes?: PrefixCache;
}

interface Row {
  request: number;
  sample: number;
  seed: number | null;
  rng: Rng | undefined;
  plan: RowPlan;
  stop: StopCheck;
  budget: number;
  tokens: number[];
  logprobs: number[];
  /** Leading padding columns of this row in the cache. */
  pad: number;
  /** Position id of the next token. */
  nextPos: number;
  finish?: FinishReason;
  cut?: number;
}

/** Tokenizes a prompt and checks it fits the context window with room for one new token. */
export function promptIds(lm: CausalLM, req: GenerateRequest): number[] {
  const ids = req.promptTokenIds ?? lm.tokenizer.encode(req.prompt);
  if (ids.length === 0) return [lm.bosId];
  if (ids.length >= lm.maxContext) {
    throw new InputError(
      `prompt ${req.id}: ${ids.length} tokens do not fit the model's context window of ${lm.maxContext} tokens`,
    );
  }
  return ids;
}

/** The sample indices a request asks for, checked against its n and its explicit seeds. */
export function sampleIndices(req: GenerateRequest, n: number): number[] {
  const indices = req.samples ?? Array.from({ length: n }, (_, j) => j);
  for (const j of indices) {
    if (!Number.isInteger(j) || j < 0 || j >= n)
      throw new InputError(`prompt ${req.id}: sample index ${j} is outside 0..${n - 1}`);
  }
  if (req.seeds !== undefined) {
    if (req.seeds.length !== indices.length)
      throw new InputError(`prompt ${req.id}: ${req.seeds.length} seeds for ${indices.length} samples`);
    if (req.seeds.some((s) => !Number.isInteger(s) || s < 0 || s > 0xffffffff))
      throw new InputError(`prompt ${req.id}: seeds must be integers in [0, 2^32)`);
  }
  return indices;
}

/**
 * The batch's first columns from the shared-prefix cache, when every request names the same shared
 * prefix and the graph numbers positions by `position_ids` (a graph without them reads the mask as
 * right padding; see prefill.ts). Undefined: prefill every prompt whole.
 */
async function sharedPrefixPast(
  lm: CausalLM,
  requests: readonly GenerateRequest[],
  prompts: readonly number[][],
  batch: PaddedBatch,
  prefixes: PrefixCache | undefined,
): Promise<KvCache | undefined> {
  const text = requests[0] ? sharedPrefixText(requests[0]) : "";
  if (!prefixes || !lm.info.hasPositionIds || text === "") return undefined;
  if (requests.some((r) => sharedPrefixText(r) !== text)) return undefined;
  const entry = await prefixes.entry(lm, text);
  // Every row must still run its last prompt token (its logits choose the first new token).
  const columns = Math.min(sharedLeadingTokens(entry.ids, prompts), batch.width - 1);
  if (columns <= 0) return undefined;
  prefixes.noteReuse(columns, batch.pads);
  return KvCache.fromPrefix(entry.cache, columns, batch.pads);
}

/** Completes one batch of prompts (all rows run together). */
export async function generateBatch(
  lm: CausalLM,
  requests: readonly GenerateRequest[],
  base: Partial<GenerationConfig> = {},
  options: GenerateOptions = {},
): Promise<Completion[]> {
  if (requests.length === 0) return [];
  const configs = requests.map((r) => resolveConfig(base, r.config));
  const prompts = requests.map((r) => promptIds(lm, r));
  if (!lm.info.hasPositionIds) {
    const groups = equalLengthGroups(prompts.map((p) => p.length));
    if (groups.length > 1) {
      const byRequest: Completion[][] = requests.map(() => []);
      for (const g of groups) {
        const out = await generateBatch(
          lm,
          g.map((i) => requests[i]!),
          base,
          options,
        );
        // Rows come back request by request, each with its samples.
        let at = 0;
        for (const i of g) {
          const count = sampleIndices(requests[i]!, configs[i]!.n).length;
          byRequest[i] = out.slice(at, at + count);
          at += count;
        }
      }
      return byRequest.flat();
    }
  }
  const padId = lm.eosIds[0] ?? lm.bosId;
  const batch = leftPad(prompts, padId);

  const rows: Row[] = [];
  requests.forEach((req, i) => {
    const c = configs[i]!;
    const greedy = c.temperature === 0;
    const indices = sampleIndices(req, c.n);
    indices.forEach((s, k) => {
      const seed = greedy ? null : (req.seeds?.[k] ?? deriveSeed(c.seed, req.id, s));
      rows.push({
        request: i,
        sample: s,
        seed,
        rng: seed === null ? undefined : createRng(seed),
        plan: rowPlan(c),
        stop: stopCheck(lm.eosIds, c.stop),
        budget: Math.min(c.maxNewTokens, lm.maxContext - prompts[i]!.length),
        tokens: [],
        logprobs: [],
        pad: batch.pads[i]!,
        nextPos: prompts[i]!.length,
      });
    });
  });
  if (rows.length === 0) return [];
  const maxBudget = Math.max(...rows.map((r) => r.budget));
  options.onProgress?.({ phase: "prefill", done: 0, total: requests.length });
  // Prompts of similar length are prefilled together, each group padded only to its own longest.
  const pre = await prefillByGroups(lm, prompts, batch, padId, {
    maxLogitsBytes: options.maxLogitsBytes,
    afterStep: yieldToEventLoop,
    pastFor: (sub, group) =>
      sharedPrefixPast(
        lm,
        group.map((r) => requests[r]!),
        group.map((r) => prompts[r]!),
        sub,
        options.prefixes,
      ),
  });
  options.onProgress?.({ phase: "prefill", done: requests.length, total: requests.length });

  // Expand each prompt's cache to its n rows (one prefill shared by all samples). A graph that
  // exposes its new key/value positions decodes over a slot cache (no cache copy per step).
  const rowMap = rows.map((r) => r.request);
  const room = (steps: number) => Math.min(GROW_SLOTS, Math.max(1, steps));
  const width = pre.caches.width;
  const decoder = await openDecoder(
    lm,
    pre.caches,
    rowMap,
    width + room(maxBudget - 1),
    width + Math.min(maxBudget, RESERVE_SLOTS),
  );
  try {
    let logits: Tensor = pre.logits;
    let source = rowMap; // row of `logits` each active row reads
    let position = pre.lastPosition;
    let active = rows.slice();
    const raw = new Float32Array(lm.vocabLimit);
    const sampler = new RowSampler(lm.vocabLimit);
    const missing = lm.tokenizer.missingIds;
    // The row of `logits` last prepared, and for which prompt: the next row of the same prompt
    // reading the same logits (the n samples' first step) only draws again.
    let preparedLogits: Tensor | undefined;
    let preparedSource = -1;
    let preparedRequest = -1;
    let lse = 0;

    for (let step = 0; active.length > 0; step++) {
      let since = performance.now();
      for (let i = 0; i < active.length; i++) {
        // Choosing a token reads the whole vocabulary: a step of many rows on a busy machine can
        // take 100 ms or more, too long to keep a server's other clients (litmus serve) waiting.
        if (performance.now() - since > ROWS_SLICE_MS) {
          await yieldToEventLoop();
          since = performance.now();
        }
        const row = active[i]!;
        // A cancelled request's rows end here: nobody reads their completions.
        if (requests[row.request]!.signal?.aborted) {
          row.finish = "length";
          continue;
        }
        if (logits !== preparedLogits || source[i] !== preparedSource || row.request !== preparedRequest) {
          readLogits(logits, source[i]!, position, raw, missing);
          sampler.analyse(raw, row.plan);
          lse = sampler.lse;
          preparedLogits = logits;
          preparedSource = source[i]!;
          preparedRequest = row.request;
        }
        const token = sampler.choose(row.rng);
        if (row.stop.isEos(token)) {
          row.finish = "eos";
          continue;
        }
        row.tokens.push(token);
        row.logprobs.push(raw[token]! - lse);
        row.nextPos++;
        const text = row.stop.needsText ? lm.tokenizer.decode(row.tokens) : "";
        const verdict = row.stop.after(text, row.tokens.length, row.budget);
        if (verdict) {
          row.finish = verdict.reason;
          row.cut = verdict.cut;
        }
      }
      options.onProgress?.({ phase: "decode", done: step + 1, total: maxBudget });
      const keep = active.map((r, i) => (r.finish === undefined ? i : -1)).filter((i) => i >= 0);
      if (keep.length === 0) break;
      if (keep.length < active.length) {
        const next = keep.map((i) => active[i]!);
        const drop = Math.min(...next.map((r) => r.pad));
        await decoder.selectRows(keep, drop);
        for (const r of next) r.pad -= drop;
        active = next;
      }
      const left = Math.max(...active.map((r) => r.budget - r.tokens.length));
      logits = await decoder.step(
        active.map((r) => r.tokens[r.tokens.length - 1]!),
        active.map((r) => r.nextPos - 1),
        active.map((r) => r.pad),
        room(left),
      );
      source = active.map((_, i) => i);
      position = 0;
      await yieldToEventLoop();
    }
  } finally {
    // An error already on its way matters more than one from freeing the cache.
    await decoder.close().catch(() => undefined);
  }

  return rows.map((r) => {
    const text = lm.tokenizer.decode(r.tokens);
    return {
      requestId: requests[r.request]!.id,
      sampleIndex: r.sample,
      text: r.finish === "stop" ? text.slice(0, r.cut) : text,
      tokenIds: r.tokens,
      logprobs: r.logprobs,
      finishReason: r.finish ?? "length",
      promptTokens: prompts[r.request]!.length,
      seed: r.seed,
    };
  });
}
