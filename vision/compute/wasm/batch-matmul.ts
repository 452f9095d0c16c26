/**
 * BatchMatMul for the wasm backend with transposed operands. tfjs 4.22 runs a matmul on XNNPACK only
 * when neither operand is transposed and both batch sizes are 1; otherwise a scalar loop runs (40×
 * slower for a dense layer's gradients, which are exactly matMul(dy, W, false, true) and
 * matMul(x, dy, true, false)). Here a transposed operand is transposed explicitly first (cheap next
 * to the product) and the XNNPACK path does the product. Batched products (batch > 1) keep the stock
 * kernel: no model in this project uses them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { free, reshape, runStock, type WasmBackend } from './heap.ts';
import { transposeWasm } from './transpose.ts';

interface BatchMatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

export function batchMatMulWasm(args: { inputs: { a: tf.TensorInfo; b: tf.TensorInfo }; backend: WasmBackend; attrs: BatchMatMulAttrs }): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { a, b } = inputs;
  const { transposeA, transposeB } = attrs;
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  if ((!transposeA && !transposeB) || batchA !== 1 || batchB !== 1 || a.dtype !== 'float32' || b.dtype !== 'float32') {
    return runStock('BatchMatMul', backend, { a, b }, { transposeA, transposeB });
  }
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const outShape = [...tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)), transposeA ? ac : ar, transposeB ? br : bc];
  const a2 = reshape(backend, a, [ar, ac]);
  const b2 = reshape(backend, b, [br, bc]);
  const aT = transposeA ? transposeWasm(backend, a2, [1, 0]) : a2;
  const bT = transposeB ? transposeWasm(backend, b2, [1, 0]) : b2;
  if (aT.shape[1] !== bT.shape[0]) {
    free(backend, a2, b2, aT !== a2 ? aT : undefined, bT !== b2 ? bT : undefined);
    throw new Error(`matMul: inner shapes ${aT.shape[1]} and ${bT.shape[0]} of tensors ${a.shape} and ${b.shape} (transposeA=${transposeA}, transposeB=${transposeB}) must match`);
  }
  const prod = runStock('BatchMatMul', backend, { a: aT, b: bT }, { transposeA: false, transposeB: false });
  if (aT !== a2) free(backend, aT);
  if (bT !== b2) free(backend, bT);
  free(backend, a2, b2);
  const out = reshape(backend, prod, outShape);
  free(backend, prod);
  return out;
}
