/**
 * Elementwise kernels for the wasm backend where tfjs 4.22's cost more than the work:
 *   Cast   to the same dtype shares the input's memory (the stock kernel copies; every ReLU gradient
 *          casts its float32 step mask to float32)
 *   Add    of a bias vector to every position ([..., C] + [C]): the stock kernel's general broadcast
 *          loop takes ~4 ns an element for C = 3 (the decoder's RGB output); the darla kernel adds
 *          whole vectors of the repeated bias (the same float32 sums)
 * Every other case runs the stock kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { alloc, runStock, type WasmBackend } from './heap.ts';
import { wasmConvKernels } from './darla-conv.ts';
import { nativeKernels } from './native.ts';

export function castWasm(args: { inputs: { x: tf.TensorInfo }; backend: WasmBackend; attrs: { dtype: tf.DataType } }): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  if (x.dtype !== attrs.dtype || x.dtype === 'string') return runStock('Cast', backend, { x }, { dtype: attrs.dtype });
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

/** The length C when `b` is a vector along `a`'s last axis ([C] or [1, …, 1, C]), else 0. */
function biasLength(a: tf.TensorInfo, b: tf.TensorInfo): number {
  const c = b.shape[b.shape.length - 1];
  if (b.shape.length === 0 || a.shape.length < b.shape.length || a.shape[a.shape.length - 1] !== c) return 0;
  if (b.shape.slice(0, -1).some((d) => d !== 1)) return 0;
  return c;
}

export function addWasm(args: { inputs: { a: tf.TensorInfo; b: tf.TensorInfo }; backend: WasmBackend }): tf.TensorInfo {
  const { inputs, backend } = args;
  const { a, b } = inputs;
  if (wasmConvKernels() === 'darla' && a.dtype === 'float32' && b.dtype === 'float32') {
    // Addition commutes bit for bit, so the bias may be either operand.
    const [big, bias] = biasLength(a, b) > 0 ? [a, b] : biasLength(b, a) > 0 ? [b, a] : [undefined, undefined];
    const n = big === undefined ? 0 : tf.util.sizeFromShape(big.shape);
    const c = big === undefined ? 0 : biasLength(big, bias!);
    if (big !== undefined && c > 0 && n > c && bias !== undefined) {
      const out = alloc(backend, [...tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape)]);
      const offset = (info: tf.TensorInfo) => backend.dataIdMap.get(info.dataId).memoryOffset as number;
      nativeKernels(backend).addBias(offset(big), offset(bias), offset(out), n, c);
      return out;
    }
  }
  return runStock('Add', backend, { a, b });
}
