/**
 * The β-VAE training objectives, selectable by `kind`:
 * - `beta`     recon + β·KL                           (Higgins et al., ICLR 2017), optionally with
 *              β warmed up linearly from 0 over the first steps (KL annealing: Bowman et al. 2016,
 *              Sønderby et al. 2016), so small objects are encoded before the KL pressure arrives
 * - `capacity` recon + γ·|KL − C|, C ramped 0 → C_max (Burgess et al. 2018, "Understanding
 *              disentangling in β-VAE")
 * - `tcvae`    recon + α·MI + β·TC + γ·dim-KL with minibatch-weighted sampling (Chen et al. 2018)
 * Reconstruction is summed over pixels and averaged over the batch, as the published β/γ/C values
 * assume; KL is the analytic KL(q(z|x) ‖ N(0, I)), summed over latents, averaged over the batch.
 * With DARLA's perceptual target (vision/vae/dae.ts) the reconstruction term is instead
 * ‖J(x̂) − J(x)‖² in a frozen denoising autoencoder's bottleneck, summed and batch-averaged.
 * With a blur (vision/vae/augmented-recon.ts) the pixel term also compares blurred images.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { BetaVae } from './model.ts';
import { augmentedReconstructionPerSample, type Blur } from './augmented-recon.ts';

/** J: a frozen encoder whose code the perceptual reconstruction is measured in (the DAE). */
export interface PerceptualTarget {
  features(x: tf.Tensor4D): tf.Tensor2D;
}

export const ObjectiveSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('beta'),
      beta: z.number().min(0, 'β must be >= 0'),
      /** Steps over which β grows linearly from 0 to its value (0: no warm-up). */
      warmupSteps: z.number().int().min(0).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('capacity'),
      gamma: z.number().min(0, 'γ must be >= 0'),
      /** C_max in nats. */
      cMax: z.number().min(0),
      /** Steps over which C grows linearly from 0 to C_max. */
      rampSteps: z.number().int().min(1),
    })
    .strict(),
  z
    .object({
      kind: z.literal('tcvae'),
      alpha: z.number().min(0),
      beta: z.number().min(0, 'β must be >= 0'),
      gamma: z.number().min(0),
      /** Size of the training set, N in the minibatch-weighted estimate of log q(z). */
      datasetSize: z.number().int().min(1),
    })
    .strict(),
]);
export type Objective = z.infer<typeof ObjectiveSchema>;

/** The β in force at a step (the warm-up ramps it linearly from 0). */
export function betaAt(objective: Extract<Objective, { kind: 'beta' }>, step: number): number {
  const warmup = objective.warmupSteps ?? 0;
  return warmup > 0 ? objective.beta * Math.min(1, step / warmup) : objective.beta;
}

/** The capacity target C at a step (Burgess et al.: linear from 0 to C_max over rampSteps). */
export function capacityAt(objective: Extract<Objective, { kind: 'capacity' }>, step: number): number {
  return objective.cMax * Math.min(1, step / objective.rampSteps);
}

export interface LossTerms {
  loss: tf.Scalar;
  recon: tf.Scalar;
  kl: tf.Scalar;
  /** KL per latent dimension, averaged over the batch [latents]. */
  klPerDim: tf.Tensor1D;
  /** β-TCVAE's decomposition, when that objective is used. */
  tc?: tf.Scalar;
  mi?: tf.Scalar;
  dimKl?: tf.Scalar;
}

/** Per-sample reconstruction negative log-likelihood summed over pixels [N]. */
export function reconstructionPerSample(logits: tf.Tensor4D, x: tf.Tensor4D, likelihood: 'bernoulli' | 'gaussian'): tf.Tensor1D {
  return tf.tidy(() => {
    let perPixel: tf.Tensor;
    if (likelihood === 'bernoulli') {
      // Sigmoid cross-entropy, stable form: max(l,0) − l·x + log(1 + e^−|l|).
      perPixel = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, x)), tf.softplus(tf.neg(tf.abs(logits))));
    } else {
      // Unit-variance Gaussian on the sigmoid mean, constants dropped: ½(x − x̂)².
      perPixel = tf.mul(0.5, tf.square(tf.sub(tf.sigmoid(logits), x)));
    }
    return tf.sum(tf.reshape(perPixel, [x.shape[0], -1]), 1) as tf.Tensor1D;
  });
}

