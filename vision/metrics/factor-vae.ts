/**
 * FactorVAE disentanglement score — Kim & Mnih 2018, "Disentangling by Factorising". Matches
 * disentanglement_lib's `compute_factor_vae` (evaluation/metrics/factor_vae.py) with its study config:
 * batch_size = 64, num_train = 10000, num_eval = 5000, num_variance_estimate = 10000,
 * prune_dims.threshold = 0.05. Latents are normalised by their global variance (from
 * num_variance_estimate i.i.d. samples, ddof 1); latents whose global standard deviation is below the
 * threshold count as collapsed and are ignored. Each point: pick a factor k, draw a batch with k held
 * at one value, vote (k, argmin over active latents of local variance / global variance). The
 * classifier is the majority vote: each latent predicts the factor that voted for it most; accuracy
 * = votes that agree with it / all votes.
 *
 * Only factors that vary are drawn as the held factor (utils.ts `varyingFactors`: factorSizes > 1).
 * Holding a factor that takes one value holds nothing, so its votes go to whichever latent is
 * quietest by chance and cap the accuracy (at 10/11 in `source`, whose scale and orientation are
 * constant); disentanglement_lib's datasets have no constant factors.
 *
 * Deviations: `num_active_dims` is the number of active latents (the reference returns the length of
 * its boolean mask, i.e. all latents). As in the reference, with no active latent both accuracies are 0.
 */
import type { GroundTruthData } from '../../envs/core/ground-truth.ts';
import type { Rng } from '../../envs/core/rng.ts';
import { UserError } from '../../envs/core/errors.ts';
import type { RepresentationFn } from './types.ts';
import { columnVariances } from './linalg.ts';
import { checkGroundTruth, countOption, encodeFactors, generateFactorCode, sampleFactorsChecked, varyingFactors, DEFAULT_FRAMES_PER_CALL } from './utils.ts';

export interface FactorVaeOptions {
  /** Frames per point, all sharing the fixed factor (reference 64; must be ≥ 2). */
  batchSize?: number;
  numTrain?: number;
  numEval?: number;
  /** Samples for the global variances (reference 10000). */
  numVarianceEstimate?: number;
  /** Minimum global standard deviation of an active latent (reference 0.05). */
  pruneThreshold?: number;
  framesPerCall?: number;
}

export interface FactorVaeResult {
  train_accuracy: number;
  eval_accuracy: number;
  num_active_dims: number;
  /** Factors the held factor is drawn from: those that vary in the world. */
  num_factors: number;
}

/** Active-latent mask, the reference's `_prune_dims`: sqrt(variance) >= threshold. */
export function pruneDims(globalVariances: Float64Array, threshold = 0.05): Uint8Array {
  return Uint8Array.from(globalVariances, (v) => (Math.sqrt(v) >= threshold ? 1 : 0));
}

/**
 * Votes matrix [numFactors × numLatents] from numPoints points, the reference's
 * `_generate_training_batch` (votes are indexed by the world's factor index and the latent's own
 * index; the held factor is drawn over the varying factors, so a constant factor's row stays 0).
 */
