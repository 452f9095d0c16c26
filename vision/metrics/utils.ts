/**
 * Pieces every disentanglement metric shares (disentanglement_lib's `evaluation/metrics/utils.py`):
 * histogram discretisation of codes, discrete mutual information [numLatents × numFactors] and
 * factor entropies (natural log, as sklearn's `mutual_info_score`), and sampling (code, factor)
 * pairs from a GroundTruthData through a RepresentationFn in bounded batches, and which factors a
 * metric scores (only those that vary).
 */
import type { GroundTruthData } from '../../envs/core/ground-truth.ts';
import type { Rng } from '../../envs/core/rng.ts';
import { UserError } from '../../envs/core/errors.ts';
import type { FactorCode, RepresentationFn } from './types.ts';

/** Frames per RepresentationFn call unless a caller says otherwise (bounds encoder memory). */
export const DEFAULT_FRAMES_PER_CALL = 256;

// ---------------------------------------------------------------------------------------------
// Discretisation, mutual information, entropy

/**
 * Histogram discretisation of each latent over its own range, as disentanglement_lib's
 * `_histogram_discretize`: `np.digitize(x, np.histogram(x, numBins)[1][:-1])`. The edges of latent j
 * are lo + i·(hi − lo)/numBins (np.linspace), a value on an interior edge goes to the upper bin and
 * the maximum goes to the last bin. We return bins 0..numBins−1 (numpy's digitize gives 1..numBins;
 * only the partition matters to mutual information). A constant latent (hi = lo) falls in one bin,
 * as in numpy, which widens the range to lo ± 0.5.
 *
 * @param codes n × d, row-major. @returns n × d bin indices, row-major.
 */
export function histogramDiscretize(codes: ArrayLike<number>, n: number, d: number, numBins = 20): Int32Array {
  if (codes.length !== n * d) throw new Error(`histogramDiscretize: codes has ${codes.length} values, expected ${n}×${d}`);
  if (!Number.isInteger(numBins) || numBins < 1) throw new Error(`histogramDiscretize: numBins must be a positive integer, got ${numBins}`);
  const out = new Int32Array(n * d);
  const edges = new Float64Array(numBins);
  for (let j = 0; j < d; j++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = codes[i * d + j];
      if (!Number.isFinite(v)) throw new UserError(`latent ${j} has a non-finite value (${v}); the encoder produced NaN/Inf, check the checkpoint`);
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (hi === lo) {
      lo -= 0.5;
      hi += 0.5;
    }
    const step = (hi - lo) / numBins;
    for (let b = 0; b < numBins; b++) edges[b] = b * step + lo;
    for (let i = 0; i < n; i++) {
      const v = codes[i * d + j];
      // Guess from the width, then settle against the exact edges (digitize: edges[b] <= v).
      let b = Math.min(numBins - 1, Math.max(0, Math.floor((v - lo) / step)));
      while (b > 0 && v < edges[b]) b--;
      while (b < numBins - 1 && v >= edges[b + 1]) b++;
      out[i * d + j] = b;
    }
  }
  return out;
}

/**
 * Mutual information (nats) between two labelings read with strides from n rows, as sklearn's
 * `mutual_info_score(a, b)`: Σ p_ab · log(p_ab / (p_a p_b)), clipped at 0. Labels are non-negative
 * integers (they index a dense contingency table).
 */
function stridedMutualInfo(
  a: ArrayLike<number>, aStride: number, aOffset: number,
  b: ArrayLike<number>, bStride: number, bOffset: number,
  n: number,
): number {
  if (n === 0) return 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i * aStride + aOffset];
    const y = b[i * bStride + bOffset];
    if (!(Number.isInteger(x) && x >= 0 && Number.isInteger(y) && y >= 0)) {
      throw new Error(`mutual information needs non-negative integer labels, got ${x} and ${y} at row ${i}`);
    }
    if (x >= na) na = x + 1;
    if (y >= nb) nb = y + 1;
  }
  const joint = new Float64Array(na * nb);
  const pa = new Float64Array(na);
  const pb = new Float64Array(nb);
  for (let i = 0; i < n; i++) {
    const x = a[i * aStride + aOffset];
    const y = b[i * bStride + bOffset];
    joint[x * nb + y]++;
    pa[x]++;
    pb[y]++;
  }
  let mi = 0;
  for (let x = 0; x < na; x++) {
    if (pa[x] === 0) continue;
    for (let y = 0; y < nb; y++) {
      const c = joint[x * nb + y];
      if (c === 0) continue;
      // (c/n) · log(c·n / (n_a · n_b))
      mi += (c / n) * Math.log((c * n) / (pa[x] * pb[y]));
    }
  }
  return Math.max(0, mi);
}

