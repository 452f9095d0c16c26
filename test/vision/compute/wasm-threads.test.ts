/**
 * The wasm backend on two threads (tfjs's threaded build, and the project's kernels with a helper
 * worker): convolution kernels match the cpu backend, and results are bit-identical to one thread —
 * for each kernel, and for β-VAE training steps (a run resumed with another thread count, e.g.
 * because the machine got busier, continues exactly). Each thread count runs in a child process,
 * since a process's wasm thread pool is fixed when wasm starts.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';

const root = new URL('../../../', import.meta.url).pathname;

const SCRIPT = `
import crypto from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import './vision/train/gradients.ts';
import { selectBackend } from './vision/compute/backend.ts';
import { Rng } from './envs/core/rng.ts';
import { BetaVae, DEFAULT_ARCH } from './vision/vae/model.ts';
import { VaeTrainer } from './vision/vae/trainer.ts';
const info = await selectBackend('wasm', { log: () => {}, threads: Number(process.env.THREADS) });
const rng = new Rng(5);
const data = (shape) => { const a = new Float32Array(shape.reduce((p, q) => p * q, 1)); for (let i = 0; i < a.length; i++) a[i] = rng.normal(); return tf.tensor(a, shape); };
const cases = [
  { x: [8, 32, 32, 32], w: [4, 4, 32, 32], s: 2, pad: 'same' },
  { x: [8, 64, 64, 3], w: [4, 4, 3, 32], s: 2, pad: 'same' },
  { x: [5, 15, 13, 6], w: [3, 5, 6, 7], s: 1, pad: 'valid' },
  { x: [4, 64, 64, 3], w: [8, 8, 3, 32], s: 4, pad: 'valid' },
];
const hash = crypto.createHash('sha256');
let worst = 0;
for (const c of cases) {
  const x = data(c.x), w = data(c.w);
  const y = tf.conv2d(x, w, c.s, c.pad);
  const dy = data(y.shape);
  const outs = () => [
    tf.conv2d(x, w, c.s, c.pad),
    tf.conv2dTranspose(dy, w, c.x, c.s, c.pad),
    tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { strides: c.s, pad: c.pad, dataFormat: 'NHWC', filterShape: c.w }),
  ];
  const got = outs().map((t) => t.dataSync());
  await tf.setBackend('cpu');
  const ref = outs().map((t) => t.dataSync());
  await tf.setBackend('wasm');
  got.forEach((g, i) => {
    hash.update(Buffer.from(g.buffer, g.byteOffset, g.byteLength));
    let d = 0, m = 1e-6;
    for (let j = 0; j < g.length; j++) { d = Math.max(d, Math.abs(g[j] - ref[i][j])); m = Math.max(m, Math.abs(ref[i][j])); }
    worst = Math.max(worst, d / m);
  });
}
const model = new BetaVae(DEFAULT_ARCH, 3);
const trainer = new VaeTrainer(model, { kind: 'beta', beta: 4 }, { lr: 1e-3, seed: 3 });
const batch = tf.randomUniform([8, 64, 64, 3], 0, 1, 'float32', 3);
for (let i = 0; i < 2; i++) await trainer.trainStep(batch);
const weights = crypto.createHash('sha256');
for (const [, v] of model.params) { const d = v.dataSync(); weights.update(Buffer.from(d.buffer, d.byteOffset, d.byteLength)); }
console.log(JSON.stringify({ threads: info.threads, kernels: hash.digest('hex'), weights: weights.digest('hex'), worst }));
`;

function runWith(threads: number): { threads: number; kernels: string; weights: string; worst: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, THREADS: String(threads) },
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe('wasm on two threads', () => {
  it('matches cpu, and one thread bit for bit (kernels and β-VAE training steps)', () => {
    const one = runWith(1);
    const two = runWith(2);
    expect(one.threads).toBe(1);
    expect(two.threads).toBe(2);
    expect(two.worst).toBeLessThan(2e-5);
    expect(one.worst).toBeLessThan(2e-5);
    expect(two.kernels).toBe(one.kernels);
    expect(two.weights).toBe(one.weights);
  }, 240_000);
});
