/**
 * Conv2DBackpropInput for the wasm backend: the input gradient of a conv and the forward pass of a
 * transposed conv (tf.conv2dTranspose). tfjs 4.22's wasm kernel is a 7-deep scalar loop; this one
 * runs on XNNPACK by sub-pixel (phase) decomposition:
 *   dX[n, ih, iw, ci] = Σ dy[n, oh, ow, co] · W[kh, kw, ci, co]  over  ih = s·oh + kh − pt.
 * Output rows of one phase (ih ≡ py mod s) are reached only by taps kh ≡ (py + pt) mod s, so each
 * phase is a stride-1 convolution of dy with a small flipped sub-filter [⌈KH/s⌉, ⌈KW/s⌉, Co, Ci];
 * the s² phase results are interleaved into dX. No multiply touches an inserted zero, unlike the
 * textbook "dilate dy, then convolve" formulation. Stride 1 is one phase: one conv, no interleave.
 * NHWC only; any stride, 'same' / 'valid' / explicit padding and rounding mode.
 */
import * as tf from '@tensorflow/tfjs-core';
import { alloc, f32, free, pairs, runStock, type WasmBackend } from './heap.ts';
import { conv2DBackpropInputDarla, wasmConvKernels } from './darla-conv.ts';

interface BackpropInputAttrs {
  inputShape: [number, number, number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** One axis of a phase: which filter taps it uses and how the stride-1 conv must be padded. */
interface PhaseAxis {
  /** First filter tap of this phase (taps are first, first + s, …). */
  first: number;
  /** Number of taps. */
  taps: number;
  /** Output positions in this phase. */
  count: number;
  /** dy positions dropped from the start / end before convolving (when the padding would be negative). */
  cropStart: number;
  cropEnd: number;
  padStart: number;
  padEnd: number;
}

function phaseAxis(phase: number, stride: number, k: number, padBefore: number, inSize: number, outSize: number): PhaseAxis {
  const first = (((phase + padBefore) % stride) + stride) % stride;
  const taps = first >= k ? 0 : Math.ceil((k - first) / stride);
  const count = Math.max(0, Math.ceil((inSize - phase) / stride));
  // Output m of the phase reads dy[m + a − padStart], a = 0 … taps−1.
  const q = (phase + padBefore - first) / stride;
  const padStartRaw = taps - 1 - q;
  const cropStart = Math.max(0, -padStartRaw);
  const padStart = Math.max(0, padStartRaw);
  const padEndRaw = count - (outSize - cropStart) - padStart + taps - 1;
  const cropEnd = Math.max(0, -padEndRaw);
  const padEnd = Math.max(0, padEndRaw);
  return { first, taps, count, cropStart, cropEnd, padStart, padEnd };
}

export function conv2DBackpropInputWasm(args: { inputs: { dy: tf.TensorInfo; filter: tf.TensorInfo }; backend: WasmBackend; attrs: BackpropInputAttrs }): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs;
  const { inputShape, strides, pad, dataFormat, dimRoundingMode } = attrs;
  if (dataFormat === 'NCHW') throw new Error("wasm Conv2DBackpropInput supports dataFormat 'NHWC' only (as does the wasm Conv2D)");
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const [n, h, w, ci] = inputShape;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, outChannels: co } = info;
  if (dy.shape[0] !== n || dy.shape[1] !== oh || dy.shape[2] !== ow || dy.shape[3] !== co) {
    throw new Error(`Conv2DBackpropInput: dy shape ${dy.shape} does not match the forward output [${n},${oh},${ow},${co}]`);
  }
  if (wasmConvKernels() === 'darla') return conv2DBackpropInputDarla(backend, dy, filter, info);
  const single = sh === 1 && sw === 1;
  const out = single ? undefined : alloc(backend, [n, h, w, ci]);

