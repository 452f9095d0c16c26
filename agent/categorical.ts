/**
 * The categorical action distribution over logits, in two halves: plain-JS sampling for rollouts
 * (our seeded Rng picks the action, so a run is reproducible on any backend that computes the same
 * logits) and tensor log-probabilities/entropy for the loss.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../envs/core/rng.ts';

/** Log-softmax of one row of logits, in float64, written into `out`. */
export function logSoftmaxRow(logits: ArrayLike<number>, offset: number, n: number, out: Float64Array): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let a = 0; a < n; a++) max = Math.max(max, logits[offset + a]);
  let sum = 0;
  for (let a = 0; a < n; a++) sum += Math.exp(logits[offset + a] - max);
  const lse = max + Math.log(sum);
  for (let a = 0; a < n; a++) out[a] = logits[offset + a] - lse;
}

/**
 * Picks one action per row of `logits` (rows × numActions): sampled from softmax with `rng`, or the
 * argmax when `deterministic`. Writes actions and their log-probabilities.
 */
export function selectActions(
  logits: Float32Array,
  numActions: number,
  rng: Rng,
  deterministic: boolean,
  actions: Int32Array,
  logprobs: Float32Array,
): void {
  const rows = actions.length;
  if (logits.length !== rows * numActions) throw new Error(`selectActions: ${logits.length} logits for ${rows}×${numActions}`);
  const lp = new Float64Array(numActions);
  for (let r = 0; r < rows; r++) {
    logSoftmaxRow(logits, r * numActions, numActions, lp);
    let chosen = 0;
    if (deterministic) {
      for (let a = 1; a < numActions; a++) if (lp[a] > lp[chosen]) chosen = a;
    } else {
      const u = rng.uniform();
      let cum = 0;
      chosen = numActions - 1; // rounding can leave cum a hair below 1: the last action takes it
      for (let a = 0; a < numActions; a++) {
        cum += Math.exp(lp[a]);
        if (u < cum) {
          chosen = a;
          break;
        }
      }
    }
    actions[r] = chosen;
    logprobs[r] = lp[chosen];
  }
}

/** Softmax probabilities of one row (for snapshots and the viewer). */
export function probabilitiesRow(logits: Float32Array, row: number, numActions: number): number[] {
  const lp = new Float64Array(numActions);
  logSoftmaxRow(logits, row * numActions, numActions, lp);
  return Array.from(lp, Math.exp);
}

/** log π(a|s) for the given actions and the entropy of each row, as tensors [B]. */
export function logProbAndEntropy(logits: tf.Tensor2D, actions: tf.Tensor1D): { logp: tf.Tensor1D; entropy: tf.Tensor1D } {
  return tf.tidy(() => {
    const logpAll = tf.logSoftmax(logits);
    const oneHot = tf.oneHot(actions, logits.shape[1]);
    const logp = tf.sum(tf.mul(logpAll, oneHot), 1) as tf.Tensor1D;
    const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logpAll), logpAll), 1)) as tf.Tensor1D;
    return { logp, entropy };
  });
}