/**
 * Analytic KL(N(μ, σ²) ‖ N(0, 1)) per sample and dimension [N, L]: ½(μ² + σ² − log σ² − 1). The
 * one tensor definition (training and pretrain's held-out KL use it); vision/metrics/kl.ts, which
 * works on plain arrays below this layer, is pinned to it by test/vision/objectives.test.ts.
 */
export function gaussianKl(mu: tf.Tensor2D, logvar: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.mul(0.5, tf.sub(tf.add(tf.square(mu), tf.exp(logvar)), tf.add(logvar, 1))) as tf.Tensor2D);
}

const LOG_2PI = Math.log(2 * Math.PI);

/** log N(z; μ, σ²) elementwise. */
function logDensityGaussian(zs: tf.Tensor, mu: tf.Tensor, logvar: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(-0.5, tf.add(tf.add(tf.scalar(LOG_2PI), logvar), tf.div(tf.square(tf.sub(zs, mu)), tf.exp(logvar)))));
}

/**
 * The loss for one batch. `x` in [0, 1]; `noise` is ε ~ N(0, I) [N, L] for the reparameterisation
 * z = μ + σ ⊙ ε (passed in so the caller controls its seed); `step` sets the capacity C; `blur`
 * adds the augmented (blurred) reconstruction term to the pixel loss.
 */
export function computeLoss(model: BetaVae, objective: Objective, x: tf.Tensor4D, noise: tf.Tensor2D, step: number, perceptual?: PerceptualTarget, blur?: Blur): LossTerms {
  return tf.tidy(() => {
    const { mu, logvar } = model.encode(x);
    const zs = tf.add(mu, tf.mul(tf.exp(tf.mul(0.5, logvar)), noise)) as tf.Tensor2D;
    const logits = model.decode(zs);
    const recon = (
      perceptual !== undefined
        ? tf.mean(tf.sum(tf.square(tf.sub(perceptual.features(tf.sigmoid(logits) as tf.Tensor4D), perceptual.features(x))), 1))
        : blur !== undefined && blur.weight > 0
          ? tf.mean(augmentedReconstructionPerSample(reconstructionPerSample(logits, x, model.arch.likelihood), logits, x, model.arch.likelihood, blur))
          : tf.mean(reconstructionPerSample(logits, x, model.arch.likelihood))
    ) as tf.Scalar;
    const klNd = gaussianKl(mu, logvar);
    const klPerDim = tf.mean(klNd, 0) as tf.Tensor1D;
    const kl = tf.sum(klPerDim) as tf.Scalar;
    switch (objective.kind) {
      case 'beta':
        return { loss: tf.add(recon, tf.mul(betaAt(objective, step), kl)) as tf.Scalar, recon, kl, klPerDim };
      case 'capacity': {
        const c = capacityAt(objective, step);
        return { loss: tf.add(recon, tf.mul(objective.gamma, tf.abs(tf.sub(kl, c)))) as tf.Scalar, recon, kl, klPerDim };
      }
      case 'tcvae': {
        const n = x.shape[0];
        const logN = Math.log(n * objective.datasetSize);
        // log q(z_i | x_j) per dimension: [N, N, L].
        const mat = logDensityGaussian(tf.expandDims(zs, 1), tf.expandDims(mu, 0), tf.expandDims(logvar, 0));
        const logqzx = tf.sum(logDensityGaussian(zs, mu, logvar), 1);
        const logpz = tf.sum(logDensityGaussian(zs, tf.zerosLike(zs), tf.zerosLike(zs)), 1);
        const logqz = tf.sub(tf.logSumExp(tf.sum(mat, 2), 1), logN);
        const logqzProd = tf.sum(tf.sub(tf.logSumExp(mat, 1), logN), 1);
        const mi = tf.mean(tf.sub(logqzx, logqz)) as tf.Scalar;
        const tc = tf.mean(tf.sub(logqz, logqzProd)) as tf.Scalar;
        const dimKl = tf.mean(tf.sub(logqzProd, logpz)) as tf.Scalar;
        const loss = tf.addN([recon, tf.mul(objective.alpha, mi), tf.mul(objective.beta, tc), tf.mul(objective.gamma, dimKl)]) as tf.Scalar;
        return { loss, recon, kl, klPerDim, mi, tc, dimKl };
      }
    }
  });
}
