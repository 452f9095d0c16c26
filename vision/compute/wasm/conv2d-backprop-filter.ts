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
 */
import * as tf from '@tensorflow/tfjs-core';
import { free, runStock, type WasmBackend } from './heap.ts';
import { transposeWasm } from './transpose.ts';

interface BackpropFilterAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
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
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  // Padding after the last input row/column so that the dilated "filter" (dy) yields exactly KH×KW.
  const bottom = (oh - 1) * sh + kh - top - h;
  const right = (ow - 1) * sw + kw - left - w;

  // x: [N, H, W, Ci] → [Ci, H, W, N] (the batch becomes the contraction channel).
  let xt = transposeWasm(backend, x, [3, 1, 2, 0]);
  if (bottom < 0 || right < 0) {
    const cropped = runStock('Slice', backend, { x: xt }, { begin: [0, 0, 0, 0], size: [ci, h + Math.min(bottom, 0), w + Math.min(right, 0), n] });
    free(backend, xt);
    xt = cropped;
  }
  // dy: [N, OH, OW, Co] → [OH, OW, N, Co], a filter with one tap per output position.
  const dyt = transposeWasm(backend, dy, [1, 2, 0, 3]);
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
