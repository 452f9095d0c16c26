/**
 * Runs the disentanglement metrics on one representation and returns one flat record of named
 * scores (what `darla evaluate-vision` writes). Sample sizes are disentanglement_lib's study
 * defaults times `scale` (scale = 1: the reference; tests and quick runs use less). Each metric draws
 * from its own random stream derived from `rng`, so running a subset gives the same values for the
 * metrics it runs.
 */
import type { GroundTruthData } from '../../envs/core/ground-truth.ts';
import { Rng, mixSeed } from '../../envs/core/rng.ts';
import { UserError } from '../../envs/core/errors.ts';
import type { PosteriorFn, RepresentationFn, Scores } from './types.ts';
import { computeBetaVae } from './beta-vae.ts';
import { computeDci } from './dci.ts';
import { computeFactorVae } from './factor-vae.ts';
import { computeKl } from './kl.ts';
import { computeMig } from './mig.ts';
import { computeProbe, type ProbeSpec } from './probe.ts';
import { computeTotalCorrelation } from './total-correlation.ts';
import { scaledCount, DEFAULT_FRAMES_PER_CALL } from './utils.ts';

export type { FactorCode, PosteriorFn, RepresentationFn, Scores } from './types.ts';

/**
 * Metric names, in the order they run. `kl` needs the encoder's full posterior (options.posterior),
 * `probe` the task's probe spec (options.probe).
 */
