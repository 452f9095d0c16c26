import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, globalGradNorm } from '../../vision/train/adam.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('Adam (PyTorch rule)', () => {
  it('matches two hand-computed steps on f(w) = w²', () => {
    const w = tf.variable(tf.scalar(1));
    const opt = new Adam([['w', w]], { lr: 0.1 });
    opt.apply({ w: tf.mul(2, w) });
    expect(w.dataSync()[0]).toBeCloseTo(0.9, 6);
    // m = 0.36, v = 0.007236, m̂ = 1.894737, v̂ = 3.619810 → step 0.1·m̂/(√v̂ + 1e-8) = 0.0995878
    opt.apply({ w: tf.mul(2, w) });
    expect(w.dataSync()[0]).toBeCloseTo(0.8004122, 6);
    opt.dispose();
  });

  it('clips the global gradient norm like clip_grad_norm_', () => {
    const a = tf.variable(tf.tensor1d([0, 0]));
    const b = tf.variable(tf.scalar(0));
    const opt = new Adam([['a', a], ['b', b]], { lr: 1, maxGradNorm: 1 });
    const info = opt.apply({ a: tf.tensor1d([3, 0]), b: tf.scalar(4) });
    expect(info.gradNorm).toBeCloseTo(5, 5);
    // After clipping the first Adam step moves each coordinate by lr·sign(g) regardless of scale.
    expect(Array.from(a.dataSync())[0]).toBeCloseTo(-1, 5);
    opt.dispose();
  });

  it('clips by the norm the caller already measured (globalGradNorm), seen in the first moment', () => {
    const grads = () => ({ a: tf.tensor1d([3, 0]), b: tf.scalar(4) });
    expect(globalGradNorm(grads())).toBeCloseTo(5, 6);
    const firstMoment = (known: number | undefined) => {
      const a = tf.variable(tf.tensor1d([0, 0]));
      const b = tf.variable(tf.scalar(0));
      const opt = new Adam([['a', a], ['b', b]], { lr: 1, maxGradNorm: 1 });
      const info = opt.apply(grads(), known);
      const m = Array.from(opt.getState().arrays['adam/m/a'].data);
      opt.dispose();
      return { gradNorm: info.gradNorm, m };
    };
    // m = (1 − β1)·g·min(1, c/‖g‖): 0.1·3·(1/5) = 0.06, whether the norm is measured here or passed in.
    const measured = firstMoment(undefined);
    const passed = firstMoment(5);
    expect(measured.m[0]).toBeCloseTo(0.06, 6);
    expect(passed).toEqual({ gradNorm: 5, m: measured.m });
    // The passed norm is trusted as given (the caller measured these very gradients).
    expect(firstMoment(10).m[0]).toBeCloseTo(0.03, 6);
  });

  it('resumes bit-exactly from saved state', () => {
    const run = (restoreAfter: number | null) => {
      const w = tf.variable(tf.tensor1d([0.3, -1.2, 2.5]));
      const opt = new Adam([['w', w]], { lr: 0.05, eps: 1e-5 });
      const grad = () => tf.sub(tf.mul(w, w), 0.1);
      for (let i = 0; i < 3; i++) opt.apply({ w: grad() });
      let target = w;
      let o = opt;
      if (restoreAfter !== null) {
        const state = opt.getState();
        target = tf.variable(tf.tensor1d(Array.from(w.dataSync())));
        o = new Adam([['w', target]], { lr: 0.05, eps: 1e-5 });
        o.setState(state);
      }
      for (let i = 0; i < 4; i++) o.apply({ w: tf.sub(tf.mul(target, target), 0.1) });
      return Array.from(target.dataSync());
    };
    expect(run(3)).toEqual(run(null));
  });

  it('creates and disposes without leaking, and does not leak across steps', () => {
    const start = tf.memory().numTensors;
    const p = tf.tidy(() => tf.variable(tf.zeros([3, 3])));
    const o = new Adam([['p', p]], { lr: 0.1 });
    expect(tf.memory().numTensors).toBe(start + 3);
    o.dispose();
    p.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('does not leak tensors across steps', () => {
    const w = tf.variable(tf.randomNormal([4, 4]));
    const opt = new Adam([['w', w]], { lr: 0.01, maxGradNorm: 0.5 });
    const g = tf.randomNormal([4, 4]);
    opt.apply({ w: g });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) opt.apply({ w: g });
    expect(tf.memory().numTensors).toBe(before);
  });
});
