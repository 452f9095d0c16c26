import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam } from '../../vision/train/adam.ts';

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