  for (let py = 0; py < sh; py++) {
    const ay = phaseAxis(py, sh, kh, info.padInfo.top, h, oh);
    for (let px = 0; px < sw; px++) {
      const ax = phaseAxis(px, sw, kw, info.padInfo.left, w, ow);
      if (ay.count === 0 || ax.count === 0) continue;
      if (ay.taps === 0 || ax.taps === 0 || ay.cropStart + ay.cropEnd >= oh || ax.cropStart + ax.cropEnd >= ow) {
        // No tap (or no dy position) reaches this phase: its outputs are zero.
        if (out !== undefined) writePhase(f32(backend, out), undefined, n, h, w, ci, py, px, sh, sw, ay.count, ax.count);
        else return zeros(backend, [n, h, w, ci]);
        continue;
      }
      const sub = phaseFilter(backend, filter, kh, kw, ci, co, sh, sw, ay, ax);
      let src = dy;
      if (ay.cropStart + ay.cropEnd + ax.cropStart + ax.cropEnd > 0) {
        src = runStock(
          'Slice',
          backend,
          { x: dy },
          { begin: [0, ay.cropStart, ax.cropStart, 0], size: [n, oh - ay.cropStart - ay.cropEnd, ow - ax.cropStart - ax.cropEnd, co] },
        );
      }
      const phaseOut = runStock(
        'Conv2D',
        backend,
        { x: src, filter: sub },
        {
          strides: [1, 1],
          pad: [
            [0, 0],
            [ay.padStart, ay.padEnd],
            [ax.padStart, ax.padEnd],
            [0, 0],
          ],
          dataFormat: 'NHWC',
          dilations: [1, 1],
          dimRoundingMode: undefined,
        },
      );
      free(backend, sub);
      if (src !== dy) free(backend, src);
      if (out === undefined) return phaseOut; // stride 1: the single phase is dX
      const outPairs = ci % 2 === 0 ? pairs(backend, out) : undefined;
      const phasePairs = outPairs !== undefined ? pairs(backend, phaseOut) : undefined;
      if (outPairs !== undefined && phasePairs !== undefined) {
        // Two floats per move (even channel counts): half the loop iterations.
        writePhase(outPairs, phasePairs, n, h, w, ci / 2, py, px, sh, sw, ay.count, ax.count);
      } else {
        writePhase(f32(backend, out), f32(backend, phaseOut), n, h, w, ci, py, px, sh, sw, ay.count, ax.count);
      }
      free(backend, phaseOut);
    }
  }
  return out!;
}

/** The flipped sub-filter of one phase: sub[a, b, co, ci] = W[fy + s·(Ty−1−a), fx + s·(Tx−1−b), ci, co]. */
function phaseFilter(
  backend: WasmBackend,
  filter: tf.TensorInfo,
  kh: number,
  kw: number,
  ci: number,
  co: number,
  sh: number,
  sw: number,
  ay: PhaseAxis,
  ax: PhaseAxis,
): tf.TensorInfo {
  const sub = alloc(backend, [ay.taps, ax.taps, co, ci]);
  const wv = f32(backend, filter);
  const sv = f32(backend, sub);
  for (let a = 0; a < ay.taps; a++) {
    const fy = ay.first + sh * (ay.taps - 1 - a);
    for (let b = 0; b < ax.taps; b++) {
      const fx = ax.first + sw * (ax.taps - 1 - b);
      const wBase = (fy * kw + fx) * ci * co;
      const sBase = (a * ax.taps + b) * co * ci;
      for (let o = 0; o < co; o++) {
        const sRow = sBase + o * ci;
        for (let i = 0; i < ci; i++) sv[sRow + i] = wv[wBase + i * co + o];
      }
    }
  }
  return sub;
}

/**
 * Scatters one phase's [N, My, Mx, Ci] result (or zeros) into dX [N, H, W, Ci] at rows py + s·m.
 * Works on float32 elements, or on float64 views with `ci` counted in pairs of floats.
 */
function writePhase(
  dst: Float32Array | Float64Array,
  src: Float32Array | Float64Array | undefined,
  n: number,
  h: number,
  w: number,
  ci: number,
  py: number,
  px: number,
  sh: number,
  sw: number,
  my: number,
  mx: number,
): void {
  const step = sw * ci;
  for (let b = 0; b < n; b++) {
    for (let m = 0; m < my; m++) {
      let o = ((b * h + py + sh * m) * w + px) * ci;
      let i = (b * my + m) * mx * ci;
      if (src === undefined) {
        for (let x = 0; x < mx; x++, o += step) dst.fill(0, o, o + ci);
        continue;
      }
      for (let x = 0; x < mx; x++, o += step, i += ci) {
        for (let c = 0; c < ci; c++) dst[o + c] = src[i + c];
      }
    }
  }
}

function zeros(backend: WasmBackend, shape: number[]): tf.TensorInfo {
  const out = alloc(backend, shape);
  f32(backend, out).fill(0);
  return out;
}
