/**
 * The wasm training kernels against the `cpu` backend's reference kernels, on seeded random shapes
 * (strides 1–3, kernels 1–5, 'same' / 'valid' / explicit padding, 1–6 channels, dilations for the
 * forward conv), on the exact shapes of the reference β-VAE and of a Nature-CNN pixel encoder, and
 * for leaks: repeated calls must not grow the wasm backend's live data. The convolutions run with
 * the project's own kernels (the default) and with the XNNPACK compositions
 * (DARLA_WASM_KERNELS=xnnpack).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Rng } from '../../../envs/core/rng.ts';
import { registerWasmTrainingKernels } from '../../../vision/compute/wasm/kernels.ts';
import { setWasmConvKernels, type WasmConvKernels } from '../../../vision/compute/wasm/darla-conv.ts';
import { type ConvCase, type Pad, outShape, randomData, relError, runOn } from './helpers.ts';

const TOL = 2e-5;

beforeAll(async () => {
  await tf.setBackend('wasm');
  registerWasmTrainingKernels();
});

function randomConvCase(rng: Rng): ConvCase {
  const kh = 1 + rng.int(5);
  const kw = 1 + rng.int(5);
  const strides: [number, number] = [1 + rng.int(3), 1 + rng.int(3)];
  const x: ConvCase['x'] = [1 + rng.int(3), kh + rng.int(12), kw + rng.int(12), 1 + rng.int(5)];
  const filter: ConvCase['filter'] = [kh, kw, x[3], 1 + rng.int(6)];
  const choice = rng.int(3);
  const pad: Pad =
    choice === 0
      ? 'same'
      : choice === 1
        ? 'valid'
        : [
            [0, 0],
            [rng.int(kh), rng.int(kh)],
            [rng.int(kw), rng.int(kw)],
            [0, 0],
          ];
  return { x, filter, strides, pad };
}

function describeCase(c: ConvCase): string {
  return `x=${c.x} filter=${c.filter} strides=${c.strides} pad=${JSON.stringify(c.pad)}`;
}

async function compareConv2D(c: ConvCase, dilations: [number, number], seed: number): Promise<number> {
  const rng = new Rng(seed);
  const x = randomData(rng, c.x);
  const w = randomData(rng, c.filter);
  const run = () => tf.conv2d(tf.tensor4d(x.data, c.x), tf.tensor4d(w.data, c.filter), c.strides, c.pad, 'NHWC', dilations);
  const [ref] = await runOn('cpu', run);
  const [got] = await runOn('wasm', run);
  return relError(got, ref);
}

async function compareBackpropFilter(c: ConvCase, seed: number): Promise<number> {
  const rng = new Rng(seed);
  const x = randomData(rng, c.x);
  const dy = randomData(rng, outShape(c));
  const run = () =>
    tf.engine().runKernel(
      tf.Conv2DBackpropFilter,
      { x: tf.tensor(x.data, x.shape), dy: tf.tensor(dy.data, dy.shape) },
      { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: c.filter } as unknown as tf.NamedAttrMap,
    ) as tf.Tensor;
  const [ref] = await runOn('cpu', run);
  const [got] = await runOn('wasm', run);
  return relError(got, ref);
}

async function compareBackpropInput(c: ConvCase, seed: number): Promise<number> {
  const rng = new Rng(seed);
  const w = randomData(rng, c.filter);
  const dy = randomData(rng, outShape(c));
  const run = () =>
    tf.engine().runKernel(
      tf.Conv2DBackpropInput,
      { dy: tf.tensor(dy.data, dy.shape), filter: tf.tensor(w.data, w.shape) },
      { inputShape: c.x, strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined } as unknown as tf.NamedAttrMap,
    ) as tf.Tensor;
  const [ref] = await runOn('cpu', run);
  const [got] = await runOn('wasm', run);
  return relError(got, ref);
}

// The training shapes of the reference β-VAE (batch 1–2 here) and of a Nature-CNN-like pixel encoder.
const MODEL_CASES: ConvCase[] = [
  { x: [1, 64, 64, 3], filter: [4, 4, 3, 32], strides: [2, 2], pad: 'same' },
  { x: [1, 32, 32, 32], filter: [4, 4, 32, 32], strides: [2, 2], pad: 'same' },
  { x: [2, 16, 16, 32], filter: [4, 4, 32, 64], strides: [2, 2], pad: 'same' },
  { x: [2, 8, 8, 64], filter: [4, 4, 64, 64], strides: [2, 2], pad: 'same' },
  { x: [2, 64, 64, 3], filter: [8, 8, 3, 32], strides: [4, 4], pad: 'valid' },
  { x: [2, 15, 15, 32], filter: [4, 4, 32, 64], strides: [2, 2], pad: 'valid' },
  { x: [2, 6, 6, 64], filter: [3, 3, 64, 64], strides: [1, 1], pad: 'valid' },
];

for (const kernels of ['darla', 'xnnpack'] as WasmConvKernels[]) {
  describe(`${kernels} conv kernels`, () => {
    beforeAll(() => setWasmConvKernels(kernels));
    afterAll(() => setWasmConvKernels('darla'));

    // With xnnpack kernels Conv2D is tfjs's own, which gets some of these shapes wrong (e.g. x
    // [1,10,3,2], filter [4,1,2,1], strides [1,3], 'same': relative error 1).
    it.skipIf(kernels === 'xnnpack')('Conv2D matches cpu on 40 random shapes (with dilations)', async () => {
      const rng = new Rng(10);
      for (let i = 0; i < 40; i++) {
        const c = randomConvCase(rng);
        // tfjs allows dilation > 1 only with stride 1.
        const dil: [number, number] = c.strides[0] === 1 && c.strides[1] === 1 ? [1 + rng.int(2), 1 + rng.int(2)] : [1, 1];
        if (dil[0] > 1 || dil[1] > 1) {
          c.x[1] += (c.filter[0] - 1) * (dil[0] - 1);
          c.x[2] += (c.filter[1] - 1) * (dil[1] - 1);
        }
        expect(await compareConv2D(c, dil, 50 + i), `${describeCase(c)} dilations=${dil}`).toBeLessThan(TOL);
      }
    });

    it('Conv2D matches cpu on the β-VAE and Nature-CNN shapes', async () => {
      for (const [i, c] of MODEL_CASES.entries()) {
        expect(await compareConv2D(c, [1, 1], 90 + i), describeCase(c)).toBeLessThan(TOL);
      }
    });

    it('Conv2DBackpropFilter matches cpu on 40 random shapes', async () => {
      const rng = new Rng(11);
      for (let i = 0; i < 40; i++) {
        const c = randomConvCase(rng);
        const err = await compareBackpropFilter(c, 100 + i);
        expect(err, describeCase(c)).toBeLessThan(TOL);
      }
    });

    it('Conv2DBackpropFilter matches cpu on the β-VAE and Nature-CNN shapes', async () => {
      for (const [i, c] of MODEL_CASES.entries()) {
        expect(await compareBackpropFilter(c, 200 + i), describeCase(c)).toBeLessThan(TOL);
      }
    });

    it('Conv2DBackpropInput matches cpu on 40 random shapes', async () => {
      const rng = new Rng(12);
      for (let i = 0; i < 40; i++) {
        const c = randomConvCase(rng);
        const err = await compareBackpropInput(c, 300 + i);
        expect(err, describeCase(c)).toBeLessThan(TOL);
      }
    });

    it('Conv2DBackpropInput matches cpu on the β-VAE and Nature-CNN shapes', async () => {
      for (const [i, c] of MODEL_CASES.entries()) {
        expect(await compareBackpropInput(c, 400 + i), describeCase(c)).toBeLessThan(TOL);
      }
    });

    it('BatchMatMul matches cpu for every transpose combination, ranks 2 and 3, batched fallback included', async () => {
      const rng = new Rng(13);
      for (let i = 0; i < 24; i++) {
        const m = 1 + rng.int(40);
        const k = 1 + rng.int(40);
        const n = 1 + rng.int(40);
        const tA = rng.int(2) === 1;
        const tB = rng.int(2) === 1;
        const batch = i % 3 === 2 ? 1 + rng.int(3) : 1;
        const lead = i % 3 === 0 ? [] : [batch];
        const a = randomData(rng, [...lead, ...(tA ? [k, m] : [m, k])]);
        const b = randomData(rng, [...lead, ...(tB ? [n, k] : [k, n])]);
        const run = () => tf.matMul(tf.tensor(a.data, a.shape), tf.tensor(b.data, b.shape), tA, tB);
        const [ref] = await runOn('cpu', run);
        const [got] = await runOn('wasm', run);
        expect(relError(got, ref), `a=${a.shape} b=${b.shape} tA=${tA} tB=${tB}`).toBeLessThan(TOL);
      }
    });

    it('BatchMatMul keeps the output rank and shape of the stock kernel', async () => {
      await tf.setBackend('wasm');
      const out = tf.tidy(() => tf.matMul(tf.ones([1, 5, 3]), tf.ones([1, 4, 3]), false, true));
      expect(out.shape).toEqual([1, 5, 4]);
      out.dispose();
    });

    it('Sum matches cpu for leading, middle, trailing and scattered axes, keepDims or not', async () => {
      const rng = new Rng(15);
      const cases: Array<[number[], number[]]> = [
        [[64, 8, 8, 32], [0, 1, 2]],
        [[16, 16, 16, 3], [0, 1, 2]],
        [[5, 6, 7, 2], [1, 2]],
        [[9, 300], [0]],
        [[4, 5, 6], [2]],
        [[4, 5, 6], [0, 2]],
        [[3, 4, 5, 6], [0, 1, 2, 3]],
        [[7], [0]],
      ];
      for (const [shape, axes] of cases) {
        for (const keepDims of [false, true]) {
          const x = randomData(rng, shape);
          const run = () => tf.sum(tf.tensor(x.data, shape), axes, keepDims);
          const [ref] = await runOn('cpu', run);
          const [got] = await runOn('wasm', run);
          await tf.setBackend('wasm');
          const outShape = tf.tidy(() => run().shape);
          await tf.setBackend('cpu');
          const refShape = tf.tidy(() => run().shape);
          expect(outShape, `shape=${shape} axes=${axes}`).toEqual(refShape);
          expect(relError(got, ref), `shape=${shape} axes=${axes} keepDims=${keepDims}`).toBeLessThan(TOL);
        }
      }
    });

    it('Softplus matches cpu elementwise (within 1e-6 relative), NaN and ±Infinity included', async () => {
      const n = 20_003;
      const x = new Float32Array(n);
      for (let i = 0; i < n; i++) x[i] = -100 + (200 * i) / n;
      x.set([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -1e-30, 13.94, -13.94, -87.3, 88]);
      const run = () => tf.softplus(tf.tensor1d(x));
      const [ref] = await runOn('cpu', run);
      const [got] = await runOn('wasm', run);
      for (let i = 0; i < n; i++) {
        if (Number.isNaN(ref[i])) {
          expect(got[i], `x=${x[i]}`).toBeNaN();
          continue;
        }
        // Below the smallest normal float the result may be flushed to 0.
        const tol = Math.max(1e-6 * Math.abs(ref[i]), 1.2e-38);
        expect(Math.abs(got[i] - ref[i]) <= tol || got[i] === ref[i], `x=${x[i]}: ${got[i]} vs ${ref[i]}`).toBe(true);
      }
    });

    it('Add of a bias vector matches cpu exactly (either operand; C = 1, 3, 4, 5, 32; [C] and [1, 1, C])', async () => {
      const rng = new Rng(16);
      for (const c of [1, 3, 4, 5, 32]) {
        for (const [biasShape, biasFirst] of [[[c], false], [[1, 1, c], true]] as Array<[number[], boolean]>) {
          const a = randomData(rng, [3, 7, 5, c]);
          const b = randomData(rng, biasShape);
          const run = () => (biasFirst ? tf.add(tf.tensor(b.data, b.shape), tf.tensor(a.data, a.shape)) : tf.add(tf.tensor(a.data, a.shape), tf.tensor(b.data, b.shape)));
          const [ref] = await runOn('cpu', run);
          const [got] = await runOn('wasm', run);
          expect(relError(got, ref), `c=${c} bias=${biasShape}`).toBe(0);
        }
      }
    });

    it('Multiply, Relu and Step match cpu exactly (NaN, ±0 and ±Infinity included; broadcasts fall back)', async () => {
      const rng = new Rng(17);
      const a = randomData(rng, [3, 40_001]);
      const b = randomData(rng, [3, 40_001]);
      a.data.set([Number.NaN, 0, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-40, -1e-40]);
      const cases: Array<[string, () => tf.Tensor]> = [
        ['mul', () => tf.mul(tf.tensor(a.data, a.shape), tf.tensor(b.data, b.shape))],
        ['mul broadcast', () => tf.mul(tf.tensor(a.data, a.shape), tf.tensor(b.data.subarray(0, 40_001), [40_001]))],
        ['relu', () => tf.relu(tf.tensor(a.data, a.shape))],
        ['step', () => tf.step(tf.tensor(a.data, a.shape))],
        ['step alpha', () => tf.step(tf.tensor(a.data, a.shape), 0.25)],
      ];
      for (const [name, run] of cases) {
        const [ref] = await runOn('cpu', run);
        const [got] = await runOn('wasm', run);
        expect(got.length, name).toBe(ref.length);
        for (let i = 0; i < ref.length; i++) {
          if (!Object.is(got[i], ref[i]) && !(got[i] === 0 && ref[i] === 0)) expect(got[i], `${name} [${i}]`).toBe(ref[i]);
        }
      }
    });
  });
}

describe('wasm Transpose and Identity', () => {
  it('transpose matches cpu for random shapes and permutations (tiled and stock paths, float32 and int32)', async () => {
    const rng = new Rng(14);
    for (let i = 0; i < 30; i++) {
      const rank = 2 + rng.int(4);
      const shape = Array.from({ length: rank }, () => 1 + rng.int(7));
      // Every fourth case has ~150k-300k elements, enough to take the tiled path.
      if (i % 4 === 0) shape[0] = Math.ceil(150_000 / shape.slice(1).reduce((a, b) => a * b, 1)) + rng.int(1000);
      const perm = Array.from(rng.permutation(rank));
      const x = randomData(rng, shape);
      const dtype = i % 5 === 1 ? 'int32' : 'float32';
      const run = () => tf.transpose(tf.tensor(dtype === 'int32' ? Int32Array.from(x.data, (v) => Math.round(v * 100)) : x.data, shape, dtype), perm);
      const [ref] = await runOn('cpu', run);
      const [got] = await runOn('wasm', run);
      expect(relError(got, ref), `shape=${shape} perm=${perm} ${dtype}`).toBe(0);
    }
  });

  it('cast to the same dtype shares memory; other casts convert', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor([1.5, -2.5, 3]);
    const same = tf.cast(x, 'float32');
    const ints = tf.cast(x, 'int32');
    x.dispose();
    expect(Array.from(same.dataSync())).toEqual([1.5, -2.5, 3]);
    expect(Array.from(ints.dataSync())).toEqual([1, -2, 3]);
    tf.dispose([same, ints]);
  });

  it('identity shares memory and survives disposing its source', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor([1, 2, 3]);
    const y = tf.engine().runKernel(tf.Identity, { x }) as tf.Tensor;
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    y.dispose();
  });
});

describe('wasm training kernels', () => {
  it('free every intermediate (live tensors and wasm data do not grow)', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const x = tf.randomNormal([2, 16, 16, 8]) as tf.Tensor4D;
    const w = tf.randomNormal([4, 4, 8, 12]) as tf.Tensor4D;
    const dy = tf.randomNormal([2, 8, 8, 12]) as tf.Tensor4D;
    const a = tf.randomNormal([6, 7]) as tf.Tensor2D;
    const round = () =>
      tf.tidy(() => {
        tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [4, 4, 8, 12] } as unknown as tf.NamedAttrMap);
        tf.conv2dTranspose(dy, w, [2, 16, 16, 8], 2, 'same');
        tf.conv2dTranspose(dy, w, [2, 18, 18, 8], 2, 'valid');
        tf.matMul(a, a, true, false);
        tf.matMul(a, a, false, true);
        tf.sum(dy, [0, 1, 2]);
        tf.transpose(x, [3, 1, 2, 0]);
        tf.engine().runKernel(tf.Identity, { x });
      });
    round();
    const tensors = tf.memory().numTensors;
    const data = backend.numDataIds();
    for (let i = 0; i < 3; i++) round();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(data);
    tf.dispose([x, w, dy, a]);
  });
});
