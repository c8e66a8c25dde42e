/**
 * Per-row cost of choosing a token with top-p sampling over phi-1.5's 50295-token vocabulary:
 * the generic processor pipeline (log-sum-exp for the log-prob, top-p, multinomial draw, each
 * computing its own exps), the shared-exps functions for temperature 1 without top-k (one exp
 * pass serves all three), and RowSampler, which the decode loop uses (bucket lists visited only up
 * to where the mass crosses p, no copy of the logits, a draw over the kept ids only). All three
 * give the same draws bit for bit. No model needed.
 * Run: node dist/benchmarks/runner/sampling.js
 */
import { expsAndSum, logSumExp } from "../../src/runner/logits.js";
import { applyTopP, nucleusScratch, topP } from "../../src/runner/processors.js";
import { RowSampler } from "../../src/runner/row-sampler.js";
import { sampleFromExps, sampleMultinomial } from "../../src/runner/samplers.js";
import { createRng } from "../../src/util/rng.js";
import { now, report, round } from "./common.js";

const VOCAB = 50295;
const ROWS = 400;
const P = 0.95;

const data = createRng(7);
const rows = Array.from({ length: ROWS }, () => {
  const x = new Float32Array(VOCAB);
  for (let i = 0; i < VOCAB; i++) x[i] = (data.next() - 0.5) * 6;
  return x;
});
const work = new Float32Array(VOCAB);
const exps = new Float64Array(VOCAB);
const scratch = nucleusScratch();
const processor = topP(P);
const sampler = new RowSampler(VOCAB);

const generic = (x: Float32Array, r: number) => {
  const lse = logSumExp(x);
  work.set(x);
  processor(work);
  return sampleMultinomial(work, createRng(r)) + lse * 0;
};
const shared = (x: Float32Array, r: number) => {
  const { max, sum } = expsAndSum(x, exps);
  const lse = max + Math.log(sum);
  work.set(x);
  applyTopP(work, exps, max, sum, P, scratch);
  return sampleFromExps(work, exps, createRng(r)) + lse * 0;
};
const rowSampler = (x: Float32Array, r: number) => {
  sampler.prepare(x, P);
  return sampler.draw(createRng(r)) + sampler.lse * 0;
};

let same = true;
rows.forEach((x, r) => {
  const g = generic(x, r);
  if (g !== shared(x, r) || g !== rowSampler(x, r)) same = false;
});
/** Best over 3 passes of the ms per row; the draws are summed so no work is optimized away. */
const perRow = (fn: (x: Float32Array, r: number) => number): number => {
  let best = Number.POSITIVE_INFINITY;
  let sink = 0;
  for (let pass = 0; pass < 3; pass++) {
    const t0 = now();
    for (let r = 0; r < ROWS; r++) sink += fn(rows[r]!, r);
    best = Math.min(best, (now() - t0) / ROWS);
  }
  if (sink < 0) throw new Error("unreachable");
  return best;
};
const genericOnly = perRow(generic);
const sharedOnly = perRow(shared);
const samplerOnly = perRow(rowSampler);
report(
  [
    `top-p ${P} over ${VOCAB} tokens, per row: processor pipeline ${genericOnly.toFixed(2)} ms, ` +
      `shared exps ${sharedOnly.toFixed(2)} ms, RowSampler ${samplerOnly.toFixed(2)} ms; same draws: ${same}`,
  ],
  {
    pipeline_ms_per_row: round(genericOnly, 3),
    shared_exps_ms_per_row: round(sharedOnly, 3),
    row_sampler_ms_per_row: round(samplerOnly, 3),
    shared_vs_pipeline_speedup: round(genericOnly / sharedOnly),
    row_sampler_vs_shared_speedup: round(sharedOnly / samplerOnly),
    same_draws: same ? 1 : 0,
  },
);
