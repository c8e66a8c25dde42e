import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RowSampler, rowPlan } from "../../src/runner/row-sampler.js";
import { createRng, type Rng } from "../../src/util/rng.js";
import { type RefConfig, refApplyTopP, refChoose, refKept, refTopPInput } from "./sampling-reference.js";

/** An Rng whose next() returns the given values in turn (to probe the whole cumulative range). */
function fixedRng(values: readonly number[]): Rng {
  let i = 0;
  const rng = createRng(0);
  return { ...rng, next: () => values[i++ % values.length]! };
}

const half = new Float32Array(1);
/** Rounds to fp16's 11-bit significand (through float32), as an fp16 model's logits are. */
function toHalfPrecision(v: number): number {
  half[0] = v;
  const m = half[0]!;
  if (m === 0 || !Number.isFinite(m)) return m;
  const e = Math.floor(Math.log2(Math.abs(m)));
  const step = 2 ** (e - 10);
  return Math.round(m / step) * step;
}

type Shape = (n: number, rng: Rng) => Float32Array;

const SHAPES: Record<string, Shape> = {
  uniform: (n, r) => Float32Array.from({ length: n }, () => (r.next() - 0.5) * (0.01 + 60 * r.next() ** 3)),
  peaky: (n, r) =>
    Float32Array.from({ length: n }, () => {
      const g = (r.next() + r.next() + r.next() - 1.5) * 4;
      return g + (r.next() < 0.002 ? 10 : 0);
    }),
  // Few distinct values: ties inside and across buckets, and between probabilities.
  quantized: (n, r) => Float32Array.from({ length: n }, () => Math.round((r.next() - 0.5) * 12) / 4),
  halfPrecision: (n, r) => Float32Array.from({ length: n }, () => toHalfPrecision((r.next() - 0.3) * 25)),
  allEqual: (n, r) => new Float32Array(n).fill(r.next() * 4 - 2),
  // A range far beyond exp's: most exps underflow to 0.
  huge: (n, r) => Float32Array.from({ length: n }, () => (r.next() - 0.5) * 3000),
  oneBig: (n, r) => {
    const x = Float32Array.from({ length: n }, () => r.next() * 0.1);
    x[Math.floor(r.next() * n)] = 40;
    return x;
  },
};

/** -Infinity holes (ids a tokenizer lacks at the end, scattered removed ids). */
function withHoles(x: Float32Array, r: Rng): Float32Array {
  const y = x.slice();
  const tail = Math.floor(y.length * 0.02);
  for (let i = y.length - tail; i < y.length; i++) y[i] = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < y.length / 20; i++) y[Math.floor(r.next() * (y.length - 1))] = Number.NEGATIVE_INFINITY;
  return y;
}

const CONFIGS: RefConfig[] = [
  { temperature: 0, topK: 0, topP: 1 },
  { temperature: 1, topK: 0, topP: 1 },
  { temperature: 1, topK: 0, topP: 0.95 },
  { temperature: 1, topK: 0, topP: 0.9 },
  { temperature: 1, topK: 0, topP: 0.5 },
  { temperature: 1, topK: 0, topP: 0.05 },
  { temperature: 1, topK: 0, topP: 1e-9 },
  { temperature: 1, topK: 0, topP: 0.999999 },
  { temperature: 0.7, topK: 0, topP: 0.9 },
  { temperature: 1.6, topK: 0, topP: 1 },
  { temperature: 0.3, topK: 50, topP: 0.95 },
  { temperature: 1, topK: 5, topP: 0.8 },
  { temperature: 1, topK: 1, topP: 1 },
  { temperature: 2, topK: 1000000, topP: 0.7 },
];

/** Fixed draws spanning [0, 1): both ends, and a grid (each probes one point of the cumulative sum). */
const GRID = [0, 1 - 2 ** -53, 0.5, ...Array.from({ length: 61 }, (_, i) => (i + 0.5) / 61)];
/** For long rows (the reference is slow): both ends and the top of the range, where the kept set's edge is. */
const SHORT_GRID = [0, 1 - 2 ** -53, 0.5, 0.9, 0.99, 0.999, 0.9999];

function check(
  x: Float32Array,
  c: RefConfig,
  sampler: RowSampler,
  seed: number,
  what: string,
  grid = x.length > 1000 ? SHORT_GRID : GRID,
): void {
  const plan = rowPlan(c);
  // Seeded draws: one analysis, several draws (as the n samples' shared first step), each against
  // the reference recomputing the whole row with a generator in the same state.
  const mine = createRng(seed);
  const theirs = createRng(seed);
  sampler.analyse(x, plan);
  for (let d = 0; d < 4; d++) {
    const ref = refChoose(x, c, c.temperature === 0 ? undefined : theirs);
    const token = sampler.choose(c.temperature === 0 ? undefined : mine);
    assert.equal(token, ref.token, `${what}: draw ${d}`);
    assert.ok(Object.is(sampler.lse, ref.lse), `${what}: lse ${sampler.lse} vs ${ref.lse}`);
  }
  if (c.temperature === 0) return;
  // The grid: every draw position (the kept set and the order of its sum show up here).
  const mineGrid = fixedRng(grid);
  const theirsGrid = fixedRng(grid);
  for (const u of grid) {
    assert.equal(sampler.choose(mineGrid), refChoose(x, c, theirsGrid).token, `${what}: grid ${u}`);
  }
}

