/**
 * BatchMatMul for the wasm backend. tfjs 4.22 runs a matmul on XNNPACK only when neither operand is
 * transposed and both batch sizes are 1; otherwise a scalar loop runs (40× slower for a dense
 * layer's gradients, which are exactly matMul(dy, W, false, true) and matMul(x, dy, true, false)).
 * And XNNPACK's fully-connected operator packs b when it is created, at every call here since b
 * (weights, gradients) is new every step. With the darla kernels (darla-conv.ts) every unbatched
 * float32 product runs on the project's GEMM, which takes b at run time in either layout; with
 * DARLA_WASM_KERNELS=xnnpack a transposed operand is transposed explicitly first and XNNPACK does the
 * product. Batched products (batch > 1) keep the stock kernel: no model in this project uses them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { free, reshape, runStock, type WasmBackend } from './heap.ts';
import { transposeWasm } from './transpose.ts';
import { matMulDarla, wasmConvKernels } from './darla-conv.ts';

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
  const darla = wasmConvKernels() === 'darla';
  if ((!darla && !transposeA && !transposeB) || batchA !== 1 || batchB !== 1 || a.dtype !== 'float32' || b.dtype !== 'float32') {
    return runStock('BatchMatMul', backend, { a, b }, { transposeA, transposeB });
  }
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const outShape = [...tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)), transposeA ? ac : ar, transposeB ? br : bc];
  if ((transposeA ? ar : ac) !== (transposeB ? bc : br)) {
    throw new Error(`matMul: inner shapes ${transposeA ? ar : ac} and ${transposeB ? bc : br} of tensors ${a.shape} and ${b.shape} (transposeA=${transposeA}, transposeB=${transposeB}) must match`);
  }
  const a2 = reshape(backend, a, [ar, ac]);
  const b2 = reshape(backend, b, [br, bc]);
  if (darla) {
    const prod = matMulDarla(backend, a2, b2, transposeA, transposeB);
    free(backend, a2, b2);
    const out = reshape(backend, prod, outShape);
    free(backend, prod);
    return out;
  }
  const aT = transposeA ? transposeWasm(backend, a2, [1, 0]) : a2;
  const bT = transposeB ? transposeWasm(backend, b2, [1, 0]) : b2;
  const prod = runStock('BatchMatMul', backend, { a: aT, b: bT }, { transposeA: false, transposeB: false });
  if (aT !== a2) free(backend, aT);
  if (bT !== b2) free(backend, bT);
  free(backend, a2, b2);
  const out = reshape(backend, prod, outShape);
  free(backend, prod);
  return out;
}
