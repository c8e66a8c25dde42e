/**
 * Seeded pseudo-random generation. Every probe and sampler receives an explicit generator, so the
 * same seed always yields the same variants and samples regardless of scheduling or batching.
 */

/** A source of uniform floats in [0, 1). */
export interface Rng {
  next(): number;
  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number;
  /** A uniformly chosen element; throws on an empty array. */
  pick<T>(items: readonly T[]): T;
  /** A new array with the items in random order. */
  shuffle<T>(items: readonly T[]): T[];
}

/** 32-bit FNV-1a over a string; used to turn ids into seeds. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Derives an independent 32-bit seed from a base seed and any number of labels (prompt id,
 * sample index, probe name...). Order matters; equal inputs give equal seeds.
 */
export function deriveSeed(base: number, ...parts: Array<string | number>): number {
  let h = mix32((base >>> 0) ^ 0x9e3779b9);
  for (const part of parts) {
    h = mix32(h ^ hashString(String(part)));
  }
  return h;
}

function mix32(x: number): number {
  let z = (x + 0x6d2b79f5) >>> 0;
  z = Math.imul(z ^ (z >>> 15), z | 1);
  z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
  return (z ^ (z >>> 14)) >>> 0;
}

/** sfc32: small, fast, and passes PractRand well beyond what litmus draws. */
export function createRng(seed: number): Rng {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const nextUint = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  // Discard the first outputs so nearby seeds decorrelate.
  for (let i = 0; i < 12; i++) nextUint();
  const rng: Rng = {
    next: () => nextUint() / 4294967296,
    int: (lo, hi) => lo + Math.floor(rng.next() * (hi - lo + 1)),
    pick: (items) => {
      if (items.length === 0) throw new Error("pick from an empty array");
      return items[Math.floor(rng.next() * items.length)] as (typeof items)[number];
    },
    shuffle: (items) => {
      const out = items.slice();
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(rng.next() * (i + 1));
        [out[i], out[j]] = [out[j] as (typeof out)[number], out[i] as (typeof out)[number]];
      }
      return out;
    },
  };
  return rng;
}

/** The default of every seed flag of every command (--seed, --probe-seed, --bootstrap-seed). */
export const DEFAULT_SEED = 1;
