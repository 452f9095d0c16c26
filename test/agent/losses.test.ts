import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { ppoLoss, type PpoMinibatch } from '../../agent/losses.ts';
import '../../vision/train/gradients.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// A hand-built batch of three samples over two actions (worked by hand below).
//  s0: logits [0, 0], a = 0, log π_old = ln ½ − 0.5 → ratio e^0.5 ≈ 1.6487 (clipped to 1.2), A = +1
//  s1: logits [0, 0], a = 1, log π_old = ln ½ + 0.1 → ratio e^−0.1 ≈ 0.9048 (inside), A = −2
//  s2: logits [ln 3, 0] (π = ¾, ¼), a = 0, log π_old = ln ¾ + 0.3 → ratio e^−0.3 ≈ 0.7408 (clipped to 0.8), A = −1
function batch(): { logits: tf.Tensor2D; values: tf.Tensor1D; mb: PpoMinibatch } {
  return {
    logits: tf.tensor2d([0, 0, 0, 0, Math.log(3), 0], [3, 2]),
    values: tf.tensor1d([1.0, 0.0, 2.0]),
    mb: {
      actions: tf.tensor1d([0, 1, 0], 'int32'),
      oldLogp: tf.tensor1d([Math.log(0.5) - 0.5, Math.log(0.5) + 0.1, Math.log(0.75) + 0.3]),
      advantages: tf.tensor1d([1, -2, -1]),
      returns: tf.tensor1d([1.5, 0.5, 1.0]),
      oldValues: tf.tensor1d([0.0, 0.3, 1.0]),
    },
  };
}

const read = (t: tf.Scalar) => t.dataSync()[0];

describe('ppoLoss on a hand-built batch', () => {
  it('gives the hand-computed clipped surrogate, value loss, entropy and diagnostics', () => {
    const { logits, values, mb } = batch();
    const t = ppoLoss(logits, values, mb, { clipCoef: 0.2, clipVloss: true, entCoef: 0.01, vfCoef: 0.5 });
    // pg: max(−A·r, −A·clip(r)) = max(−1.6487, −1.2) = −1.2 ; max(1.8097, 1.8097) ; max(0.7408, 0.8) = 0.8
    const pg = (-1.2 + 2 * Math.exp(-0.1) + 0.8) / 3;
    expect(read(t.pgLoss)).toBeCloseTo(pg, 5);
    // value, clipped: s0 max((1−1.5)², (0+0.2−1.5)²) = 1.69; s1 max(0.25, (0.3−0.2−0.5)²=0.16) = 0.25; s2 max(1, (1.2−1)²) = 1
    expect(read(t.vLoss)).toBeCloseTo(0.5 * ((1.69 + 0.25 + 1) / 3), 5);
    const ent = (2 * Math.log(2) - (0.75 * Math.log(0.75) + 0.25 * Math.log(0.25))) / 3;
    expect(read(t.entropy)).toBeCloseTo(ent, 5);
    const kl = (Math.exp(0.5) - 1 - 0.5 + (Math.exp(-0.1) - 1 + 0.1) + (Math.exp(-0.3) - 1 + 0.3)) / 3;
    expect(read(t.approxKl)).toBeCloseTo(kl, 5);
    expect(read(t.oldApproxKl)).toBeCloseTo((-0.5 + 0.1 + 0.3) / 3, 5);
    expect(read(t.clipFraction)).toBeCloseTo(2 / 3, 6);
    expect(read(t.loss)).toBeCloseTo(pg - 0.01 * ent + 0.5 * (0.5 * 0.98), 5);
  });

  it('without value clipping uses ½·mean((V − R)²)', () => {
    const { logits, values, mb } = batch();
    const t = ppoLoss(logits, values, mb, { clipCoef: 0.2, clipVloss: false, entCoef: 0, vfCoef: 1 });
    expect(read(t.vLoss)).toBeCloseTo(0.5 * ((0.25 + 0.25 + 1) / 3), 6);
  });

  it('passes no policy gradient through samples whose clip binds', () => {
    const { logits, values, mb } = batch();
    const g = tf.grad((l: tf.Tensor) => ppoLoss(l as tf.Tensor2D, values, mb, { clipCoef: 0.2, clipVloss: true, entCoef: 0, vfCoef: 0 }).pgLoss)(logits);
    const d = g.dataSync();
    expect(Math.abs(d[0]) + Math.abs(d[1])).toBe(0); // s0: A > 0 and ratio > 1 + ε
    expect(Math.abs(d[4]) + Math.abs(d[5])).toBe(0); // s2: A < 0 and ratio < 1 − ε
    expect(Math.abs(d[2]) + Math.abs(d[3])).toBeGreaterThan(0.1); // s1: inside the clip range
  });
});
