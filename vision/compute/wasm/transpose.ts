/**
 * Transposes inside the wasm heap for our training kernels (also registered as the wasm Transpose
 * kernel). tfjs 4.22's wasm Transpose walks the output one element at a time without cache blocking:
 * when the innermost axis moves on a large tensor (the dW kernel's [N,H,W,C] → [C,H,W,N]) every read
 * misses the cache. The tiled path here first reduces the permutation (size-1 axes dropped, axes that
 * stay neighbours merged), then:
 *   - if the innermost axis stays innermost, whole contiguous rows are copied;
 *   - otherwise the input's innermost axis and the output's innermost axis are transposed in 8×8
 *     tiles (both the reads and the writes touch 8 consecutive floats), for every index of the
 *     remaining axes.
 * Pure functions over Float32Array/Int32Array views; float32 and int32 only (others: stock kernel).
 */
import * as tf from '@tensorflow/tfjs-core';
import { typedView, runStock, type WasmBackend } from './heap.ts';

type Arr = Float32Array | Int32Array;

/** Drops size-1 axes and merges axes that remain adjacent and in order; returns the reduced problem. */
export function reducePermutation(shape: readonly number[], perm: readonly number[]): { shape: number[]; perm: number[] } {
  // Keep axes of size > 1.
  const keep = shape.map((d, i) => (d > 1 ? i : -1)).filter((i) => i >= 0);
  const rank = new Map(keep.map((axis, i) => [axis, i]));
  let s = keep.map((i) => shape[i]);
  let p = perm.filter((a) => shape[a] > 1).map((a) => rank.get(a)!);
  // Merge runs: output axes j, j+1 that are input axes a, a+1.
  let merged = true;
  while (merged && p.length > 1) {
    merged = false;
    for (let j = 0; j + 1 < p.length; j++) {
      const a = p[j];
      if (p[j + 1] === a + 1) {
        const ns = [...s.slice(0, a), s[a] * s[a + 1], ...s.slice(a + 2)];
        const np = [...p.slice(0, j + 1), ...p.slice(j + 2)].map((x) => (x > a ? x - 1 : x));
        s = ns;
        p = np;
        merged = true;
        break;
      }
    }
  }
  return { shape: s, perm: p };
}

function stridesOf(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= shape[i];
  }
  return st;
}

/** out = x transposed by perm (x has `shape`); `out` must not overlap `x`. */
export function transposeInto(x: Arr, shape: readonly number[], perm: readonly number[], out: Arr): void {
  const { shape: s, perm: p } = reducePermutation(shape, perm);
  const r = s.length;
  if (r <= 1) {
    out.set(x.subarray(0, out.length));
    return;
  }
  const inStrides = stridesOf(s);
  const outShape = p.map((a) => s[a]);
  const outStrides = stridesOf(outShape);
  // inStep[j]: input stride of output axis j.
  const inStep = p.map((a) => inStrides[a]);
  if (p[r - 1] === r - 1) {
    copyRows(x, out, outShape, inStep, s[r - 1]);
    return;
  }
  // Tile axes: input-innermost axis (output axis ja) and output-innermost axis (input axis p[r-1]).
  const ja = p.indexOf(r - 1);
  const jb = r - 1;
  tiles(x, out, outShape, outStrides, inStep, ja, jb);
}

/** Copies contiguous rows of `row` floats; outer output axes 0..r-2 walked as an odometer. */
function copyRows(x: Arr, out: Arr, outShape: number[], inStep: number[], row: number): void {
  const r = outShape.length - 1;
  const idx = new Array<number>(r).fill(0);
  const total = out.length / row;
  let src = 0;
  let dst = 0;
  for (let k = 0; k < total; k++) {
    if (row >= 16) out.set(x.subarray(src, src + row), dst);
    else for (let c = 0; c < row; c++) out[dst + c] = x[src + c];
    dst += row;
    // Advance the odometer over output axes r-1 … 0.
    for (let j = r - 1; j >= 0; j--) {
      idx[j]++;
      src += inStep[j];
      if (idx[j] < outShape[j]) break;
      src -= inStep[j] * outShape[j];
      idx[j] = 0;
    }
  }
}

const T = 8;

/**
 * Tiled transpose of output axes ja (its input stride is 1) and jb (the output's innermost, stride 1),
 * repeated for every index of the other output axes.
 */
function tiles(x: Arr, out: Arr, outShape: number[], outStrides: number[], inStep: number[], ja: number, jb: number): void {
  const A = outShape[ja];
  const B = outShape[jb];
  const outA = outStrides[ja];
  const inB = inStep[jb];
  const others: number[] = [];
  for (let j = 0; j < outShape.length; j++) if (j !== ja && j !== jb) others.push(j);
  const idx = new Array<number>(others.length).fill(0);
  const count = others.reduce((acc, j) => acc * outShape[j], 1);
  let src0 = 0;
  let dst0 = 0;
  for (let k = 0; k < count; k++) {
    for (let a0 = 0; a0 < A; a0 += T) {
      const aEnd = Math.min(a0 + T, A);
      for (let b0 = 0; b0 < B; b0 += T) {
        const bEnd = Math.min(b0 + T, B);
        for (let a = a0; a < aEnd; a++) {
          let d = dst0 + a * outA + b0;
          let s = src0 + a + b0 * inB;
          for (let b = b0; b < bEnd; b++, d++, s += inB) out[d] = x[s];
        }
      }
    }
    for (let t = others.length - 1; t >= 0; t--) {
      const j = others[t];
      idx[t]++;
      src0 += inStep[j];
      dst0 += outStrides[j];
      if (idx[t] < outShape[j]) break;
      src0 -= inStep[j] * outShape[j];
      dst0 -= outStrides[j] * outShape[j];
      idx[t] = 0;
    }
  }
}

/**
 * Below this many elements, or when the innermost axis stays innermost, tfjs's C++ loops are faster
 * (everything is in cache, or they copy contiguous runs); the tiled JS path wins on large tensors
 * whose innermost axis moves (2–3× on the dW kernel's [N,H,W,C] → [C,H,W,N]).
 */
const TILED_MIN_ELEMENTS = 131072;

/** Whether the tiled path beats the stock kernel for this transpose (see TILED_MIN_ELEMENTS). */
export function preferTiled(shape: readonly number[], perm: readonly number[]): boolean {
  if (tf.util.sizeFromShape(shape as number[]) < TILED_MIN_ELEMENTS) return false;
  const r = reducePermutation(shape, perm);
  return r.perm.length > 1 && r.perm[r.perm.length - 1] !== r.perm.length - 1;
}

/** x permuted by `perm`, as a new wasm tensor (free it when done). */
export function transposeWasm(backend: WasmBackend, x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
  if ((x.dtype !== 'float32' && x.dtype !== 'int32') || !preferTiled(x.shape, perm)) return runStock('Transpose', backend, { x }, { perm });
  const outShape = perm.map((a) => x.shape[a]);
  const out = backend.makeOutput(outShape, x.dtype);
  transposeInto(typedView(backend, x), x.shape, perm, typedView(backend, out));
  return out;
}

/** The Transpose kernel for the wasm backend. */
export function transposeKernel(args: { inputs: { x: tf.TensorInfo }; backend: WasmBackend; attrs: { perm: number[] } }): tf.TensorInfo {
  return transposeWasm(args.backend, args.inputs.x, args.attrs.perm);
}

