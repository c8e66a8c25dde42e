/**
 * Choosing one row's next token in the decode loop, over buffers allocated once per generation:
 * nothing is allocated per row or step, and each pass over the vocabulary does as much as it can.
 *
 * Results are bit for bit those of the generic code in processors.ts / samplers.ts / logits.ts
 * (tests/runner/row-sampler.test.ts checks it against a frozen copy of that code):
 *
 * - {@link RowSampler.greedy}: `argmax` and `logSumExp` in one max pass and one exp pass.
 * - {@link RowSampler.prepare} + {@link RowSampler.draw}: the `topP(p)` processor followed by
 *   `sampleMultinomial` (equally: `expsAndSum`, `applyTopP`, `sampleFromExps`). It computes the
 *   same exps, the same bucket masses in the same order, the same boundary bucket sorted by the same
 *   key, the same sum of the kept exps in id order and the same walk; but it keeps each bucket's
 *   tokens in a linked list, so only the buckets up to the one where the mass crosses p are ever
 *   visited, it divides by the sum only there, it never copies or masks the logits, and the draw
 *   walks a compact list of the kept ids instead of the whole vocabulary. One prepared row can be
 *   drawn from any number of times (the n samples of a prompt share its first step's logits).
 *
 * Rows whose logits hold NaN or +Infinity, or only -Infinity, take the generic code itself.
 */
import type { Rng } from "../util/rng.js";
import { logSumExp } from "./logits.js";
import {
  applyTopP,
  type LogitsProcessor,
  NUCLEUS_BINS,
  type NucleusScratch,
  nucleusScratch,
  processorsFor,
} from "./processors.js";
import { sampleFromExps, sampleMultinomial } from "./samplers.js";

const BINS = NUCLEUS_BINS;
const NEG_INF = Number.NEGATIVE_INFINITY;

/**
 * What the row's logits went through before {@link RowSampler.prepare}, which decides the generic
 * code a degenerate row falls back to: `"shared"` is the runner's temperature-1, no-top-k path
 * (exps of the log-prob's softmax shared with top-p and the draw), `"pipeline"` the processor
 * pipeline (`topP(p)` then `sampleMultinomial`). Both give the same draws on ordinary rows.
 */
export type RowMode = "shared" | "pipeline";

type Prepared = "none" | "greedy" | "all" | "nucleus" | "fallback-shared" | "fallback-pipeline";

/** How a row chooses its tokens (from its generation settings). */
export interface RowPlan {
  greedy: boolean;
  /** Temperature and top-k, in Hugging Face's order (top-p is the sampler's own). */
  processors: LogitsProcessor[];
  topP: number;
}

export function rowPlan(config: { temperature: number; topK: number; topP: number }): RowPlan {
  const greedy = config.temperature === 0;
  return { greedy, processors: greedy ? [] : processorsFor({ ...config, topP: 1 }), topP: config.topP };
}

export class RowSampler {
  /** log(sum(exp(x))) of the last row given to {@link greedy} or {@link prepare}. */
  lse = Number.NaN;
  private readonly exps: Float64Array;
  /** Next token (higher id) in the same bucket, -1 after its last. */
  private readonly next: Int32Array;
  /** Lowest id in each bucket, -1 when empty. */
  private readonly head = new Int32Array(BINS);
  /** One bit per token: kept by top-p (all zero between rows). */
  private readonly keepBits: Int32Array;
  /** Ids in the bucket where the mass crosses p; then the kept ids, in id order. */
  private readonly ids: Int32Array;
  /** exps[i] / sum of the boundary bucket's tokens (indexed by id). */
  private readonly probs: Float64Array;
  private readonly byProbability = (a: number, b: number): number => this.probs[b]! - this.probs[a]! || a - b;
  private state: Prepared = "none";
  private row: Float32Array = new Float32Array(0);
  private kept = 0;
  private keptSum = 0;
  /** The processed copy of a row with processors. */
  private work: Float32Array | undefined;
  /** The generic code's copy of a degenerate row, and its top-p scratch. */
  private fallbackWork: Float32Array | undefined;
  private scratch: NucleusScratch | undefined;
  private greedyToken = 0;

  /** For rows of `size` logits (the usable vocabulary). */
  constructor(readonly size: number) {
    this.exps = new Float64Array(size);
    this.next = new Int32Array(size);
    this.keepBits = new Int32Array((size + 31) >>> 5);
    this.ids = new Int32Array(size);
    this.probs = new Float64Array(size);
  }

