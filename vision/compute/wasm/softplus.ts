/**
 * Softplus for the wasm backend: tfjs 4.22's kernel costs ~15 ns an element (a scalar libm exp and
 * log each), and the Bernoulli likelihood takes it over every pixel of every reconstruction. The
 * darla kernel (kernels.c softplus) evaluates eˣ and log with SIMD polynomials, with the cpu
 * backend's cut-offs (within 3·10⁻⁷ relative of it). DARLA_WASM_KERNELS=xnnpack keeps the stock one.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { alloc, runStock, type WasmBackend } from './heap.ts';
import { wasmConvKernels } from './darla-conv.ts';
import { nativeKernels } from './native.ts';

export function softplusWasm(args: { inputs: { x: tf.TensorInfo }; backend: WasmBackend }): tf.TensorInfo {
  const { inputs, backend } = args;
  const { x } = inputs;
  if (wasmConvKernels() !== 'darla' || x.dtype !== 'float32') return runStock('Softplus', backend, { x });
  const out = alloc(backend, [...x.shape]);
  const offset = (info: tf.TensorInfo) => backend.dataIdMap.get(info.dataId).memoryOffset as number;
  const n = x.shape.reduce((a, b) => a * b, 1);
  if (n > 0) nativeKernels(backend).softplus(offset(x), offset(out), n);
  return out;
}
