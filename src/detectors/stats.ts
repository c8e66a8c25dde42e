/**
 * Small statistics the detectors share: a one-sided sign test, Student's t tail, sample moments.
 */

/** Mean of the values (NaN for none). */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** Unbiased sample standard deviation (NaN for fewer than two values). */
export function sampleStd(values: readonly number[]): number {
  if (values.length < 2) return Number.NaN;
  const m = mean(values);
  let s = 0;
  for (const v of values) s += (v - m) ** 2;
  return Math.sqrt(s / (values.length - 1));
}

/** The q-quantile (0..1) by linear interpolation between order statistics (numpy's default). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** log C(n, k). */
function logChoose(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

/** Lanczos approximation of log Gamma(x), x > 0 (relative error ~1e-15). */
export function logGamma(x: number): number {
  const g = 7;
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const xx = x - 1;
  let a = c[0]!;
  const t = xx + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += c[i]! / (xx + i);
  return 0.5 * Math.log(2 * Math.PI) + (xx + 0.5) * Math.log(t) - t + Math.log(a);
}

export interface SignTest {
  /** Values above zero. */
  positive: number;
  /** Values below zero. */
  negative: number;
  /** Exact zeros, left out of the test. */
  ties: number;
  /** P(X >= positive) for X ~ Binomial(positive + negative, 1/2); 1 when nothing is left. */
  pValue: number;
}

/**
 * One-sided exact sign test of "the median is above zero": ties are dropped, and the p-value is
 * the binomial upper tail of the positive count.
 */
export function signTest(values: readonly number[]): SignTest {
  let positive = 0;
  let negative = 0;
  let ties = 0;
  for (const v of values) {
    if (v > 0) positive++;
    else if (v < 0) negative++;
    else ties++;
  }
  const n = positive + negative;
  let p = 0;
  if (n <= 50) {
    // Exact: binomial coefficients stay integers below 2^53.
    let c = 1;
    for (let k = 0; k <= n; k++) {
      if (k >= positive) p += c;
      c = (c * (n - k)) / (k + 1);
    }
    p /= 2 ** n;
  } else {
    for (let k = positive; k <= n; k++) p += Math.exp(logChoose(n, k) - n * Math.LN2);
  }
  return { positive, negative, ties, pValue: n === 0 ? 1 : Math.min(1, p) };
}

/** Regularized incomplete beta I_x(a, b) by Lentz's continued fraction (Numerical Recipes). */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  if (x > (a + 1) / (a + b + 2)) return 1 - regularizedBeta(1 - x, b, a);
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let f = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let num = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    f *= d * c;
    num = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-14) break;
  }
  return (front * f) / a;
}

/** P(T >= t) for Student's t with `df` degrees of freedom. */
export function studentTUpperTail(t: number, df: number): number {
  const x = df / (df + t * t);
  const tail = 0.5 * regularizedBeta(x, df / 2, 0.5);
  return t >= 0 ? tail : 1 - tail;
}