  /**
   * Analyses one row of logits for {@link choose}, and sets {@link lse} to their log-sum-exp (the
   * log-prob normalizer), as the runner's decode loop did with the generic code: greedy rows took
   * `argmax`; rows at temperature 1 without top-k shared the log-prob's exps with top-p and the draw
   * (`expsAndSum`, `applyTopP`, `sampleFromExps`); the others ran their processors on a copy of the
   * logits (temperature, top-k, the `topP` processor) and `sampleMultinomial`.
   */
  analyse(raw: Float32Array, plan: RowPlan): void {
    if (plan.greedy) {
      this.greedyToken = this.greedy(raw);
      this.state = "greedy";
    } else if (plan.processors.length === 0) {
      this.prepare(raw, plan.topP, "shared");
    } else {
      const lse = logSumExp(raw);
      if (!this.work || this.work.length !== raw.length) this.work = new Float32Array(raw.length);
      const work = this.work;
      work.set(raw);
      for (const p of plan.processors) p(work);
      this.prepare(work, plan.topP, "pipeline");
      this.lse = lse;
    }
  }

  /** The analysed row's token: its argmax for a greedy row, else a draw with one `rng.next()`. */
  choose(rng: Rng | undefined): number {
    if (this.state === "greedy") return this.greedyToken;
    if (!rng) throw new Error("a sampled row needs a generator");
    return this.draw(rng);
  }

