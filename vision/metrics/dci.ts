/**
 * DCI: Disentanglement, Completeness and Informativeness — Eastwood & Williams 2018, "A Framework for
 * the Quantitative Evaluation of Disentangled Representations". Matches disentanglement_lib's
 * `compute_dci` (evaluation/metrics/dci.py) with its study config: num_train = 10000, num_test = 5000.
 * For each factor a gradient-boosted tree classifier (./gradient-boosting.ts, sklearn defaults)
 * predicts the factor from the code; its feature importances form column k of the importance matrix
 * R [num_latents × num_factors].
 *   disentanglement = Σ_j ρ_j (1 − H_F(R_j· / Σ R_j·)),  ρ_j = Σ_k R_jk / Σ R  (H_F: entropy base F)
 *   completeness    = Σ_k ρ_k (1 − H_D(R_·k / Σ R_·k)),  ρ_k = Σ_j R_jk / Σ R  (H_D: entropy base D)
 *   informativeness_train/test = mean over factors of the classifier's accuracy (as the reference
 *   reports it, an accuracy although the paper speaks of an error).
 * Entropies add 1e-11 to every entry before normalising, as the reference's scipy call does; with an
 * all-zero R the weights are uniform, so a representation that carries nothing scores 0.
 *
 * Only the factors that vary are scored (utils.ts `varyingFactors`, on the training sample): F is the
 * number of varying factors, R has one column per varying factor and informativeness averages over
 * them. A constant factor (in `source`, scale and orientation) would otherwise add a free accuracy of
 * 1 and raise the entropy base; disentanglement_lib's datasets have no constant factors, and sklearn
 * would refuse to fit a one-class classifier.
 *
 * Deviations: sklearn's tree ties are broken at random per run; ours by a seeded random order. Importances
 * are sklearn ≥ 1.0's (mean over splitting trees of unnormalised importances, then normalised).
 */
import type { GroundTruthData } from '../../envs/core/ground-truth.ts';
import type { Rng } from '../../envs/core/rng.ts';
import { UserError } from '../../envs/core/errors.ts';
import type { FactorCode, RepresentationFn } from './types.ts';
import { fitGradientBoosting, predictGradientBoosting, type GradientBoostingOptions } from './gradient-boosting.ts';
import { accuracyScore } from './logistic-regression.ts';
import { countOption, generateFactorCode, selectFactors, varyingFactors, DEFAULT_FRAMES_PER_CALL } from './utils.ts';

export interface DciOptions {
  numTrain?: number;
  numTest?: number;
  framesPerCall?: number;
  /** Classifier settings (sklearn defaults when absent). */
  boosting?: GradientBoostingOptions;
}

export interface DciResult {
  disentanglement: number;
  completeness: number;
  informativeness_train: number;
  informativeness_test: number;
  /** Factors scored: those that vary in the training sample (F, the disentanglement entropy's base). */
  num_factors: number;
}

/** Importance matrix [num_latents × num_factors] and mean train/test accuracy (`compute_importance_gbt`). */
export function importanceGbt(
  train: FactorCode,
  test: FactorCode,
  rng: Rng,
  boosting: GradientBoostingOptions = {},
): { importance: Float64Array; trainAccuracy: number; testAccuracy: number } {
  const d = train.numLatents;
  const f = train.numFactors;
  if (test.numLatents !== d || test.numFactors !== f) throw new Error('DCI: train and test sets differ in shape');
  const importance = new Float64Array(d * f);
  let trainAcc = 0;
  let testAcc = 0;
  for (let k = 0; k < f; k++) {
    const yTrain = factorColumn(train, k);
    const yTest = factorColumn(test, k);
    const model = fitGradientBoosting(train.codes, yTrain, train.numPoints, d, rng, boosting);
    for (let j = 0; j < d; j++) importance[j * f + k] = Math.abs(model.featureImportances[j]);
    trainAcc += accuracyScore(predictGradientBoosting(model, train.codes, train.numPoints), yTrain);
    testAcc += accuracyScore(predictGradientBoosting(model, test.codes, test.numPoints), yTest);
  }
  return { importance, trainAccuracy: trainAcc / f, testAccuracy: testAcc / f };
}

