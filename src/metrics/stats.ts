import type { Proportion } from "../types/audit.js";

/**
 * Inverse of the standard normal CDF by Acklam's rational approximation (relative error below
 * 1.2e-9, far finer than any interval here needs), for interval levels.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs 0 < p < 1, got ${p}`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  let x: number;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - lo) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
      (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x =
      -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  return x;
}

/**
 * Wilson score interval for a proportion. Chosen over the normal (Wald) interval because rates
 * here are often near 0 (stale answers) where Wald collapses to a zero-width interval.
 */
export function wilsonInterval(successes: number, total: number, level = 0.95): [number, number] | null {
  if (!Number.isInteger(successes) || !Number.isInteger(total) || successes < 0 || successes > total) {
    throw new RangeError(`wilsonInterval needs 0 <= successes <= total, got ${successes}/${total}`);
  }
  if (total === 0) return null;
  const z = normalQuantile(1 - (1 - level) / 2);
  const p = successes / total;
  const z2n = (z * z) / total;
  const center = (p + z2n / 2) / (1 + z2n);
  const half = (z * Math.sqrt((p * (1 - p)) / total + z2n / (4 * total))) / (1 + z2n);
  // Clamp the rounding noise at the ends, where the exact bounds are 0 and 1.
  return [
    successes === 0 ? 0 : Math.max(0, center - half),
    successes === total ? 1 : Math.min(1, center + half),
  ];
}

/** A proportion with its Wilson interval. */
export function proportion(successes: number, total: number, level = 0.95): Proportion {
  return {
    successes,
    total,
    value: total === 0 ? null : successes / total,
    ci: wilsonInterval(successes, total, level),
    level,
  };
}

/**
 * Exact two-sided McNemar test: under the null hypothesis the discordant pairs split as
 * Binomial(b + c, 1/2); p = min(1, 2 * P(X <= min(b, c))). Summed in log space so thousands of
 * discordant pairs neither underflow nor overflow.
 */
export function mcnemarExact(b: number, c: number): number {
  if (!Number.isInteger(b) || !Number.isInteger(c) || b < 0 || c < 0) {
    throw new RangeError(`mcnemarExact needs counts >= 0, got b=${b}, c=${c}`);
  }
  const n = b + c;
  if (n === 0) return 1;
  const m = Math.min(b, c);
  // log C(n, i) 2^-n, built term by term: log t_{i+1} = log t_i + log((n - i) / (i + 1)).
  let logTerm = -n * Math.LN2;
  let logSum = logTerm;
  for (let i = 0; i < m; i++) {
    logTerm += Math.log((n - i) / (i + 1));
    logSum = logAddExp(logSum, logTerm);
  }
  return Math.min(1, 2 * Math.exp(logSum));
}

function logAddExp(x: number, y: number): number {
  const hi = Math.max(x, y);
  return hi + Math.log(Math.exp(x - hi) + Math.exp(y - hi));
}