  /** `argmax(x)` (the lowest id among ties), with {@link lse} set to `logSumExp(x)`. */
  greedy(x: Float32Array): number {
    let best = 0;
    let max = NEG_INF;
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      if (v > max) {
        max = v;
        best = i;
      }
    }
    if (max === NEG_INF) {
      this.lse = max;
      return best;
    }
    let sum = 0;
    for (let i = 0; i < x.length; i++) sum += Math.exp(x[i]! - max);
    this.lse = max + Math.log(sum);
    return best;
  }

  /**
   * Analyses a row for {@link draw} (top-p = p; p >= 1 keeps every token) and sets {@link lse} to
   * `logSumExp(x)`. `x` must stay unchanged until the last draw from it.
   */
  prepare(x: Float32Array, p: number, mode: RowMode = "shared"): void {
    const n = x.length;
    if (n > this.size) throw new Error(`row of ${n} logits for a sampler of ${this.size}`);
    const { exps } = this;
    this.row = x;
    let max = NEG_INF;
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      if (v > max) max = v;
      if (v < min && v !== NEG_INF) min = v;
    }
    if (max === NEG_INF) {
      this.prepareFallback(x, p, mode);
      return;
    }
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const e = Math.exp(x[i]! - max);
      exps[i] = e;
      sum += e;
    }
    // NaN or +Infinity logits make the sum NaN.
    if (!(sum < Number.POSITIVE_INFINITY)) {
      this.prepareFallback(x, p, mode);
      return;
    }
    this.lse = max + Math.log(sum);
    if (p >= 1) {
      // Every finite token is kept; their sum in id order is `sum` (the others added exp(-Inf) = 0).
      this.state = "all";
      this.keptSum = sum;
      return;
    }
    const { next, head, ids, probs, keepBits } = this;
    // Each finite token into its bucket's list; backwards, so that lists run in increasing id
    // order. (max - v) * scale >= 0, so `| 0` is applyTopP's Math.floor.
    const range = max - min;
    const scale = range > 0 ? (BINS - 1) / range : 0;
    head.fill(-1);
    for (let i = n - 1; i >= 0; i--) {
      const v = x[i]!;
      if (v === NEG_INF) continue;
      const b = ((max - v) * scale) | 0;
      next[i] = head[b]!;
      head[b] = i;
    }
    // Bucket masses in bucket order until the cumulative mass reaches p; each mass adds its
    // tokens' probabilities in id order, as applyTopP's single pass does. Visited tokens are the
    // candidates: marked in keepBits.
    let cum = 0;
    let boundary = BINS - 1;
    for (let b = 0; b < BINS; b++) {
      let mass = 0;
      for (let i = head[b]!; i >= 0; i = next[i]!) {
        mass += exps[i]! / sum;
        keepBits[i >>> 5] = keepBits[i >>> 5]! | (1 << (i & 31));
      }
      if (cum + mass >= p) {
        boundary = b;
        break;
      }
      cum += mass;
    }
    // The boundary bucket, most likely first (lower id first among ties), kept until the mass
    // reaches p; the rest is unmarked.
    let m = 0;
    for (let i = head[boundary]!; i >= 0; i = next[i]!) {
      ids[m++] = i;
      probs[i] = exps[i]! / sum;
    }
    if (m > 1) sortIds(ids, m, probs, this.byProbability);
    let keep = 0;
    while (keep < m) {
      cum += probs[ids[keep]!]!;
      keep++;
      if (cum >= p) break;
    }
    for (let j = keep; j < m; j++) {
      const i = ids[j]!;
      keepBits[i >>> 5] = keepBits[i >>> 5]! & ~(1 << (i & 31));
    }
    // The kept ids in id order, and the sum of their exps in that order (sampleFromExps's sum);
    // keepBits is cleared for the next row on the way.
    let k = 0;
    let kept = 0;
    const words = (n + 31) >>> 5;
    for (let w = 0; w < words; w++) {
      let bits = keepBits[w]!;
      if (bits === 0) continue;
      keepBits[w] = 0;
      const base = w << 5;
      while (bits !== 0) {
        const low = bits & -bits;
        const i = base + 31 - Math.clz32(low);
        ids[k++] = i;
        kept += exps[i]!;
        bits ^= low;
      }
    }
    this.kept = k;
    this.keptSum = kept;
    this.state = "nucleus";
  }

  /** One token from the prepared row, with a single `rng.next()`. */
  draw(rng: Rng): number {
    const { exps, ids } = this;
    switch (this.state) {
      case "nucleus": {
        const target = rng.next() * this.keptSum;
        let cum = 0;
        const k = this.kept;
        for (let j = 0; j < k; j++) {
          const i = ids[j]!;
          cum += exps[i]!;
          if (cum > target) return i;
        }
        return k > 0 ? ids[k - 1]! : 0;
      }
      case "all": {
        const target = rng.next() * this.keptSum;
        const x = this.row;
        let cum = 0;
        for (let i = 0; i < x.length; i++) {
          cum += exps[i]!;
          if (cum > target) return i;
        }
        for (let i = x.length - 1; i >= 0; i--) if (x[i] !== NEG_INF) return i;
        return 0;
      }
      case "fallback-shared":
        return sampleFromExps(this.fallbackWork!, exps, rng);
      case "fallback-pipeline":
        return sampleMultinomial(this.fallbackWork!, rng);
      default:
        throw new Error("draw() before prepare()");
    }
  }

  /** The generic code, for rows with NaN, +Infinity or nothing but -Infinity. */
  private prepareFallback(x: Float32Array, p: number, mode: RowMode): void {
    const { exps } = this;
    const n = x.length;
    if (!this.fallbackWork || this.fallbackWork.length !== n) this.fallbackWork = new Float32Array(n);
    this.scratch ??= nucleusScratch();
    const work = this.fallbackWork;
    work.set(x);
    // logSumExp(x) as logits.ts computes it (expsAndSum's max + log(sum) is bit for bit the same).
    let max = NEG_INF;
    for (let i = 0; i < n; i++) if (x[i]! > max) max = x[i]!;
    let sum = 0;
    if (max === NEG_INF) {
      this.lse = max;
      exps.fill(0, 0, n);
    } else {
      for (let i = 0; i < n; i++) {
        const e = Math.exp(x[i]! - max);
        exps[i] = e;
        sum += e;
      }
      this.lse = max + Math.log(sum);
    }
    if (mode === "shared") {
      // generate's former temperature-1 path: expsAndSum, applyTopP, sampleFromExps.
      applyTopP(work, exps, max, sum, p, this.scratch);
      this.state = "fallback-shared";
    } else {
      // The topP(p) processor (its own exps, with no -Infinity special case), then
      // sampleMultinomial.
      if (p < 1) {
        let pmax = NEG_INF;
        for (let i = 0; i < n; i++) if (work[i]! > pmax) pmax = work[i]!;
        let psum = 0;
        for (let i = 0; i < n; i++) {
          const e = Math.exp(work[i]! - pmax);
          exps[i] = e;
          psum += e;
        }
        applyTopP(work, exps, pmax, psum, p, this.scratch);
      }
      this.state = "fallback-pipeline";
    }
  }
}

/** Sorts ids[0..m) by decreasing probs[id], then increasing id (a strict total order). */
function sortIds(
  ids: Int32Array,
  m: number,
  probs: Float64Array,
  cmp: (a: number, b: number) => number,
): void {
  if (m > 24) {
    ids.subarray(0, m).sort(cmp);
    return;
  }
  for (let j = 1; j < m; j++) {
    const id = ids[j]!;
    const q = probs[id]!;
    let k = j - 1;
    while (k >= 0) {
      const o = ids[k]!;
      const qo = probs[o]!;
      if (qo > q || (qo === q && o < id)) break;
      ids[k + 1] = o;
      k--;
    }
    ids[k + 1] = id;
  }
}
