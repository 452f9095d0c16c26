/**
 * Gaussian total correlation of the code means — disentanglement_lib's `gaussian_total_correlation`
 * (evaluation/metrics/unsupervised_metrics.py, study config num_train = 10000): fit a Gaussian to the
 * sampled means (covariance Σ, ddof 1) and take its KL to the product of its marginals,
 *   TC = ½ (Σ_j log Σ_jj − log det Σ)  =  −½ log det(correlation matrix).
 * 0 for independent latents, growing as they become linearly dependent.
 *
 * Deviations: latents that are exactly constant in the sample (zero variance) are left out — they are
 * independent of everything and the reference's formula would give log 0. If the remaining latents are
 * linearly dependent (e.g. a duplicated latent), Σ is singular and the Gaussian TC is +Infinity, which
 * we return as such (numpy returns a large or NaN value there, depending on rounding).
 */
import type { GroundTruthData } from '../../envs/core/ground-truth.ts';
import type { Rng } from '../../envs/core/rng.ts';
import type { RepresentationFn } from './types.ts';
import { cholesky, choleskyLogDet, covariance } from './linalg.ts';
import { countOption, generateFactorCode, DEFAULT_FRAMES_PER_CALL } from './utils.ts';

/** Gaussian TC (nats) of n codes of width d (row-major). */
export function gaussianTotalCorrelation(codes: ArrayLike<number>, n: number, d: number): number {
  if (codes.length !== n * d) throw new Error(`gaussianTotalCorrelation: expected ${n}×${d} codes, got ${codes.length}`);
  const cov = covariance(codes, n, d, 1);
  const keep: number[] = [];
  for (let j = 0; j < d; j++) if (cov[j * d + j] > 0) keep.push(j);
  const m = keep.length;
  if (m <= 1) return 0;
  // Correlation matrix of the kept latents: TC = −½ log det R (scale-free, better conditioned).
  const r = new Float64Array(m * m);
  for (let a = 0; a < m; a++) {
    for (let b = 0; b < m; b++) {
      const ja = keep[a];
      const jb = keep[b];
      r[a * m + b] = cov[ja * d + jb] / Math.sqrt(cov[ja * d + ja] * cov[jb * d + jb]);
    }
  }
  const l = cholesky(r, m);
  if (l === null) return Infinity;
  return Math.max(0, -0.5 * choleskyLogDet(l, m));
}

/** Samples codes from the world and computes their Gaussian TC. */
export async function computeTotalCorrelation(
  data: GroundTruthData,
  represent: RepresentationFn,
  rng: Rng,
  opts: { numTrain?: number; framesPerCall?: number } = {},
): Promise<{ gaussian_total_correlation: number }> {
  const numTrain = countOption('numTrain', opts.numTrain, 10000, 2);
  const fc = await generateFactorCode(data, represent, numTrain, rng, opts.framesPerCall ?? DEFAULT_FRAMES_PER_CALL);
  return { gaussian_total_correlation: gaussianTotalCorrelation(fc.codes, fc.numPoints, fc.numLatents) };
}
