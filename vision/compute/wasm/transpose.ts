/**
 * Transposes inside the wasm heap for our training kernels (a placeholder that calls the stock kernel;
 * see the module notes once a faster formulation lands).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { runStock, type WasmBackend } from './heap.ts';

/** x permuted by `perm`, as a new wasm tensor (free it when done). */
export function transposeWasm(backend: WasmBackend, x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
  return runStock('Transpose', backend, { x }, { perm });
}
