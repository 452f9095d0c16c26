/**
 * Sum over leading or middle axes for the wasm backend. tfjs 4.22's wasm Sum only reduces innermost
 * axes, so it first transposes the reduced axes to the end: summing a conv's dy over [N, H, W] (every
 * bias gradient) moves the whole activation. Here a reduction over a contiguous block of axes is a
 * walk over [outer, reduced, inner] rows, accumulated in float64 (more accurate than the stock
 * float32 running sum): in the darla wasm kernels (kernels.c sum_rows, SIMD), or in JS with
 * DARLA_WASM_KERNELS=xnnpack. Other patterns (and non-float32 data) keep the stock kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { alloc, f32, runStock, type WasmBackend } from './heap.ts';
import { wasmConvKernels } from './darla-conv.ts';
import { nativeKernels } from './native.ts';

interface SumAttrs {
  axis: number | number[];
  keepDims: boolean;
}

/** [outer, reduced, inner] sizes when `axes` are one contiguous block not at the end; else null. */
export function blockReduction(shape: readonly number[], axes: readonly number[]): [number, number, number] | null {
  const sorted = [...new Set(axes)].sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (last - first + 1 !== sorted.length || last === shape.length - 1) return null;
  const size = (from: number, to: number) => shape.slice(from, to).reduce((a, b) => a * b, 1);
  return [size(0, first), size(first, last + 1), size(last + 1, shape.length)];
}

export function sumWasm(args: { inputs: { x: tf.TensorInfo }; backend: WasmBackend; attrs: SumAttrs }): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  const axes = tf.util.parseAxisParam(attrs.axis, x.shape);
  const block = x.dtype === 'float32' ? blockReduction(x.shape, axes) : null;
  if (block === null) return runStock('Sum', backend, { x }, attrs as unknown as Record<string, unknown>);
  const [outer, reduced, inner] = block;
  const outShape = attrs.keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
  const out = alloc(backend, outShape);
  if (wasmConvKernels() === 'darla') {
    const offset = (info: tf.TensorInfo) => backend.dataIdMap.get(info.dataId).memoryOffset as number;
    nativeKernels(backend).sumRows(offset(x), offset(out), outer, reduced, inner);
    return out;
  }
  const src = f32(backend, x);
  const dst = f32(backend, out);
  if (inner <= 4) {
    sumNarrow(src, dst, outer, reduced, inner);
    return out;
  }
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    let s = o * reduced * inner;
    let r = 0;
    // Four rows per pass: a quarter of the accumulator traffic.
    for (; r + 4 <= reduced; r += 4, s += 4 * inner) {
      const s1 = s + inner;
      const s2 = s1 + inner;
      const s3 = s2 + inner;
      for (let i = 0; i < inner; i++) acc[i] += src[s + i] + src[s1 + i] + (src[s2 + i] + src[s3 + i]);
    }
    for (; r < reduced; r++, s += inner) {
      for (let i = 0; i < inner; i++) acc[i] += src[s + i];
    }
    const d = o * inner;
    for (let i = 0; i < inner; i++) dst[d + i] = acc[i];
  }
  return out;
}

/** The same reduction for rows of 1–4 values (e.g. an RGB bias), with the sums in locals. */
function sumNarrow(src: Float32Array, dst: Float32Array, outer: number, reduced: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    const end = (o + 1) * reduced * inner;
    for (let s = o * reduced * inner; s < end; s += inner) {
      a0 += src[s];
      if (inner > 1) a1 += src[s + 1];
      if (inner > 2) a2 += src[s + 2];
      if (inner > 3) a3 += src[s + 3];
    }
    const d = o * inner;
    dst[d] = a0;
    if (inner > 1) dst[d + 1] = a1;
    if (inner > 2) dst[d + 2] = a2;
    if (inner > 3) dst[d + 3] = a3;
  }
}
