/**
 * Mutual Information Gap (MIG) — Chen, Li, Grosse & Duvenaud 2018, "Isolating Sources of
 * Disentanglement in Variational Autoencoders". Matches disentanglement_lib's `compute_mig`
 * (evaluation/metrics/mig.py) with its study config: num_train = 10000 samples, 20-bin histogram
 * discretisation of each latent mean, MIG = mean over factors k of
 * (I(z_(1); v_k) − I(z_(2); v_k)) / H(v_k), where z_(1), z_(2) are the two latents with the
 * highest mutual information with v_k.
 *
 * Beside the mean it reports where the mean comes from: each factor's gap and which latent has its
 * top MI (one latent can be the top latent of several factors), and, given a list of task factors,
 * the mean gap over those of them that are scored ("task MIG") — a mean carried by one easy factor
 * (say, the background colour) says little about the factors a task needs.
 *
 * Deviations: only factors that vary in the sample are scored (utils.ts `varyingFactors`; a constant
 * factor has zero entropy and the reference divides by zero there and returns NaN). The reference's
 * batch_size=16 only chunks the i.i.d. sampling; we chunk by `framesPerCall` and get the same estimator.
 */
import type { GroundTruthData } from '../../envs/core/ground-truth.ts';
import type { Rng } from '../../envs/core/rng.ts';
import { UserError } from '../../envs/core/errors.ts';
import type { RepresentationFn, Scores } from './types.ts';
import { countOption, discreteEntropy, discreteMutualInfo, generateFactorCode, histogramDiscretize, varyingFactors, DEFAULT_FRAMES_PER_CALL } from './utils.ts';

export interface MigOptions {
  /** Samples drawn (reference 10000). */
  numTrain?: number;
  /** Histogram bins per latent (reference 20). */
  numBins?: number;
  framesPerCall?: number;
  /**
   * Factor names whose mean gap is reported as `mig_task` (those of them that the world has and that
   * vary; names the world lacks are ignored). No `mig_task` without it.
   */
  taskFactors?: readonly string[];
}

export interface MigResult {
  /** Mean normalised gap over the scored factors. */
  mig: number;
  /** I(latent j; factor k), d × f row-major. */
  mutualInfo: Float64Array;
  /** H(factor k), nats. */
  entropy: Float64Array;
  /** Normalised gap of each factor (NaN where the factor is not scored: constant in the sample). */
  gapPerFactor: Float64Array;
  /** The latent with the highest MI with each factor (lowest index on ties; −1 where not scored). */
  topLatentPerFactor: Int32Array;
  /** Indices of the scored factors (those that vary in the sample), ascending. */
  factors: Int32Array;
}

/** MIG from n sampled codes (n × d) and factors (n × f), the reference's `_compute_mig`. */
export function migFromCodes(codes: ArrayLike<number>, factors: Int32Array, n: number, d: number, f: number, numBins = 20): MigResult {
  if (d < 2) throw new UserError(`MIG needs at least 2 latents to take a gap, the representation has ${d}`);
  const scored = varyingFactors({ factors, numPoints: n, numFactors: f });
  if (scored.length === 0) throw new UserError('MIG is undefined: every factor is constant in the sample (zero entropy)');
  const disc = histogramDiscretize(codes, n, d, numBins);
  const m = discreteMutualInfo(disc, factors, n, d, f);
  if (m.length !== d * f) throw new Error('mutual information matrix must be [num_latents, num_factors]');
  const h = discreteEntropy(factors, n, f);
  const gap = new Float64Array(f).fill(NaN);
  const top = new Int32Array(f).fill(-1);
  let sum = 0;
  for (const k of scored) {
    let top1 = -Infinity;
    let top2 = -Infinity;
    let arg = -1;
    for (let j = 0; j < d; j++) {
      const v = m[j * f + k];
      if (v > top1) {
        top2 = top1;
        top1 = v;
        arg = j;
      } else if (v > top2) {
        top2 = v;
      }
    }
    gap[k] = (top1 - top2) / h[k];
    top[k] = arg;
    sum += gap[k];
  }
  return { mig: sum / scored.length, mutualInfo: m, entropy: h, gapPerFactor: gap, topLatentPerFactor: top, factors: scored };
}

/**
 * Named scores from a MigResult: `mig`; `mig_num_factors` (factors scored); per scored factor
 * `mig_gap_<name>` and `mig_top_latent_<name>`; and `mig_task` (mean gap over the scored task
 * factors) with `mig_task_num_factors`, when `taskFactors` names at least one scored factor.
 */
export function migScores(r: MigResult, factorNames: readonly string[], taskFactors?: readonly string[]): Scores {
  if (factorNames.length !== r.gapPerFactor.length) throw new Error(`migScores: ${factorNames.length} names for ${r.gapPerFactor.length} factors`);
  const out: Scores = { mig: r.mig, mig_num_factors: r.factors.length };
  let taskSum = 0;
  let taskCount = 0;
  for (const k of r.factors) {
    const name = factorNames[k];
    out[`mig_gap_${name}`] = r.gapPerFactor[k];
    out[`mig_top_latent_${name}`] = r.topLatentPerFactor[k];
    if (taskFactors?.includes(name)) {
      taskSum += r.gapPerFactor[k];
      taskCount++;
    }
  }
  if (taskCount > 0) {
    out.mig_task = taskSum / taskCount;
    out.mig_task_num_factors = taskCount;
  }
  return out;
}

/** Samples codes from the world and computes MIG; the scores are `migScores`'s. */
export async function computeMig(
  data: GroundTruthData,
  represent: RepresentationFn,
  rng: Rng,
  opts: MigOptions = {},
): Promise<Scores> {
  const numTrain = countOption('numTrain', opts.numTrain, 10000, 2);
  const numBins = countOption('numBins', opts.numBins, 20, 1);
  const fc = await generateFactorCode(data, represent, numTrain, rng, opts.framesPerCall ?? DEFAULT_FRAMES_PER_CALL);
  const r = migFromCodes(fc.codes, fc.factors, fc.numPoints, fc.numLatents, fc.numFactors, numBins);
  return migScores(r, data.factorNames, opts.taskFactors);
}