/** Mutual information (nats) between two label vectors of equal length (sklearn `mutual_info_score`). */
export function mutualInfoScore(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`mutualInfoScore: lengths differ (${a.length} vs ${b.length})`);
  return stridedMutualInfo(a, 1, 0, b, 1, 0, a.length);
}

/**
 * Discrete mutual information matrix, disentanglement_lib's `discrete_mutual_info`: m[j, k] =
 * I(latent j; factor k) in nats. Inputs are row-major n × d discretised codes and n × f factors.
 * @returns d × f, row-major ([num_latents, num_factors]).
 */
export function discreteMutualInfo(discCodes: Int32Array, factors: Int32Array, n: number, d: number, f: number): Float64Array {
  if (discCodes.length !== n * d) throw new Error(`discreteMutualInfo: codes has ${discCodes.length} values, expected ${n}×${d}`);
  if (factors.length !== n * f) throw new Error(`discreteMutualInfo: factors has ${factors.length} values, expected ${n}×${f}`);
  const m = new Float64Array(d * f);
  for (let j = 0; j < d; j++) {
    for (let k = 0; k < f; k++) m[j * f + k] = stridedMutualInfo(discCodes, d, j, factors, f, k, n);
  }
  return m;
}

/** Entropy (nats) of each factor column, disentanglement_lib's `discrete_entropy` (= I(y; y)). */
export function discreteEntropy(factors: Int32Array, n: number, f: number): Float64Array {
  if (factors.length !== n * f) throw new Error(`discreteEntropy: factors has ${factors.length} values, expected ${n}×${f}`);
  const h = new Float64Array(f);
  for (let k = 0; k < f; k++) h[k] = stridedMutualInfo(factors, f, k, factors, f, k, n);
  return h;
}

// ---------------------------------------------------------------------------------------------
// Sampling codes from a ground-truth world

/** Checks a GroundTruthData's shape contract once, before any sampling. */
export function checkGroundTruth(data: GroundTruthData): void {
  const f = data.factorSizes.length;
  if (f === 0) throw new UserError('the ground-truth data has no factors; metrics need at least one');
  if (data.factorNames.length !== f) throw new Error(`ground truth: ${data.factorNames.length} factor names for ${f} factor sizes`);
  for (let k = 0; k < f; k++) {
    const s = data.factorSizes[k];
    if (!Number.isInteger(s) || s < 1) throw new Error(`ground truth: factor ${data.factorNames[k]} has size ${s}`);
  }
  const [h, w, c] = data.observationShape;
  if (![h, w, c].every((v) => Number.isInteger(v) && v > 0)) throw new Error(`ground truth: bad observationShape ${data.observationShape}`);
}

/** Draws n factor rows and checks them against factorSizes. */
export function sampleFactorsChecked(data: GroundTruthData, n: number, rng: Rng): Int32Array {
  const f = data.factorSizes.length;
  const factors = data.sampleFactors(n, rng);
  if (factors.length !== n * f) throw new Error(`ground truth: sampleFactors(${n}) returned ${factors.length} values, expected ${n}×${f}`);
  return factors;
}

/**
 * Renders the frames of n factor rows and encodes them, at most `framesPerCall` frames per
 * RepresentationFn call; one frame buffer is reused across calls (pass `scratch` to reuse one across
 * invocations too; it is used when it holds min(n, framesPerCall) frames).
 * @returns n × numLatents codes (row-major, float64) and numLatents.
 */
export async function encodeFactors(
  data: GroundTruthData,
  represent: RepresentationFn,
  factors: Int32Array,
  n: number,
  rng: Rng,
  framesPerCall = DEFAULT_FRAMES_PER_CALL,
  scratch?: Uint8Array,
): Promise<{ codes: Float64Array; numLatents: number }> {
  const f = data.factorSizes.length;
  if (factors.length !== n * f) throw new Error(`encodeFactors: factors has ${factors.length} values, expected ${n}×${f}`);
  if (!Number.isInteger(framesPerCall) || framesPerCall < 1) throw new UserError(`framesPerCall must be a positive integer, got ${framesPerCall}`, 'framesPerCall');
  const [h, w, c] = data.observationShape;
  const frameSize = h * w * c;
  const need = Math.min(n, framesPerCall) * frameSize;
  const buffer = scratch !== undefined && scratch.length >= need ? scratch : new Uint8Array(need);
  let codes: Float64Array | null = null;
  let d = 0;
  for (let start = 0; start < n; start += framesPerCall) {
    const m = Math.min(framesPerCall, n - start);
    const rendered = data.render(factors.subarray(start * f, (start + m) * f), rng, buffer);
    if (rendered.length < m * frameSize) throw new Error(`ground truth: render returned ${rendered.length} bytes for ${m} frames of ${frameSize}`);
    const z = await represent(rendered.length === m * frameSize ? rendered : rendered.subarray(0, m * frameSize), m);
    if (codes === null) {
      if (z.length === 0 || z.length % m !== 0) throw new Error(`representation returned ${z.length} values for ${m} frames`);
      d = z.length / m;
      codes = new Float64Array(n * d);
    } else if (z.length !== m * d) {
      throw new Error(`representation returned ${z.length} values for ${m} frames, expected ${m}×${d}`);
    }
    for (let i = 0; i < z.length; i++) {
      const v = z[i];
      if (!Number.isFinite(v)) throw new UserError(`the representation produced a non-finite value (${v}) for latent ${i % d}; the encoder may have diverged, check the checkpoint`);
      codes[start * d + i] = v;
    }
  }
  if (codes === null) return { codes: new Float64Array(0), numLatents: 0 };
  return { codes, numLatents: d };
}