describe("RowSampler (per-row token choice of the decode loop)", () => {
  it("gives bit for bit the former code's tokens and log-prob normalizers on many random rows", () => {
    const data = createRng(2024);
    const sizes = [1, 2, 3, 5, 17, 100, 1000, 4096];
    let checked = 0;
    for (const [name, shape] of Object.entries(SHAPES)) {
      for (const n of sizes) {
        const sampler = new RowSampler(n);
        for (let trial = 0; trial < 3; trial++) {
          let x = shape(n, data);
          if (trial === 1) x = withHoles(x, data);
          for (const [ci, c] of CONFIGS.entries()) {
            check(x, c, sampler, 1000 * trial + ci, `${name} n=${n} trial ${trial} config ${ci}`);
            checked++;
          }
        }
      }
    }
    assert.equal(checked, Object.keys(SHAPES).length * sizes.length * 3 * CONFIGS.length);
  });

  it("matches on full phi-1.5-sized rows (50295 tokens), with the tokenizer's missing ids", () => {
    const data = createRng(77);
    const n = 50295;
    const sampler = new RowSampler(n);
    for (const name of ["uniform", "peaky", "halfPrecision", "quantized"]) {
      const x = SHAPES[name]!(n, data);
      for (let i = 50200; i < n; i++) x[i] = Number.NEGATIVE_INFINITY;
      for (const [ci, c] of CONFIGS.entries()) check(x, c, sampler, ci, `${name} n=${n} config ${ci}`);
    }
  });

  it("matches where rounding decides: p equal to a cumulative mass, draws landing on a cumulative sum", () => {
    // p set to exactly a mass that top-p compares with p (so `>=` against `>`, or a mass summed in
    // another order or divided differently, would keep another set), and uniform draws u with
    // u * sum equal to a partial sum of the kept exps (so the sum's order and the `>` of the walk
    // show).
    const data = createRng(31);
    let probed = 0;
    for (const name of ["uniform", "peaky", "quantized", "halfPrecision", "allEqual", "oneBig"]) {
      for (const n of [40, 700, 5000]) {
        const x = SHAPES[name]!(n, data);
        const sampler = new RowSampler(n);
        for (const base of [
          { temperature: 1, topK: 0 },
          { temperature: 0.8, topK: 0 },
          { temperature: 1.2, topK: 30 },
        ]) {
          const { work, exps, max, sum } = refTopPInput(x, { ...base, topP: 1 });
          const first: number[] = [];
          refApplyTopP(work.slice(), exps, max, sum, 1 - 2 ** -30, first);
          const ps = new Set<number>();
          const candidates = first.filter((v) => v > 0 && v < 1);
          for (const j of [
            0,
            1,
            2,
            Math.floor(candidates.length / 2),
            candidates.length - 2,
            candidates.length - 1,
          ]) {
            const q = candidates[j];
            if (q === undefined) continue;
            ps.add(q);
            // Second order: the masses compared inside the boundary bucket at that p.
            const second: number[] = [];
            refApplyTopP(work.slice(), exps, max, sum, q, second);
            for (const v of second.slice(-8)) if (v > 0 && v < 1) ps.add(v);
          }
          for (const p of ps) {
            const c = { ...base, topP: p };
            const kept = refKept(x, c);
            let total = 0;
            for (const e of kept.exps) total += e;
            const us: number[] = [0, 1 - 2 ** -53];
            let cum = 0;
            kept.exps.forEach((e, j) => {
              cum += e;
              if (j < 3 || j >= kept.exps.length - 3 || j % 97 === 0) us.push(cum / total);
            });
            check(
              x,
              c,
              sampler,
              probed,
              `${name} n=${n} ${JSON.stringify(c)}`,
              us.filter((u) => u < 1),
            );
            probed++;
          }
        }
      }
    }
    assert.ok(probed > 200, `probed ${probed}`);
  });

  it("takes the former code's path on rows with NaN, +Infinity or only -Infinity", () => {
    const data = createRng(5);
    const sampler = new RowSampler(64);
    const rows: Record<string, Float32Array> = {
      nan: SHAPES["peaky"]!(64, data).map((v, i) => (i === 9 ? Number.NaN : v)),
      posInf: SHAPES["peaky"]!(64, data).map((v, i) => (i === 30 || i === 31 ? Number.POSITIVE_INFINITY : v)),
      allNegInf: new Float32Array(64).fill(Number.NEGATIVE_INFINITY),
      oneFinite: new Float32Array(64).fill(Number.NEGATIVE_INFINITY).map((v, i) => (i === 40 ? 1.5 : v)),
    };
    for (const [name, x] of Object.entries(rows)) {
      for (const [ci, c] of CONFIGS.entries()) check(x, c, sampler, ci, `${name} config ${ci}`);
    }
  });

  it("reuses its buffers across rows of different content without leaking state", () => {
    // The same row analysed after other rows (buckets, marks and kept ids of the previous rows must
    // not carry over) gives the same draws as on a fresh sampler.
    const data = createRng(9);
    const n = 3000;
    const rows = Array.from({ length: 6 }, (_, i) => Object.values(SHAPES)[i % 7]!(n, data));
    const c = { temperature: 1, topK: 0, topP: 0.9 };
    const fresh = rows.map((x) => {
      const s = new RowSampler(n);
      s.analyse(x, rowPlan(c));
      return GRID.map((u) => s.choose(fixedRng([u])));
    });
    const shared = new RowSampler(n);
    for (let pass = 0; pass < 2; pass++) {
      rows.forEach((x, r) => {
        shared.analyse(x, rowPlan(c));
        assert.deepEqual(
          GRID.map((u) => shared.choose(fixedRng([u]))),
          fresh[r],
          `row ${r} pass ${pass}`,
        );
      });
    }
  });
});
