/**
 * Unbiased pass@k (Chen et al. 2021): with n samples of which c are correct, the chance that k
 * samples drawn without replacement include a correct one, 1 - C(n-c, k) / C(n, k). Computed as
 * 1 - prod_{i=n-c+1}^{n} (1 - k/i), which never forms the huge binomials and stays accurate for
 * any n (the plain ratio overflows doubles near n = 1030).
 */
export function passAtK(n: number, c: number, k: number): number {
  checkCounts(n, c);
  if (!Number.isInteger(k) || k < 1 || k > n)
    throw new RangeError(`pass@k needs 1 <= k <= n, got k=${k}, n=${n}`);
  if (n - c < k) return 1;
  let allWrong = 1;
  for (let i = n - c + 1; i <= n; i++) allWrong *= 1 - k / i;
  return 1 - allWrong;
}

/** pass@k for every k = 1..n, index k-1. */
export function passAtKCurve(n: number, c: number): number[] {
  checkCounts(n, c);
  const out: number[] = [];
  for (let k = 1; k <= n; k++) out.push(passAtK(n, c, k));
  return out;
}

function checkCounts(n: number, c: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`pass@k needs n >= 1 samples, got ${n}`);
  if (!Number.isInteger(c) || c < 0 || c > n)
    throw new RangeError(`pass@k needs 0 <= c <= n, got c=${c}, n=${n}`);
}
