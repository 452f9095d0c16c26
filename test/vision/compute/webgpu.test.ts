/**
 * The WebGPU training path (Dawn) against the cpu backend: our im2col + batched-matmul
 * Conv2DBackpropFilter, the matmul-based Conv2DBackpropInput we switch on, a tiny network's
 * gradients, and leak-free training steps. Runs on any adapter, Mesa's software lavapipe included
 * (CI installs Mesa >= 24 from bookworm-backports); with no adapter the suite is skipped and its
 * name says why.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../../../vision/train/gradients.ts';
import { Rng } from '../../../envs/core/rng.ts';
import { probeAdapter, lastProbeFailure } from '../../../vision/compute/webgpu/dawn.ts';
import { selectBackend } from '../../../vision/compute/backend.ts';
import { type ConvCase, outShape, randomData, relError, runOn } from './helpers.ts';
import { tinyNetGrads, TINY_NET_PARAMS } from './tiny-net.ts';

const probe = await probeAdapter();
const available = probe !== null;
const title = available ? `webgpu on ${probe.name}` : `webgpu SKIPPED: ${lastProbeFailure}`;
if (!available) console.warn(`[webgpu tests skipped] ${lastProbeFailure}`);

const quiet = { log: () => {} };
const TOL = 5e-5;

const CASES: ConvCase[] = [
  { x: [2, 16, 16, 3], filter: [4, 4, 3, 8], strides: [2, 2], pad: 'same' },
  { x: [3, 8, 8, 8], filter: [4, 4, 8, 16], strides: [2, 2], pad: 'same' },
  { x: [2, 9, 11, 5], filter: [3, 2, 5, 3], strides: [1, 2], pad: 'valid' },
  { x: [2, 20, 20, 3], filter: [8, 8, 3, 4], strides: [4, 4], pad: 'valid' },
  { x: [1, 7, 7, 4], filter: [3, 3, 4, 4], strides: [1, 1], pad: [[0, 0], [2, 1], [0, 2], [0, 0]] },
  { x: [16, 8, 8, 8], filter: [4, 4, 8, 8], strides: [2, 2], pad: 'same' },
];

/** A test that needs the adapter: without one it is skipped with the probe's reason (listed at the end of the run). */
const gpuIt = (name: string, fn: () => Promise<void> | void) =>
  it(name, async (ctx) => {
    if (!available) ctx.skip(String(lastProbeFailure));
    await fn();
  });

describe(title, () => {
  gpuIt('selectBackend("webgpu") runs on the adapter and names it', async () => {
    const info = await selectBackend('webgpu', quiet);
    expect(info.name).toBe('webgpu');
    expect(info.adapter).toBe(probe!.name);
    expect(tf.env().getBool('WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE')).toBe(false);
  });

  gpuIt('says what to do when code reads a webgpu tensor synchronously', async () => {
    await selectBackend('webgpu', quiet);
    // Large enough to run on the GPU (small ops are forwarded to the CPU, whose results read fine).
    const t = tf.tidy(() => tf.sum(tf.add(tf.ones([4096]), tf.ones([4096]))));
    const big = tf.tidy(() => tf.add(tf.ones([4096]), tf.ones([4096])));
    expect(() => big.dataSync()).toThrow(/await tensor\.data\(\)/);
    expect((await t.data())[0]).toBe(8192);
    tf.dispose([t, big]);
  });

  gpuIt('Conv2DBackpropFilter and Conv2DBackpropInput match cpu', async () => {
    await selectBackend('webgpu', quiet);
    for (const [i, c] of CASES.entries()) {
      const rng = new Rng(500 + i);
      const x = randomData(rng, c.x);
      const w = randomData(rng, c.filter);
      const dy = randomData(rng, outShape(c));
      const run = () => [
        tf.engine().runKernel(
          tf.Conv2DBackpropFilter,
          { x: tf.tensor(x.data, x.shape), dy: tf.tensor(dy.data, dy.shape) },
          { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter } as unknown as tf.NamedAttrMap,
        ) as tf.Tensor,
        tf.engine().runKernel(
          tf.Conv2DBackpropInput,
          { dy: tf.tensor(dy.data, dy.shape), filter: tf.tensor(w.data, w.shape) },
          { inputShape: c.x, strides: c.strides, pad: c.pad, dataFormat: 'NHWC' } as unknown as tf.NamedAttrMap,
        ) as tf.Tensor,
      ];
      const ref = await runOn('cpu', run);
      const got = await runOn('webgpu', run);
      const label = `x=${c.x} filter=${c.filter} strides=${c.strides} pad=${JSON.stringify(c.pad)}`;
      expect(relError(got[0], ref[0]), `dW ${label}`).toBeLessThan(TOL);
      expect(relError(got[1], ref[1]), `dX ${label}`).toBeLessThan(TOL);
    }
  });

  gpuIt('tiny network gradients match cpu, and training steps leak nothing', async () => {
    const rng = new Rng(6);
    const params = TINY_NET_PARAMS.map(([, shape]) => randomData(rng, shape));
    const input = randomData(rng, [2, 8, 8, 3]);
    await selectBackend('cpu', quiet);
    const ref = await tinyNetGrads(params, input);
    await selectBackend('webgpu', quiet);
    const got = await tinyNetGrads(params, input);
    expect(Math.abs(got.loss - ref.loss) / Math.abs(ref.loss)).toBeLessThan(1e-4);
    got.grads.forEach((g, i) => expect(relError(g, ref.grads[i]), TINY_NET_PARAMS[i][0]).toBeLessThan(1e-3));
    await tinyNetGrads(params, input);
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await tinyNetGrads(params, input);
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
