/**
 * The little dense linear algebra the metrics need, over row-major Float64Arrays: column means and
 * covariance, Cholesky factorisation, solves and log-determinants. Sizes here are tiny (tens), so
 * plain loops are the right tool.
 */

/** Mean of each column of an n × d matrix. */
export function columnMeans(x: ArrayLike<number>, n: number, d: number): Float64Array {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  return mean;
}

/**
 * Variance of each column; `ddof` as numpy's (1 = unbiased, the default of np.cov, used by the
 * FactorVAE score). Two-pass for accuracy.
 */
export function columnVariances(x: ArrayLike<number>, n: number, d: number, ddof = 1): Float64Array {
  if (n - ddof <= 0) throw new Error(`columnVariances needs more than ${ddof} rows, got ${n}`);
  const mean = columnMeans(x, n, d);
  const v = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const c = x[i * d + j] - mean[j];
      v[j] += c * c;
    }
  }
  for (let j = 0; j < d; j++) v[j] /= n - ddof;
  return v;
}

/** d × d covariance of the columns of an n × d matrix (np.cov of the transpose; ddof 1). */
export function covariance(x: ArrayLike<number>, n: number, d: number, ddof = 1): Float64Array {
  if (n - ddof <= 0) throw new Error(`covariance needs more than ${ddof} rows, got ${n}`);
  const mean = columnMeans(x, n, d);
  const cov = new Float64Array(d * d);
  const c = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) c[j] = x[i * d + j] - mean[j];
    for (let a = 0; a < d; a++) {
      const ca = c[a];
      for (let b = a; b < d; b++) cov[a * d + b] += ca * c[b];
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      const v = cov[a * d + b] / (n - ddof);
      cov[a * d + b] = v;
      cov[b * d + a] = v;
    }
  }
  return cov;
}

/**
 * Cholesky factor L (lower, row-major, L·Lᵀ = a) of a symmetric d × d matrix. Returns null when a
 * pivot is not positive (the matrix is not positive definite to working precision).
 */
export function cholesky(a: ArrayLike<number>, d: number): Float64Array | null {
  const l = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let s = a[j * d + j];
    for (let k = 0; k < j; k++) s -= l[j * d + k] * l[j * d + k];
    if (!(s > 0)) return null;
    const ljj = Math.sqrt(s);
    l[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let t = a[i * d + j];
      for (let k = 0; k < j; k++) t -= l[i * d + k] * l[j * d + k];
      l[i * d + j] = t / ljj;
    }
  }
  return l;
}

/** Solves (L·Lᵀ) x = b given the Cholesky factor L; returns x. */
export function choleskySolve(l: Float64Array, d: number, b: ArrayLike<number>): Float64Array {
  const y = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * d + k] * y[k];
    y[i] = s / l[i * d + i];
  }
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < d; k++) s -= l[k * d + i] * x[k];
    x[i] = s / l[i * d + i];
  }
  return x;
}

/** log det of a positive-definite matrix from its Cholesky factor: 2 Σ log L_ii. */
export function choleskyLogDet(l: Float64Array, d: number): number {
  let s = 0;
  for (let i = 0; i < d; i++) s += Math.log(l[i * d + i]);
  return 2 * s;
}
