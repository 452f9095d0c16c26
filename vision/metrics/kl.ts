/**
 * KL divergence per latent and active units. For a diagonal Gaussian posterior q(z|x) = N(μ, σ²) and
 * the prior N(0, 1), latent j's KL is ½(μ_j² + σ_j² − log σ_j² − 1); we average it over samples
 * (Burgess et al. 2018 track this per latent to see which latents carry information).
 *
 * Active units, two common readings:
 *  - by KL: latents whose mean KL exceeds 0.01 nats (a collapsed latent has q ≈ prior, KL ≈ 0);
 *  - by variance: Burda, Grosse & Salakhutdinov 2016 ("Importance Weighted Autoencoders", §5.2):
 *    A_u = Cov_x(E_q[u]) > 10⁻², the variance of the posterior mean over the data exceeds 0.01.
 * There is no disentanglement_lib counterpart; the sample count (10000) follows its other metrics.
 */
import type { GroundTruthData } from '../../envs/core/ground-truth.ts';
import type { Rng } from '../../envs/core/rng.ts';
import { UserError } from '../../envs/core/errors.ts';
import type { PosteriorFn, Scores } from './types.ts';
import { checkGroundTruth, countOption, sampleFactorsChecked, DEFAULT_FRAMES_PER_CALL } from './utils.ts';

/** Mean KL(q(z_j|x) ‖ N(0,1)) per latent over n samples (mean, logvar: n × d row-major). */
export function klPerLatent(mean: ArrayLike<number>, logvar: ArrayLike<number>, n: number, d: number): Float64Array {
  if (mean.length !== n * d || logvar.length !== n * d) {
    throw new Error(`klPerLatent: expected ${n}×${d} means and log-variances, got ${mean.length} and ${logvar.length}`);
  }
  if (n === 0) throw new Error('klPerLatent: no samples');
  const kl = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const mu = mean[i * d + j];
      const lv = logvar[i * d + j];
      kl[j] += 0.5 * (mu * mu + Math.exp(lv) - lv - 1);
    }
  }
  for (let j = 0; j < d; j++) kl[j] /= n;
  return kl;
}

/** Number of latents whose mean KL exceeds `threshold` nats (default 0.01). */
export function activeUnitsByKl(kl: ArrayLike<number>, threshold = 0.01): number {
  let a = 0;
  for (let j = 0; j < kl.length; j++) if (kl[j] > threshold) a++;
  return a;
}

/** Burda et al. 2016: number of latents whose posterior mean varies over the data by more than `threshold`. */
export function activeUnitsByVariance(mean: ArrayLike<number>, n: number, d: number, threshold = 0.01): number {
  if (mean.length !== n * d) throw new Error(`activeUnitsByVariance: expected ${n}×${d} means, got ${mean.length}`);
  if (n < 2) throw new Error('activeUnitsByVariance: needs at least 2 samples');
  let a = 0;
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += mean[i * d + j];
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (mean[i * d + j] - m) ** 2;
    if (v / (n - 1) > threshold) a++;
  }
  return a;
}

/**
 * Samples numSamples frames from the world, encodes them with the full posterior and reports the mean
 * KL per latent (`kl_latent_<j>`), their sum (`kl_total`), and both active-unit counts.
 */
export async function computeKl(
  data: GroundTruthData,
  posterior: PosteriorFn,
  rng: Rng,
  opts: { numSamples?: number; framesPerCall?: number } = {},
): Promise<Scores> {
  checkGroundTruth(data);
  const n = countOption('numSamples', opts.numSamples, 10000, 2);
  const fpc = countOption('framesPerCall', opts.framesPerCall, DEFAULT_FRAMES_PER_CALL, 1);
  const [h, w, c] = data.observationShape;
  const frameSize = h * w * c;
  const buffer = new Uint8Array(Math.min(n, fpc) * frameSize);
  let means: Float64Array | null = null;
  let logvars: Float64Array | null = null;
  let d = 0;
  for (let start = 0; start < n; start += fpc) {
    const m = Math.min(fpc, n - start);
    const factors = sampleFactorsChecked(data, m, rng);
    const frames = data.render(factors, rng, buffer).subarray(0, m * frameSize);
    const { mean, logvar } = await posterior(frames, m);
    if (means === null || logvars === null) {
      if (mean.length === 0 || mean.length % m !== 0) throw new Error(`posterior returned ${mean.length} means for ${m} frames`);
      d = mean.length / m;
      means = new Float64Array(n * d);
      logvars = new Float64Array(n * d);
    }
    if (mean.length !== m * d || logvar.length !== m * d) throw new Error(`posterior returned ${mean.length} means and ${logvar.length} log-variances for ${m}×${d}`);
    for (let i = 0; i < m * d; i++) {
      if (!Number.isFinite(mean[i]) || !Number.isFinite(logvar[i])) {
        throw new UserError(`the posterior produced a non-finite value for latent ${i % d}; the encoder may have diverged, check the checkpoint`);
      }
    }
    means.set(mean, start * d);
    logvars.set(logvar, start * d);
  }
  const kl = klPerLatent(means as Float64Array, logvars as Float64Array, n, d);
  const scores: Scores = {};
  let total = 0;
  for (let j = 0; j < d; j++) {
    scores[`kl_latent_${j}`] = kl[j];
    total += kl[j];
  }
  scores.kl_total = total;
  scores.active_units = activeUnitsByKl(kl);
  scores.active_units_variance = activeUnitsByVariance(means as Float64Array, n, d);
  return scores;
}