export const METRIC_NAMES = ['mig', 'beta_vae', 'factor_vae', 'dci', 'total_correlation', 'kl', 'probe'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

export interface EvaluateOptions {
  /** Multiplies every sample count (> 0; default 1 = disentanglement_lib's defaults). */
  scale?: number;
  /** Which metrics to run (default: all; `kl` only when `posterior` is given). */
  metrics?: readonly string[];
  /** Frames per encoder call (default 256). */
  framesPerCall?: number;
  /** The encoder's (mean, logvar), for KL per latent and active units. */
  posterior?: PosteriorFn;
  /** What the task probe reads out (positions, identity); the probe runs only with one. */
  probe?: ProbeSpec;
  /** Factor names MIG averages into `mig_task` (the task's factors; ignored where the world lacks them). */
  taskFactors?: readonly string[];
  /** Called after each metric with its scores and seconds (for progress output). */
  onMetric?: (name: MetricName, scores: Scores, seconds: number) => void;
}

/** The sample counts each metric uses at a given scale (reference values at scale 1). */
export function sampleSizes(scale = 1) {
  checkScale(scale);
  const s = (base: number, min: number) => scaledCount(base, scale, min);
  return {
    mig: { numTrain: s(10000, 2) },
    beta_vae: { batchSize: 64, numTrain: s(10000, 1), numEval: s(5000, 1) },
    factor_vae: { batchSize: 64, numTrain: s(10000, 1), numEval: s(5000, 1), numVarianceEstimate: s(10000, 2) },
    dci: { numTrain: s(10000, 1), numTest: s(5000, 1) },
    total_correlation: { numTrain: s(10000, 2) },
    kl: { numSamples: s(10000, 2) },
    probe: { numTrain: s(5000, 2), numTest: s(2000, 2) },
  };
}

/**
 * Runs the chosen metrics. Every metric scores only the factors that vary (`*num_factors` says how
 * many). Keys: `mig`, `mig_num_factors`, `mig_gap_<factor>` and `mig_top_latent_<factor>` per scored
 * factor, `mig_task` and `mig_task_num_factors` (with `taskFactors`);
 * `beta_vae_train_accuracy`, `beta_vae_eval_accuracy`, `beta_vae_num_factors`;
 * `factor_vae_train_accuracy`, `factor_vae_eval_accuracy`, `factor_vae_num_active_dims`, `factor_vae_num_factors`;
 * `dci_disentanglement`, `dci_completeness`, `dci_informativeness_train`, `dci_informativeness_test`, `dci_num_factors`;
 * `gaussian_total_correlation`; `kl_total`, `kl_latent_<j>`, `active_units`, `active_units_variance`;
 * `probe_r2_<factor>`, `probe_r2_<object>`, `probe_r2_min`, `probe_identity_accuracy`;
 * and `<metric>_seconds` for each metric run.
 */
export async function evaluateDisentanglement(
  data: GroundTruthData,
  represent: RepresentationFn,
  rng: Rng,
  opts: EvaluateOptions = {},
): Promise<Scores> {
  const scale = opts.scale ?? 1;
  const sizes = sampleSizes(scale);
  const framesPerCall = opts.framesPerCall ?? DEFAULT_FRAMES_PER_CALL;
  if (!Number.isInteger(framesPerCall) || framesPerCall < 1) throw new UserError(`framesPerCall must be a positive integer, got ${framesPerCall}`, 'framesPerCall');
  const chosen = chooseMetrics(opts.metrics, opts.posterior !== undefined, opts.probe !== undefined);
  const base = rng.nextU32();
  const out: Scores = {};
  for (const name of chosen) {
    const stream = new Rng(mixSeed(base, METRIC_NAMES.indexOf(name)));
    const t0 = performance.now();
    let scores: Scores;
    switch (name) {
      case 'mig':
        scores = await computeMig(data, represent, stream, { ...sizes.mig, framesPerCall, taskFactors: opts.taskFactors });
        break;
      case 'beta_vae':
        scores = prefix('beta_vae_', { ...(await computeBetaVae(data, represent, stream, { ...sizes.beta_vae, framesPerCall })) });
        break;
      case 'factor_vae':
        scores = prefix('factor_vae_', { ...(await computeFactorVae(data, represent, stream, { ...sizes.factor_vae, framesPerCall })) });
        break;
      case 'dci':
        scores = prefix('dci_', { ...(await computeDci(data, represent, stream, { ...sizes.dci, framesPerCall })) });
        break;
      case 'total_correlation':
        scores = await computeTotalCorrelation(data, represent, stream, { ...sizes.total_correlation, framesPerCall });
        break;
      case 'kl':
        scores = await computeKl(data, opts.posterior as PosteriorFn, stream, { ...sizes.kl, framesPerCall });
        break;
      case 'probe':
        scores = await computeProbe(data, represent, stream, opts.probe as ProbeSpec, { ...sizes.probe, framesPerCall });
        break;
    }
    const seconds = (performance.now() - t0) / 1000;
    Object.assign(out, scores);
    out[`${name}_seconds`] = seconds;
    opts.onMetric?.(name, scores, seconds);
  }
  return out;
}

function chooseMetrics(requested: readonly string[] | undefined, hasPosterior: boolean, hasProbe: boolean): MetricName[] {
  if (requested === undefined) return METRIC_NAMES.filter((m) => (m !== 'kl' || hasPosterior) && (m !== 'probe' || hasProbe));
  if (requested.length === 0) throw new UserError(`metrics is empty; choose from ${METRIC_NAMES.join(', ')}`, 'metrics');
  const chosen: MetricName[] = [];
  for (const m of requested) {
    if (!(METRIC_NAMES as readonly string[]).includes(m)) throw new UserError(`unknown metric "${m}"; choose from ${METRIC_NAMES.join(', ')}`, 'metrics');
    if (m === 'kl' && !hasPosterior) throw new UserError('metric "kl" needs the encoder posterior (mean and logvar); pass options.posterior', 'metrics');
    if (m === 'probe' && !hasProbe) throw new UserError('metric "probe" needs a probe spec (which objects to read out); pass options.probe', 'metrics');
    if (!chosen.includes(m as MetricName)) chosen.push(m as MetricName);
  }
  // Run in the canonical order whatever order they were asked in.
  return METRIC_NAMES.filter((m) => chosen.includes(m));
}

function checkScale(scale: number): void {
  if (!(typeof scale === 'number' && Number.isFinite(scale) && scale > 0)) throw new UserError(`scale must be a number > 0 (1 = the reference sample sizes), got ${scale}`, 'scale');
}

function prefix(p: string, scores: Scores): Scores {
  const out: Scores = {};
  for (const [k, v] of Object.entries(scores)) out[p + k] = v;
  return out;
}
