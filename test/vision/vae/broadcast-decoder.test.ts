/**
 * The spatial broadcast decoder (vision/vae/broadcast-decoder.ts): coordinate channels, the model's
 * shapes and parameters, gradients on the wasm kernels equal the cpu backend's, training lowers the
 * loss, and an architecture without `decoder` still builds the deconvolution decoder it always did.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../vision/compute/backend.ts';
import { BROADCAST_GRID, coordinateChannels } from '../../../vision/vae/broadcast-decoder.ts';
import { BetaVae, DEFAULT_ARCH, VaeArchSchema, type VaeArch } from '../../../vision/vae/model.ts';
import { VaeTrainer } from '../../../vision/vae/trainer.ts';
import { computeLoss } from '../../../vision/vae/objectives.ts';

const quiet = { log: () => {} };
const SMALL: VaeArch = { ...DEFAULT_ARCH, latents: 4, convFilters: [4, 4, 4, 4], hidden: 16, decoder: 'broadcast' };

describe('spatial broadcast decoder', () => {
  it('coordinate channels run −1 … 1 left to right (x) and top to bottom (y)', async () => {
    await selectBackend('cpu', quiet);
    const c = coordinateChannels(4);
    const v = await c.array();
    c.dispose();
    expect(v[0][0][0]).toEqual([-1, -1]);
    expect(v[0][0][3]).toEqual([1, -1]);
    expect(v[0][3][0]).toEqual([-1, 1]);
    expect(v[0][1][2][0]).toBeCloseTo(1 / 3, 6);
    expect(v[0][2][1][1]).toBeCloseTo(1 / 3, 6);
  });

  it('decodes [N, L] to logits [N, 64, 64, C] with its own parameters; no decoder field means deconv', async () => {
    await selectBackend('cpu', quiet);
    const model = new BetaVae(SMALL, 1);
    const names = model.params.map(([n]) => n);
    expect(names.filter((n) => n.startsWith('dec/'))).toEqual([
      'dec/bc/conv0/w', 'dec/bc/conv0/b', 'dec/bc/conv1/w', 'dec/bc/conv1/b',
      'dec/bc/deconv0/w', 'dec/bc/deconv0/b', 'dec/bc/deconv1/w', 'dec/bc/deconv1/b',
    ]);
    const conv0 = model.params.find(([n]) => n === 'dec/bc/conv0/w')![1];
    expect(conv0.shape).toEqual([3, 3, SMALL.latents + 2, 32]);
    const out = model.decode(tf.zeros([2, SMALL.latents]));
    expect(out.shape).toEqual([2, 64, 64, 3]);
    out.dispose();
    const before = tf.memory().numTensors;
    model.dispose();
    // The variables and the coordinate channels are freed.
    expect(tf.memory().numTensors).toBeLessThan(before);

    const { decoder: _omit, ...plain } = SMALL;
    const a = new BetaVae(plain, 1);
    const b = new BetaVae({ ...plain, decoder: 'deconv' }, 1);
    expect(a.params.map(([n]) => n)).toEqual(b.params.map(([n]) => n));
    expect(a.params.map(([n]) => n)).toContain('dec/deconv3/w');
    expect(await a.params[0][1].data()).toEqual(await b.params[0][1].data());
    a.dispose();
    b.dispose();
    expect(VaeArchSchema.safeParse({ ...SMALL, decoder: 'mlp' }).success).toBe(false);
    expect(BROADCAST_GRID * 4).toBe(64);
  });

  it('the loss and its gradients on wasm match the cpu backend (with the augmented, blurred term)', async () => {
    const run = async (backend: 'cpu' | 'wasm') => {
      await selectBackend(backend, quiet);
      const model = new BetaVae(SMALL, 7);
      const x = tf.randomUniform([1, 64, 64, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
      const noise = tf.randomNormal([1, SMALL.latents], 0, 1, 'float32', 5) as tf.Tensor2D;
      const vars = model.params.map(([, v]) => v);
      const { value, grads } = tf.variableGrads(() => computeLoss(model, { kind: 'beta', beta: 4 }, x, noise, 0, undefined, { kernel: 'gaussian', sigma: 2, weight: 0.5 }).loss, vars);
      const loss = (await value.data())[0];
      const g = await Promise.all(model.params.map(async ([, v]) => Float64Array.from(await grads[v.name].data())));
      tf.dispose([value, x, noise, ...Object.values(grads)]);
      model.dispose();
      return { loss, g };
    };
    const ref = await run('cpu');
    const got = await run('wasm');
    expect(Math.abs(got.loss - ref.loss) / Math.abs(ref.loss)).toBeLessThan(1e-5);
    ref.g.forEach((r, i) => {
      let num = 0;
      let den = 0;
      for (let j = 0; j < r.length; j++) {
        num += (got.g[i][j] - r[j]) ** 2;
        den += r[j] ** 2;
      }
      expect(Math.sqrt(num / Math.max(den, 1e-30)), `parameter ${i}`).toBeLessThan(1e-4);
    });
  });

  it('training steps lower the loss and leak no tensors', async () => {
    await selectBackend('wasm', quiet);
    const model = new BetaVae(SMALL, 2);
    const trainer = new VaeTrainer(model, { kind: 'beta', beta: 1 }, { lr: 2e-3, seed: 2 });
    // Four frames, each one bright square somewhere else.
    const data = new Float32Array(4 * 64 * 64 * 3);
    for (let k = 0; k < 4; k++) for (let y = 8 + 12 * k; y < 20 + 12 * k; y++) for (let x = 10; x < 22; x++) data.fill(1, ((k * 64 + y) * 64 + x) * 3, ((k * 64 + y) * 64 + x) * 3 + 3);
    const x = tf.tensor4d(data, [4, 64, 64, 3]);
    const first = await trainer.trainStep(x);
    const tensors = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 40; i++) last = await trainer.trainStep(x);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(last.loss).toBeLessThan(0.8 * first.loss);
    x.dispose();
    trainer.dispose();
    model.dispose();
  });
});
