/**
 * Elementwise kernels for the wasm backend where tfjs 4.22's cost more than the work, or run on one
 * thread (with the darla kernels XNNPACK keeps one thread; these split their tiles over the darla
 * pool):
 *   Cast      to the same dtype shares the input's memory (the stock kernel copies; every ReLU
 *             gradient casts its float32 step mask to float32)
 *   Add       of a bias vector to every position ([..., C] + [C]): the stock kernel's general
 *             broadcast loop takes ~4 ns an element for C = 3 (the decoder's RGB output); here whole
 *             vectors of the repeated bias are added (the same float32 sums)
 *   Multiply  of two float32 tensors of one shape
 *   Relu, Step (ReLU and its gradient's mask), with the cpu backend's NaN handling
 *   Softplus  tfjs's costs ~15 ns an element (a scalar libm exp and log each), and the Bernoulli
 *             likelihood takes it over every pixel of every reconstruction: SIMD polynomials for exp
 *             and log with the cpu backend's cut-offs (within 3·10⁻⁷ relative of it; kernels.c)
 * Every other case, and DARLA_WASM_KERNELS=xnnpack (except Cast), runs the stock kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { alloc, runStock, type WasmBackend } from './heap.ts';
import { wasmConvKernels } from './darla-conv.ts';
import { EW, nativeKernels } from './native.ts';

function offset(backend: WasmBackend, info: tf.TensorInfo): number {
  return backend.dataIdMap.get(info.dataId).memoryOffset as number;
}

function darla(...infos: tf.TensorInfo[]): boolean {
  return wasmConvKernels() === 'darla' && infos.every((i) => i.dtype === 'float32');
}

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
  if (darla(a, b)) {
    // Addition commutes bit for bit, so the bias may be either operand.
    const [big, bias] = biasLength(a, b) > 0 ? [a, b] : biasLength(b, a) > 0 ? [b, a] : [undefined, undefined];
    if (big !== undefined && bias !== undefined) {
      const n = tf.util.sizeFromShape(big.shape);
      const c = biasLength(big, bias);
      if (n > c) {
        const out = alloc(backend, [...tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape)]);
        nativeKernels(backend).elementwise(EW.addBias, n, offset(backend, big), offset(backend, bias), offset(backend, out), { c });
        return out;
      }
    }
  }
  return runStock('Add', backend, { a, b });
}

export function multiplyWasm(args: { inputs: { a: tf.TensorInfo; b: tf.TensorInfo }; backend: WasmBackend }): tf.TensorInfo {
  const { inputs, backend } = args;
  const { a, b } = inputs;
  if (darla(a, b) && tf.util.arraysEqual(a.shape, b.shape) && a.shape.length > 0) {
    const out = alloc(backend, [...a.shape]);
    const n = tf.util.sizeFromShape(a.shape);
    if (n > 0) nativeKernels(backend).elementwise(EW.mul, n, offset(backend, a), offset(backend, b), offset(backend, out));
    return out;
  }
  return runStock('Multiply', backend, { a, b });
}

function unary(name: string, op: (typeof EW)[keyof typeof EW], alpha?: number) {
  return (args: { inputs: { x: tf.TensorInfo }; backend: WasmBackend; attrs?: Record<string, unknown> }): tf.TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs;
    if (!darla(x)) return runStock(name, backend, { x }, attrs ?? {});
    const out = alloc(backend, [...x.shape]);
    const n = tf.util.sizeFromShape(x.shape);
    const a = alpha ?? (attrs?.alpha as number | undefined) ?? 0;
    if (n > 0) nativeKernels(backend).elementwise(op, n, offset(backend, x), 0, offset(backend, out), { alpha: a });
    return out;
  };
}

export const softplusWasm = unary('Softplus', EW.softplus);
export const reluWasm = unary('Relu', EW.relu);
export const stepWasm = unary('Step', EW.step);