/** 1 − entropy (base `base`) of each of `count` vectors read with the given strides, +1e-11 each entry. */
function oneMinusEntropy(r: Float64Array, count: number, len: number, at: (a: number, b: number) => number, base: number): Float64Array {
  const out = new Float64Array(count);
  for (let a = 0; a < count; a++) {
    let s = 0;
    for (let b = 0; b < len; b++) s += at(a, b) + 1e-11;
    let h = 0;
    for (let b = 0; b < len; b++) {
      const p = (at(a, b) + 1e-11) / s;
      if (p > 0) h -= p * Math.log(p);
    }
    out[a] = Math.min(1, Math.max(0, 1 - h / Math.log(base))); // clamp rounding (0 ≤ H ≤ log base)
  }
  return out;
}

/** Disentanglement score from R [d × f] (the reference's `disentanglement`). */
export function dciDisentanglement(r: Float64Array, d: number, f: number): number {
  checkImportance(r, d, f);
  if (f < 2) throw new UserError('DCI disentanglement needs at least 2 factors (its entropy has base num_factors)');
  const perCode = oneMinusEntropy(r, d, f, (j, k) => r[j * f + k], f);
  const { total, weight } = weights(r, d, f, (j, k) => r[j * f + k]);
  let s = 0;
  for (let j = 0; j < d; j++) s += perCode[j] * (weight[j] / total);
  return s;
}

/** Completeness score from R [d × f] (the reference's `completeness`). */
export function dciCompleteness(r: Float64Array, d: number, f: number): number {
  checkImportance(r, d, f);
  if (d < 2) throw new UserError('DCI completeness needs at least 2 latents (its entropy has base num_latents)');
  const perFactor = oneMinusEntropy(r, f, d, (k, j) => r[j * f + k], d);
  const { total, weight } = weights(r, f, d, (k, j) => r[j * f + k]);
  let s = 0;
  for (let k = 0; k < f; k++) s += perFactor[k] * (weight[k] / total);
  return s;
}

/**
 * DCI from sampled train/test codes (the reference's `_compute_dci`), on the factors that vary in the
 * training sample. `importance` is [num_latents × num_factors scored]; `factors` says which factor
 * each of its columns is.
 */
export function dciFromCodes(train: FactorCode, test: FactorCode, rng: Rng, boosting: GradientBoostingOptions = {}): DciResult & { importance: Float64Array; factors: Int32Array } {
  if (test.numFactors !== train.numFactors) throw new Error('DCI: train and test sets differ in shape');
  const factors = varyingFactors(train);
  if (factors.length === 0) throw new UserError('DCI is undefined: every factor is constant in the sample');
  const { importance, trainAccuracy, testAccuracy } = importanceGbt(selectFactors(train, factors), selectFactors(test, factors), rng, boosting);
  const d = train.numLatents;
  const f = factors.length;
  return {
    disentanglement: dciDisentanglement(importance, d, f),
    completeness: dciCompleteness(importance, d, f),
    informativeness_train: trainAccuracy,
    informativeness_test: testAccuracy,
    num_factors: f,
    importance,
    factors,
  };
}

/** The DCI scores of a representation on a world. */
export async function computeDci(data: GroundTruthData, represent: RepresentationFn, rng: Rng, opts: DciOptions = {}): Promise<DciResult> {
  const numTrain = countOption('numTrain', opts.numTrain, 10000, 1);
  const numTest = countOption('numTest', opts.numTest, 5000, 1);
  const fpc = opts.framesPerCall ?? DEFAULT_FRAMES_PER_CALL;
  const train = await generateFactorCode(data, represent, numTrain, rng, fpc);
  const test = await generateFactorCode(data, represent, numTest, rng, fpc);
  const r = dciFromCodes(train, test, rng, opts.boosting);
  return {
    disentanglement: r.disentanglement,
    completeness: r.completeness,
    informativeness_train: r.informativeness_train,
    informativeness_test: r.informativeness_test,
    num_factors: r.num_factors,
  };
}

function factorColumn(fc: FactorCode, k: number): Int32Array {
  const y = new Int32Array(fc.numPoints);
  for (let i = 0; i < fc.numPoints; i++) y[i] = fc.factors[i * fc.numFactors + k];
  return y;
}

function weights(r: Float64Array, count: number, len: number, at: (a: number, b: number) => number): { total: number; weight: Float64Array } {
  let total = 0;
  for (let i = 0; i < r.length; i++) total += r[i];
  const allZero = total === 0;
  const weight = new Float64Array(count);
  for (let a = 0; a < count; a++) for (let b = 0; b < len; b++) weight[a] += allZero ? 1 : at(a, b);
  return { total: allZero ? count * len : total, weight };
}

function checkImportance(r: Float64Array, d: number, f: number): void {
  if (r.length !== d * f) throw new Error(`importance matrix must be [num_latents, num_factors] = ${d}×${f}, got ${r.length} values`);
}
