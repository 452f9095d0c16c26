/**
 * Conv2D for the wasm backend. tfjs 4.22's kernel runs XNNPACK, whose convolution operator packs the
 * filter when it is created; tfjs caches operators by filter tensor, and a training step's filter is
 * a new tensor every step, so every forward (and every transposed conv's input gradient) rebuilt
 * its operator. The project's kernel (darla-conv.ts) takes the filter at run time. NCHW input, or
 * DARLA_WASM_KERNELS=xnnpack, keeps the stock kernel.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { runStock, type WasmBackend } from './heap.ts';
import { conv2DDarla, wasmConvKernels, type Conv2DAttrs } from './darla-conv.ts';

export function conv2DWasm(args: { inputs: { x: tf.TensorInfo; filter: tf.TensorInfo }; backend: WasmBackend; attrs: Conv2DAttrs }): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, filter } = inputs;
  if (wasmConvKernels() !== 'darla' || attrs.dataFormat === 'NCHW' || x.dtype !== 'float32' || filter.dtype !== 'float32') {
    return runStock('Conv2D', backend, { x, filter }, attrs as unknown as Record<string, unknown>);
  }
  return conv2DDarla(backend, x, filter, attrs);
}