export async function factorVaeVotes(
  data: GroundTruthData,
  represent: RepresentationFn,
  batchSize: number,
  numPoints: number,
  rng: Rng,
  globalVariances: Float64Array,
  active: Uint8Array,
  framesPerCall = DEFAULT_FRAMES_PER_CALL,
): Promise<Int32Array> {
  checkGroundTruth(data);
  const f = data.factorSizes.length;
  const d = globalVariances.length;
  const varying = varyingFactors(data);
  if (varying.length === 0) throw new UserError('the FactorVAE score is undefined: every factor of the world is constant');
  const votes = new Int32Array(f * d);
  const perGroup = Math.max(1, Math.floor(framesPerCall / batchSize));
  const labels = new Int32Array(perGroup);
  const [h, w, c] = data.observationShape;
  const scratch = new Uint8Array(Math.min(framesPerCall, perGroup * batchSize) * h * w * c);
  for (let start = 0; start < numPoints; start += perGroup) {
    const g = Math.min(perGroup, numPoints - start);
    const factors = new Int32Array(g * batchSize * f);
    for (let s = 0; s < g; s++) {
      const k = varying[rng.int(varying.length)];
      labels[s] = k;
      const fac = sampleFactorsChecked(data, batchSize, rng);
      const held = fac[k];
      for (let i = 0; i < batchSize; i++) fac[i * f + k] = held;
      factors.set(fac, s * batchSize * f);
    }
    const enc = await encodeFactors(data, represent, factors, g * batchSize, rng, framesPerCall, scratch);
    if (enc.numLatents !== d) throw new Error(`representation has ${enc.numLatents} latents, the variance estimate had ${d}`);
    for (let s = 0; s < g; s++) {
      const local = columnVariances(enc.codes.subarray(s * batchSize * d, (s + 1) * batchSize * d), batchSize, d, 1);
      let best = -1;
      let bestRatio = Infinity;
      for (let j = 0; j < d; j++) {
        if (!active[j]) continue;
        const ratio = local[j] / globalVariances[j];
        if (ratio < bestRatio) {
          bestRatio = ratio;
          best = j;
        }
      }
      if (best >= 0) votes[labels[s] * d + best]++;
    }
  }
  return votes;
}

/** Majority-vote classifier from training votes: latent j → argmax_k votes[k, j] (ties: lowest k). */
export function majorityVoteClassifier(votes: Int32Array, f: number, d: number): Int32Array {
  const cls = new Int32Array(d);
  for (let j = 0; j < d; j++) {
    let best = 0;
    for (let k = 1; k < f; k++) if (votes[k * d + j] > votes[best * d + j]) best = k;
    cls[j] = best;
  }
  return cls;
}

/** Fraction of votes that the classifier gets right. */
export function voteAccuracy(votes: Int32Array, classifier: Int32Array, f: number, d: number): number {
  let total = 0;
  let hits = 0;
  for (let k = 0; k < f; k++) for (let j = 0; j < d; j++) total += votes[k * d + j];
  for (let j = 0; j < d; j++) hits += votes[classifier[j] * d + j];
  return total === 0 ? 0 : hits / total;
}

/** The FactorVAE score of a representation on a world. */
export async function computeFactorVae(
  data: GroundTruthData,
  represent: RepresentationFn,
  rng: Rng,
  opts: FactorVaeOptions = {},
): Promise<FactorVaeResult> {
  const batchSize = countOption('batchSize', opts.batchSize, 64, 2);
  const numTrain = countOption('numTrain', opts.numTrain, 10000, 1);
  const numEval = countOption('numEval', opts.numEval, 5000, 1);
  const numVar = countOption('numVarianceEstimate', opts.numVarianceEstimate, 10000, 2);
  const threshold = opts.pruneThreshold ?? 0.05;
  if (!(threshold >= 0 && Number.isFinite(threshold))) throw new UserError(`pruneThreshold must be a finite number >= 0, got ${threshold}`, 'pruneThreshold');
  const fpc = opts.framesPerCall ?? DEFAULT_FRAMES_PER_CALL;
  const f = data.factorSizes.length;
  const numFactors = varyingFactors(data).length;

  // Global variances of the representation, then the collapsed-latent mask.
  const sample = await generateFactorCode(data, represent, numVar, rng, fpc);
  const d = sample.numLatents;
  const globalVariances = columnVariances(sample.codes, numVar, d, 1);
  const active = pruneDims(globalVariances, threshold);
  const numActive = active.reduce((a, b) => a + b, 0);
  if (numActive === 0) return { train_accuracy: 0, eval_accuracy: 0, num_active_dims: 0, num_factors: numFactors };

  const trainVotes = await factorVaeVotes(data, represent, batchSize, numTrain, rng, globalVariances, active, fpc);
  const classifier = majorityVoteClassifier(trainVotes, f, d);
  const evalVotes = await factorVaeVotes(data, represent, batchSize, numEval, rng, globalVariances, active, fpc);
  return {
    train_accuracy: voteAccuracy(trainVotes, classifier, f, d),
    eval_accuracy: voteAccuracy(evalVotes, classifier, f, d),
    num_active_dims: numActive,
    num_factors: numFactors,
  };
}
