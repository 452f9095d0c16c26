/**
 * Summary statistics for evaluation tables: the mean with a two-sided 95% confidence interval from
 * Student's t distribution (mean ± t₀.₉₇₅,ₙ₋₁ · s/√n, s the unbiased standard deviation). With one
 * unit there is no interval (lo = hi = mean, n = 1 says so).
 */

export interface MeanCi {
  mean: number;
  lo: number;
  hi: number;
  /** Number of units the interval is over. */
  n: number;
}

/** t₀.₉₇₅ for 1..30 degrees of freedom (standard tables); beyond 30 the normal 1.96 is within 2%. */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074,
  2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export function tQuantile975(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new Error(`t quantile needs df >= 1, got ${df}`);
  return df <= T975.length ? T975[df - 1] : 1.96;
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

export function meanCi95(xs: readonly number[]): MeanCi {
  const n = xs.length;
  const m = mean(xs);
  if (n < 2) return { mean: m, lo: m, hi: m, n };
  let ss = 0;
  for (const x of xs) ss += (x - m) ** 2;
  const half = (tQuantile975(n - 1) * Math.sqrt(ss / (n - 1))) / Math.sqrt(n);
  return { mean: m, lo: m - half, hi: m + half, n };
}