/**
 * disentanglement_lib's `generate_batch_factor_code`: numPoints i.i.d. factor rows and their codes.
 * The reference samples in batches of 16; batching only chunks an i.i.d. sample, so we draw all
 * factors at once and encode them `framesPerCall` frames at a time; the estimator is the same.
 */
export async function generateFactorCode(
  data: GroundTruthData,
  represent: RepresentationFn,
  numPoints: number,
  rng: Rng,
  framesPerCall = DEFAULT_FRAMES_PER_CALL,
): Promise<FactorCode> {
  checkGroundTruth(data);
  const factors = sampleFactorsChecked(data, numPoints, rng);
  const { codes, numLatents } = await encodeFactors(data, represent, factors, numPoints, rng, framesPerCall);
  return { codes, factors, numPoints, numLatents, numFactors: data.factorSizes.length };
}

// ---------------------------------------------------------------------------------------------
// Which factors a metric scores

/**
 * The factors a metric scores: those that vary. disentanglement_lib scores only factors that take
 * more than one value (its named datasets leave size-1 factors out); a constant factor would give DCI
 * a free accuracy of 1 and a larger entropy base, and would make BetaVAE/FactorVAE draw a "fixed"
 * factor that fixes nothing. Two views of "varies", one rule:
 * - in a world (GroundTruthData): factorSizes[k] > 1 — what the sampling metrics draw from;
 * - in a sample (n × f factor rows): the column holds more than one value — what the metrics that
 *   work on sampled codes keep (a factor of size > 1 that happens to be constant in a tiny sample
 *   carries no information there either).
 * @returns factor indices, ascending.
 */
export function varyingFactors(source: GroundTruthData | { factors: ArrayLike<number>; numPoints: number; numFactors: number }): Int32Array {
  const keep: number[] = [];
  if ('factorSizes' in source) {
    source.factorSizes.forEach((s, k) => {
      if (s > 1) keep.push(k);
    });
  } else {
    const { factors, numPoints: n, numFactors: f } = source;
    if (factors.length !== n * f) throw new Error(`varyingFactors: factors has ${factors.length} values, expected ${n}×${f}`);
    for (let k = 0; k < f; k++) {
      for (let i = 1; i < n; i++) {
        if (factors[i * f + k] !== factors[k]) {
          keep.push(k);
          break;
        }
      }
    }
  }
  return Int32Array.from(keep);
}

/** The same sample with only the factor columns `keep` (in that order); codes are shared, not copied. */
export function selectFactors(fc: FactorCode, keep: ArrayLike<number>): FactorCode {
  const f = fc.numFactors;
  const g = keep.length;
  for (let c = 0; c < g; c++) {
    if (!(Number.isInteger(keep[c]) && keep[c] >= 0 && keep[c] < f)) throw new Error(`selectFactors: factor index ${keep[c]} out of 0..${f - 1}`);
  }
  const factors = new Int32Array(fc.numPoints * g);
  for (let i = 0; i < fc.numPoints; i++) for (let c = 0; c < g; c++) factors[i * g + c] = fc.factors[i * f + keep[c]];
  return { codes: fc.codes, factors, numPoints: fc.numPoints, numLatents: fc.numLatents, numFactors: g };
}

// ---------------------------------------------------------------------------------------------
// Option checks

/** A sample count: reference default × scale, rounded, at least `min`. */
export function scaledCount(base: number, scale: number, min = 1): number {
  return Math.max(min, Math.round(base * scale));
}

/** Validates a count option (positive integer ≥ min) and returns it, or the default when absent. */
export function countOption(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new UserError(`${name} must be an integer >= ${min}, got ${value}`, name);
  return value;
}
