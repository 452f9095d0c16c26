/**
 * Orthogonal weight initialisation (Saxe et al. 2014), as PyTorch's `nn.init.orthogonal_` does it
 * and as the PPO reference implementations use it (gain √2 for hidden layers, 0.01 for the policy
 * head, 1.0 for the value head): draw a Gaussian matrix from our seeded Rng, orthonormalise its
 * columns (Gram–Schmidt in float64, which yields QR's Q with a positive diagonal in R — the same
 * sign convention torch applies), and scale by the gain. A conv filter [kh, kw, in, out] is treated
 * as the (kh·kw·in) × out matrix it multiplies.
 */
import type { Rng } from '../envs/core/rng.ts';

/**
 * A rows × cols matrix (row-major) whose columns (rows ≥ cols) or rows (rows < cols) are
 * orthonormal, times `gain`.
 */
export function orthogonal(rows: number, cols: number, gain: number, rng: Rng): Float32Array {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
    throw new Error(`orthogonal: bad shape ${rows}×${cols}`);
  }
  // Orthonormalise the k = min(rows, cols) vectors of length n = max(rows, cols).
  const n = Math.max(rows, cols);
  const k = Math.min(rows, cols);
  const q = new Float64Array(k * n); // vector j at [j*n, (j+1)*n)
  for (let i = 0; i < q.length; i++) q[i] = rng.normal();
  for (let j = 0; j < k; j++) {
    const vj = q.subarray(j * n, (j + 1) * n);
    // Two passes of modified Gram–Schmidt keep the vectors orthogonal to float64 precision.
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < j; p++) {
        const vp = q.subarray(p * n, (p + 1) * n);
        let dot = 0;
        for (let i = 0; i < n; i++) dot += vp[i] * vj[i];
        for (let i = 0; i < n; i++) vj[i] -= dot * vp[i];
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += vj[i] * vj[i];
    norm = Math.sqrt(norm);
    if (!(norm > 1e-12)) throw new Error('orthogonal: degenerate Gaussian draw');
    for (let i = 0; i < n; i++) vj[i] /= norm;
  }
  const out = new Float32Array(rows * cols);
  if (rows >= cols) {
    // Columns are the orthonormal vectors: out[r, c] = q[c][r].
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = gain * q[c * n + r];
  } else {
    // Rows are the orthonormal vectors: out[r, c] = q[r][c].
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = gain * q[r * n + c];
  }
  return out;
}
