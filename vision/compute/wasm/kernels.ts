/**
 * Registers the project's wasm training kernels over tfjs-backend-wasm 4.22's missing or slow ones.
 * Each replacement is composed from the backend's fast (XNNPACK-backed) kernels and checked against
 * the `cpu` backend in test/vision/compute. The stock implementation stays reachable (heap.ts
 * `runStock`) for the cases a replacement does not cover.
 */
import * as tf from '@tensorflow/tfjs-core';
import { rememberStockKernel, type WasmBackend } from './heap.ts';
import { setWasmConvKernels, type WasmConvKernels } from './darla-conv.ts';
import { nativeKernels, setNativeThreads } from './native.ts';
import { conv2DWasm } from './conv2d.ts';
import { conv2DBackpropFilterWasm } from './conv2d-backprop-filter.ts';
import { conv2DBackpropInputWasm } from './conv2d-backprop-input.ts';
import { batchMatMulWasm } from './batch-matmul.ts';
import { identityWasm } from './identity.ts';
import { sumWasm } from './sum.ts';
import { addWasm, castWasm, multiplyWasm, reluWasm, softplusWasm, stepWasm } from './elementwise.ts';
import { transposeKernel } from './transpose.ts';

/** The kernels we supply, and the implementation of each. */
const KERNELS: ReadonlyArray<[string, (args: never) => tf.TensorInfo]> = [
  [tf.Conv2D, conv2DWasm],
  [tf.Conv2DBackpropFilter, conv2DBackpropFilterWasm],
  [tf.Conv2DBackpropInput, conv2DBackpropInputWasm],
  [tf.BatchMatMul, batchMatMulWasm],
  [tf.Identity, identityWasm],
  [tf.Sum, sumWasm],
  [tf.Softplus, softplusWasm],
  [tf.Cast, castWasm],
  [tf.Add, addWasm],
  [tf.Multiply, multiplyWasm],
  [tf.Relu, reluWasm],
  [tf.Step, stepWasm],
  [tf.Transpose, transposeKernel],
];

let registered = false;

/**
 * Replaces (or adds) our training kernels on the 'wasm' backend. Idempotent. Call it after the wasm
 * backend is initialised; the stock kernels it replaces are remembered first so ours can fall back.
 * `conv` chooses the convolution kernels (default 'darla', whose wasm module attaches to the
 * backend's memory here, so a failure shows now rather than mid-training); `threads` sizes their
 * pool (default: tfjs's thread count). Returns the kernel names now served by this module.
 */
export function registerWasmTrainingKernels(opts: { conv?: WasmConvKernels; threads?: number } = {}): string[] {
  const names = KERNELS.map(([name]) => name);
  const conv = opts.conv ?? 'darla';
  setWasmConvKernels(conv);
  if (opts.threads !== undefined) setNativeThreads(opts.threads);
  if (conv === 'darla') {
    const backend = tf.findBackend('wasm') as unknown as WasmBackend | null;
    if (backend !== null) nativeKernels(backend);
  }
  if (registered) return names;
  for (const [name, kernelFunc] of KERNELS) {
    const stock = rememberStockKernel(name);
    if (stock !== undefined) tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
  registered = true;
  return names;
}
