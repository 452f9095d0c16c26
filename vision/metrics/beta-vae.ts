/**
 * BetaVAE disentanglement score — Higgins et al. 2017, "β-VAE: Learning Basic Visual Concepts with a
 * Constrained Variational Framework". Matches disentanglement_lib's `compute_beta_vae_sklearn`
 * (evaluation/metrics/beta_vae.py) with its study config: batch_size = 64, num_train = 10000,
 * num_eval = 5000. Each point: pick a factor k uniformly, draw two batches of factors that agree on
 * k (and nothing else), encode both, feature = mean over the batch of |z1 − z2| per latent, label k.
 * A logistic regression (sklearn defaults, ./logistic-regression.ts) is fitted on the training points;
 * the score is its accuracy on fresh evaluation points.
 *
 * Only factors that vary are drawn as the fixed factor (utils.ts `varyingFactors`: factorSizes > 1).
 * Holding a factor that takes one value fixes nothing, so its points could not be told from one
 * another and would cap the accuracy (at 10/11 in `source`, whose scale and orientation are constant);
 * disentanglement_lib's datasets have no constant factors.
 *
 * Deviations: the classifier is solved by Newton's method rather than L-BFGS (same optimum). Points
 * are encoded several at a time (up to `framesPerCall` frames per call); the sampling is the same.
 */
import type { GroundTruthData } from '../../envs/core/ground-truth.ts';
import type { Rng } from '../../envs/core/rng.ts';
import type { RepresentationFn } from './types.ts';
import { accuracyScore, fitLogisticRegression, predictLogisticRegression } from './logistic-regression.ts';
import { UserError } from '../../envs/core/errors.ts';
import { checkGroundTruth, countOption, encodeFactors, sampleFactorsChecked, varyingFactors, DEFAULT_FRAMES_PER_CALL } from './utils.ts';

export interface BetaVaeOptions {
  /** Pairs averaged into one feature vector (reference 64). */
  batchSize?: number;
  /** Training points (reference 10000). */
  numTrain?: number;
  /** Evaluation points (reference 5000). */
  numEval?: number;
  framesPerCall?: number;
}

export interface BetaVaeResult {
  train_accuracy: number;
  eval_accuracy: number;
  /** Factors the fixed factor is drawn from: those that vary in the world. */
  num_factors: number;
}

/**
 * numPoints BetaVAE points: features (numPoints × d, mean |z1 − z2|) and labels (the fixed factor's
 * index in the world, drawn uniformly over the varying factors). The reference's `_generate_training_batch`.
 */
export async function betaVaePoints(
  data: GroundTruthData,
  represent: RepresentationFn,
  batchSize: number,
  numPoints: number,
  rng: Rng,
  framesPerCall = DEFAULT_FRAMES_PER_CALL,
): Promise<{ features: Float64Array; labels: Int32Array; numLatents: number }> {
  checkGroundTruth(data);
  const f = data.factorSizes.length;
  const varying = varyingFactors(data);
  if (varying.length === 0) throw new UserError('the BetaVAE score is undefined: every factor of the world is constant');
  const labels = new Int32Array(numPoints);
  // Points per RepresentationFn round: as many whole points (2·batchSize frames each) as fit.
  const perGroup = Math.max(1, Math.floor(framesPerCall / (2 * batchSize)));
  let features = new Float64Array(0);
  const [h, w, c] = data.observationShape;
  const scratch = new Uint8Array(Math.min(framesPerCall, perGroup * 2 * batchSize) * h * w * c);
  let d = 0;
  for (let start = 0; start < numPoints; start += perGroup) {
    const g = Math.min(perGroup, numPoints - start);
    const factors = new Int32Array(g * 2 * batchSize * f);
    for (let s = 0; s < g; s++) {
      const k = varying[rng.int(varying.length)];
      labels[start + s] = k;
      const f1 = sampleFactorsChecked(data, batchSize, rng);
      const f2 = sampleFactorsChecked(data, batchSize, rng);
      for (let i = 0; i < batchSize; i++) f2[i * f + k] = f1[i * f + k];
      factors.set(f1, (2 * s) * batchSize * f);
      factors.set(f2, (2 * s + 1) * batchSize * f);
    }
    const enc = await encodeFactors(data, represent, factors, g * 2 * batchSize, rng, framesPerCall, scratch);
    if (start === 0) {
      d = enc.numLatents;
      features = new Float64Array(numPoints * d);
    } else if (enc.numLatents !== d) {
      throw new Error(`representation changed width from ${d} to ${enc.numLatents} latents`);
    }
    const z = enc.codes;
    for (let s = 0; s < g; s++) {
      const out = (start + s) * d;
      const base1 = (2 * s) * batchSize * d;
      const base2 = (2 * s + 1) * batchSize * d;
      for (let i = 0; i < batchSize; i++) {
        for (let j = 0; j < d; j++) features[out + j] += Math.abs(z[base1 + i * d + j] - z[base2 + i * d + j]);
      }
      for (let j = 0; j < d; j++) features[out + j] /= batchSize;
    }
  }
  return { features, labels, numLatents: d };
}

/** Fits the classifier on training points and scores it on both sets. */
export function betaVaeScoreFromPoints(
  train: { features: Float64Array; labels: Int32Array },
  evalSet: { features: Float64Array; labels: Int32Array },
  d: number,
): Omit<BetaVaeResult, 'num_factors'> {
  const nTrain = train.labels.length;
  const nEval = evalSet.labels.length;
  const model = fitLogisticRegression(train.features, train.labels, nTrain, d);
  const trainAcc = accuracyScore(predictLogisticRegression(model, train.features, nTrain), train.labels);
  const evalAcc = accuracyScore(predictLogisticRegression(model, evalSet.features, nEval), evalSet.labels);
  return { train_accuracy: trainAcc, eval_accuracy: evalAcc };
}

/** The BetaVAE score of a representation on a world. */
export async function computeBetaVae(
  data: GroundTruthData,
  represent: RepresentationFn,
  rng: Rng,
  opts: BetaVaeOptions = {},
): Promise<BetaVaeResult> {
  const batchSize = countOption('batchSize', opts.batchSize, 64, 1);
  const numTrain = countOption('numTrain', opts.numTrain, 10000, 1);
  const numEval = countOption('numEval', opts.numEval, 5000, 1);
  const fpc = opts.framesPerCall ?? DEFAULT_FRAMES_PER_CALL;
  const train = await betaVaePoints(data, represent, batchSize, numTrain, rng, fpc);
  const evalSet = await betaVaePoints(data, represent, batchSize, numEval, rng, fpc);
  return { ...betaVaeScoreFromPoints(train, evalSet, train.numLatents), num_factors: varyingFactors(data).length };
}
