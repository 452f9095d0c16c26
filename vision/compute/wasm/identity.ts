/**
 * Identity for the wasm backend without a copy. tfjs's engine clones every tensor it saves for the
 * backward pass through the Identity kernel (~100 per β-VAE step); the stock wasm kernel copies the
 * data each time. Tensors are immutable, so — as the cpu backend does — the clone can share the
 * input's memory and take a reference on it.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { runStock, type WasmBackend } from './heap.ts';

export function identityWasm(args: { inputs: { x: tf.TensorInfo }; backend: WasmBackend }): tf.TensorInfo {
  const { inputs, backend } = args;
  const { x } = inputs;
  if (x.dtype === 'string') return runStock('Identity', backend, { x });
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}
