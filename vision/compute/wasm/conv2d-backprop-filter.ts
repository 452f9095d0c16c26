/**
 * Conv2DBackpropFilter for the wasm backend (tfjs 4.22's wasm backend has none, so training any conv
 * net on it fails). The filter gradient
 *   dW[kh, kw, ci, co] = Σ_{n, oh, ow} x[n, s·oh + kh − pt, s·ow + kw − pl, ci] · dy[n, oh, ow, co]
 * is itself one convolution, run by XNNPACK: take the input channels as the batch and the batch as
 * the channels (x → [Ci, H, W, N]), use dy as a filter whose taps are the output positions
 * (dy → [OH, OW, N, Co]), convolve with stride 1 and dilation s (the forward stride), and the
 * output [Ci, KH, KW, Co] is dW with its first axis moved. Rows/columns the forward pass never read
 * (negative bottom/right padding) are cropped first. NHWC only, like every wasm conv kernel;
 * any stride, 'same' / 'valid' / explicit padding and rounding mode.
 *
 * The "filter" here is as large as dy and new at every call, so building the XNNPACK operator
 * (tfjs transposes the filter to [Co, K], XNNPACK packs it) costs as much as the convolution. That
 * transpose hits cache-set aliasing whenever K = OH·OW·N is a multiple of 1024 (always, for
 * power-of-two images and batches): 12–18 ns per weight instead of ~3.5. So when K is such a
 * multiple, dy's filter gets one extra row and column of zero taps (the conv pads x by one more
 * stride to match), which moves K off the bad stride and changes no output.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackpropFilterAttrs } from '../kernel-attrs.ts';
import { alloc, f32, free, pairs, runStock, type WasmBackend } from './heap.ts';
import { transposeWasm } from './transpose.ts';
import { conv2DBackpropFilterDarla, wasmConvKernels } from './darla-conv.ts';

/** Extra zero taps (per spatial axis) that keep the filter's K = taps·N off multiples of 1024. */
export function aliasPadding(oh: number, ow: number, n: number): number {
  let extra = 0;
  while (((oh + extra) * (ow + extra) * n) % 1024 === 0 && extra < 8) extra++;
  return extra;
}

/**
 * dy [N, OH, OW, Co] → filter [OH+e, OW+e, N, Co] (e extra taps of zeros at the end of each axis).
 * Copies contiguous rows of Co floats; rows of the extra taps are zero-filled.
 */
function dyAsFilter(backend: WasmBackend, dy: tf.TensorInfo, extra: number): tf.TensorInfo {
  const [n, oh, ow] = dy.shape;
  let co = dy.shape[3];
  const fh = oh + extra;
  const fw = ow + extra;
  const out = alloc(backend, [fh, fw, n, co]);
  // Two floats per move when the rows have an even length (and the memory is 8-byte aligned).
  const srcPairs = co % 2 === 0 ? pairs(backend, dy) : undefined;
  const dstPairs = srcPairs !== undefined ? pairs(backend, out) : undefined;
  const half = srcPairs !== undefined && dstPairs !== undefined;
  const src: Float32Array | Float64Array = half ? srcPairs! : f32(backend, dy);
  const dst: Float32Array | Float64Array = half ? dstPairs! : f32(backend, out);
  if (half) co /= 2;
  const rowStride = oh * ow * co;
  let d = 0;
  for (let y = 0; y < fh; y++) {
    for (let x = 0; x < fw; x++) {
      if (y >= oh || x >= ow) {
        dst.fill(0, d, d + n * co);
        d += n * co;
        continue;
      }
      let s = (y * ow + x) * co;
      for (let b = 0; b < n; b++, s += rowStride, d += co) {
        for (let c = 0; c < co; c++) dst[d + c] = src[s + c];
      }
    }
  }
  return out;
}


export function conv2DBackpropFilterWasm(args: { inputs: { x: tf.TensorInfo; dy: tf.TensorInfo }; backend: WasmBackend; attrs: BackpropFilterAttrs }): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  if (dataFormat === 'NCHW') throw new Error("wasm Conv2DBackpropFilter supports dataFormat 'NHWC' only (as does the wasm Conv2D)");
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const [n, h, w, ci] = x.shape;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, outChannels: co } = info;
  if (dy.shape[1] !== oh || dy.shape[2] !== ow || dy.shape[3] !== co || dy.shape[0] !== n) {
    throw new Error(`Conv2DBackpropFilter: dy shape ${dy.shape} does not match the forward output [${n},${oh},${ow},${co}]`);
  }
  if (wasmConvKernels() === 'darla') return conv2DBackpropFilterDarla(backend, x, dy, info);
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const extra = aliasPadding(oh, ow, n);
  // Padding after the last input row/column so that the dilated "filter" (dy, plus `extra` zero
  // taps) yields exactly KH×KW outputs.
  const bottom = (oh + extra - 1) * sh + kh - top - h;
  const right = (ow + extra - 1) * sw + kw - left - w;

  // x: [N, H, W, Ci] → [Ci, H, W, N] (the batch becomes the contraction channel).
  let xt = transposeWasm(backend, x, [3, 1, 2, 0]);
  if (bottom < 0 || right < 0) {
    const cropped = runStock('Slice', backend, { x: xt }, { begin: [0, 0, 0, 0], size: [ci, h + Math.min(bottom, 0), w + Math.min(right, 0), n] });
    free(backend, xt);
    xt = cropped;
  }
  // dy: [N, OH, OW, Co] → [OH(+e), OW(+e), N, Co], a filter with one tap per output position.
  const dyt = dyAsFilter(backend, dy, extra);
  const convOut = runStock(
    'Conv2D',
    backend,
    { x: xt, filter: dyt },
    {
      strides: [1, 1],
      pad: [
        [0, 0],
        [top, Math.max(bottom, 0)],
        [left, Math.max(right, 0)],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dilations: [sh, sw],
      dimRoundingMode: undefined,
    },
  );
  free(backend, xt, dyt);
  // [Ci, KH, KW, Co] → [KH, KW, Ci, Co].
  const dw = transposeWasm(backend, convOut, [1, 2, 0, 3]);
  free(backend, convOut);
  return dw;
}
