/**
 * One β-VAE optimisation step and its bookkeeping: draw ε from a stream seeded by (seed, step) so a
 * resumed run draws the same noise, compute the objective's loss and gradients, stop on NaN/Inf
 * before any weight changes, apply Adam, and report the loss terms. The trainer's state (weights,
 * optimizer moments, step) round-trips through a checkpoint bit-exactly.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mixSeed } from '../../envs/core/rng.ts';
import { Adam } from '../train/adam.ts';
import type { BetaVae } from './model.ts';
import { betaAt, capacityAt, computeLoss, type Objective, type PerceptualTarget } from './objectives.ts';
import type { Blur } from './augmented-recon.ts';
import type { NamedArray } from '../checkpoint/format.ts';
import { assignArrays, variablesToArrays } from '../checkpoint/tensors.ts';

export interface VaeStepStats {
  step: number;
  loss: number;
  recon: number;
  kl: number;
  klPerDim: number[];
  /** The capacity target at this step (capacity objective only). */
  capacity?: number;
  /** The β in force at this step (beta objective only; differs from β during a warm-up). */
  beta?: number;
  /** The learning rate of this step's update. */
  lr?: number;
  tc?: number;
  mi?: number;
  dimKl?: number;
}

/** Raised when a loss or gradient is not finite; the weights are left as they were before the step. */
export class NonFiniteLossError extends Error {
  override readonly name = 'NonFiniteLossError';
  constructor(
    readonly step: number,
    readonly what: string,
  ) {
    super(`non-finite ${what} at step ${step}: training stopped (the last good checkpoint is kept; try a lower learning rate)`);
  }
}

export interface VaeTrainerOptions {
  lr: number;
  /** The learning rate at a step (a schedule); default: `lr` throughout. */
  lrAt?: (step: number) => number;
  seed: number;
  /** DARLA's β-VAE_DAE: measure reconstruction in this frozen encoder's code. */
  perceptual?: PerceptualTarget;
  /** The augmented reconstruction term's blur (pixel target only). */
  blur?: Blur;
}

export class VaeTrainer {
  /** Steps completed so far. */
  step = 0;
  readonly optimizer: Adam;

  constructor(
    readonly model: BetaVae,
    readonly objective: Objective,
    readonly options: VaeTrainerOptions,
  ) {
    this.optimizer = new Adam(model.params, { lr: options.lr });
  }

  /**
   * One step on a batch of images [N, 64, 64, C] with values in [0, 1]. Async: the loss terms are
   * read with `await data()`, which every backend supports (WebGPU under Node has no dataSync).
   */
  async trainStep(x: tf.Tensor4D): Promise<VaeStepStats> {
    const step = this.step;
    const n = x.shape[0];
    const noise = tf.randomNormal([n, this.model.arch.latents], 0, 1, 'float32', mixSeed(this.options.seed, step, 0x5e)) as tf.Tensor2D;
    const varList = this.model.params.map(([, v]) => v);
    let terms: { recon: tf.Scalar; kl: tf.Scalar; klPerDim: tf.Tensor1D; tc?: tf.Scalar; mi?: tf.Scalar; dimKl?: tf.Scalar } | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const t = computeLoss(this.model, this.objective, x, noise, step, this.options.perceptual, this.options.blur);
      // Keep the terms alive past variableGrads' scope to read them after.
      terms = { recon: tf.keep(t.recon), kl: tf.keep(t.kl), klPerDim: tf.keep(t.klPerDim) };
      if (t.tc) terms.tc = tf.keep(t.tc);
      if (t.mi) terms.mi = tf.keep(t.mi);
      if (t.dimKl) terms.dimKl = tf.keep(t.dimKl);
      return t.loss;
    }, varList);
    const gradNormSqT = tf.tidy(() => tf.addN(varList.map((v) => tf.sum(tf.square(grads[v.name])))));
    try {
      const t = terms!;
      // One read of every scalar the step reports (a single sync point per step).
      const packed = tf.tidy(() => tf.concat([tf.stack([value, t.recon, t.kl, gradNormSqT, t.tc ?? tf.scalar(0), t.mi ?? tf.scalar(0), t.dimKl ?? tf.scalar(0)]), t.klPerDim]));
      const read = await packed.data();
      packed.dispose();
      const loss = read[0];
      const stats: VaeStepStats = {
        step: step + 1,
        loss,
        recon: read[1],
        kl: read[2],
        klPerDim: Array.from(read.subarray(7)),
      };
      if (this.objective.kind === 'capacity') stats.capacity = capacityAt(this.objective, step);
      if (this.objective.kind === 'beta') stats.beta = betaAt(this.objective, step);
      if (t.tc) stats.tc = read[4];
      if (t.mi) stats.mi = read[5];
      if (t.dimKl) stats.dimKl = read[6];
      if (!Number.isFinite(loss)) throw new NonFiniteLossError(step + 1, 'loss');
      if (!Number.isFinite(read[3])) throw new NonFiniteLossError(step + 1, 'gradient');
      const named: Record<string, tf.Tensor> = {};
      for (const [name, v] of this.model.params) named[name] = grads[v.name];
      this.optimizer.lr = this.options.lrAt?.(step) ?? this.options.lr;
      stats.lr = this.optimizer.lr;
      this.optimizer.apply(named);
      this.step += 1;
      return stats;
    } finally {
      gradNormSqT.dispose();
      value.dispose();
      tf.dispose(grads);
      noise.dispose();
      if (terms) tf.dispose(Object.values(terms) as tf.Tensor[]);
    }
  }

  /** Weights and optimizer state as checkpoint arrays. */
  stateArrays(): { arrays: Record<string, NamedArray>; optimizerStep: number } {
    const opt = this.optimizer.getState();
    return { arrays: { ...variablesToArrays(this.model.params, 'model/'), ...opt.arrays }, optimizerStep: opt.t };
  }

  /** Restores what stateArrays returned (shapes checked first; nothing is half-loaded). */
  restore(arrays: Record<string, NamedArray>, optimizerStep: number, step: number, source: string): void {
    assignArrays(this.model.params, arrays, 'model/', source);
    this.optimizer.setState({ t: optimizerStep, arrays });
    this.step = step;
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
