/**
 * End to end on the wasm backend: the gradients of a tiny conv / transposed-conv / dense network
 * match the cpu backend's, the cpu gradients match finite differences, and real β-VAE training steps
 * leave the live tensor count and the wasm heap's tensor count unchanged.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '../../../vision/train/gradients.ts';
import { Rng } from '../../../envs/core/rng.ts';
import { selectBackend } from '../../../vision/compute/backend.ts';
import { BetaVae, DEFAULT_ARCH } from '../../../vision/vae/model.ts';
import { VaeTrainer } from '../../../vision/vae/trainer.ts';
import { randomData, relError } from './helpers.ts';
import { tinyNetGrads, TINY_NET_PARAMS } from './tiny-net.ts';

const quiet = { log: () => {} };

describe('gradients end to end', () => {
  it('cpu gradients of the tiny net agree with finite differences', async () => {
    await selectBackend('cpu', quiet);
    const rng = new Rng(3);
    const params = TINY_NET_PARAMS.map(([, shape]) => randomData(rng, shape));
    const input = randomData(rng, [2, 8, 8, 3]);
    const { loss, grads } = await tinyNetGrads(params, input);
    // Directional derivative along a random direction, central differences in float64 bookkeeping.
    const dir = params.map((p) => randomData(rng, p.shape));
    const eps = 1e-2;
    const shifted = async (sign: number) =>
      (await tinyNetGrads(
        params.map((p, i) => ({ shape: p.shape, data: p.data.map((v, j) => v + sign * eps * dir[i].data[j]) })),
        input,
      )).loss;
    const numeric = ((await shifted(1)) - (await shifted(-1))) / (2 * eps);
    let analytic = 0;
    grads.forEach((g, i) => g.forEach((v, j) => (analytic += v * dir[i].data[j])));
    expect(Number.isFinite(loss)).toBe(true);
    expect(Math.abs(numeric - analytic) / Math.max(1, Math.abs(analytic))).toBeLessThan(2e-2);
  });

  it('wasm gradients of the tiny net match cpu', async () => {
    const rng = new Rng(4);
    const params = TINY_NET_PARAMS.map(([, shape]) => randomData(rng, shape));
    const input = randomData(rng, [2, 8, 8, 3]);
    await selectBackend('cpu', quiet);
    const ref = await tinyNetGrads(params, input);
    await selectBackend('wasm', quiet);
    const got = await tinyNetGrads(params, input);
    expect(Math.abs(got.loss - ref.loss) / Math.abs(ref.loss)).toBeLessThan(1e-5);
    got.grads.forEach((g, i) => expect(relError(g, ref.grads[i]), TINY_NET_PARAMS[i][0]).toBeLessThan(1e-4));
  });

  it('β-VAE training steps on wasm leak no tensors and no wasm memory', async () => {
    await selectBackend('wasm', quiet);
    const backend = tf.backend() as unknown as { numDataIds(): number; wasm: { HEAPU8: Uint8Array; wasmMemory?: WebAssembly.Memory } };
    const heapBytes = () => (backend.wasm.wasmMemory?.buffer ?? backend.wasm.HEAPU8.buffer).byteLength;
    const model = new BetaVae(DEFAULT_ARCH, 1);
    const trainer = new VaeTrainer(model, { kind: 'beta', beta: 4 }, { lr: 1e-4, seed: 1 });
    const x = tf.randomUniform([4, 64, 64, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const first = await trainer.trainStep(x);
    await trainer.trainStep(x);
    const tensors = tf.memory().numTensors;
    const data = backend.numDataIds();
    const heap = heapBytes();
    let last = first;
    for (let i = 0; i < 6; i++) last = await trainer.trainStep(x);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(data);
    // The kernels' own buffers (packed filters, partial sums, scratch) are freed: the heap stops growing.
    expect(heapBytes()).toBe(heap);
    expect(Number.isFinite(last.loss)).toBe(true);
    expect(last.loss).toBeLessThan(first.loss);
    trainer.dispose();
    model.dispose();
    x.dispose();
  });
});
