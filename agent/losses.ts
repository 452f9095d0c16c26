/**
 * The PPO objective (Schulman et al. 2017) on one minibatch, written out the way CleanRL's ppo.py
 * writes it so it can be checked against the paper: the clipped surrogate, the (optionally
 * clipped) value loss, the entropy bonus, and the diagnostics approx_kl and clip_fraction.
 * Inputs are the network's outputs for the minibatch plus what the rollout stored; advantages
 * arrive already normalised (or not) by the caller.
 */
import * as tf from '@tensorflow/tfjs-core';
import { logProbAndEntropy } from './categorical.ts';

export interface PpoLossCoefs {
  clipCoef: number;
  clipVloss: boolean;
  entCoef: number;
  vfCoef: number;
}

export interface PpoMinibatch {
  /** [B] int32 actions taken. */
  actions: tf.Tensor1D;
  /** [B] log π_old(a|s) stored during the rollout. */
  oldLogp: tf.Tensor1D;
  /** [B] advantages (normalised by the caller when norm_adv is on). */
  advantages: tf.Tensor1D;
  /** [B] value targets (GAE returns). */
  returns: tf.Tensor1D;
  /** [B] V_old(s) stored during the rollout (for value clipping). */
  oldValues: tf.Tensor1D;
}

export interface PpoLossTerms {
  /** pg_loss − ent_coef·entropy + vf_coef·v_loss: what the optimizer minimises. */
  loss: tf.Scalar;
  pgLoss: tf.Scalar;
  vLoss: tf.Scalar;
  entropy: tf.Scalar;
  /** mean((ratio − 1) − log ratio): the low-variance KL(old‖new) estimator, http://joschu.net/blog/kl-approx.html */
  approxKl: tf.Scalar;
  /** mean(−log ratio): the naive KL estimator, which CleanRL logs as old_approx_kl. */
  oldApproxKl: tf.Scalar;
  /** Fraction of samples whose ratio left [1 − clip, 1 + clip]. */
  clipFraction: tf.Scalar;
}

export function ppoLoss(logits: tf.Tensor2D, values: tf.Tensor1D, mb: PpoMinibatch, c: PpoLossCoefs): PpoLossTerms {
  return tf.tidy(() => {
    const { logp, entropy } = logProbAndEntropy(logits, mb.actions);
    const logratio = tf.sub(logp, mb.oldLogp);
    const ratio = tf.exp(logratio);

    // Diagnostics, not differentiated through.
    const oldApproxKl = tf.mean(tf.neg(logratio)) as tf.Scalar;
    const approxKl = tf.mean(tf.sub(tf.sub(ratio, 1), logratio)) as tf.Scalar;
    const clipFraction = tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), c.clipCoef), 'float32')) as tf.Scalar;

    // Policy loss: the clipped surrogate, max of the two negated objectives.
    const pg1 = tf.mul(tf.neg(mb.advantages), ratio);
    const pg2 = tf.mul(tf.neg(mb.advantages), tf.clipByValue(ratio, 1 - c.clipCoef, 1 + c.clipCoef));
    const pgLoss = tf.mean(tf.maximum(pg1, pg2)) as tf.Scalar;

    // Value loss, optionally clipped around the rollout's values.
    const vUnclipped = tf.square(tf.sub(values, mb.returns));
    let vLoss: tf.Scalar;
    if (c.clipVloss) {
      const vClippedPred = tf.add(mb.oldValues, tf.clipByValue(tf.sub(values, mb.oldValues), -c.clipCoef, c.clipCoef));
      const vClipped = tf.square(tf.sub(vClippedPred, mb.returns));
      vLoss = tf.mul(0.5, tf.mean(tf.maximum(vUnclipped, vClipped))) as tf.Scalar;
    } else {
      vLoss = tf.mul(0.5, tf.mean(vUnclipped)) as tf.Scalar;
    }

    const entropyMean = tf.mean(entropy) as tf.Scalar;
    const loss = tf.add(tf.sub(pgLoss, tf.mul(c.entCoef, entropyMean)), tf.mul(c.vfCoef, vLoss)) as tf.Scalar;
    return { loss, pgLoss, vLoss, entropy: entropyMean, approxKl, oldApproxKl, clipFraction };
  });
}
