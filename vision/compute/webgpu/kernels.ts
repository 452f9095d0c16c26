/**
 * Makes tfjs-backend-webgpu 4.22 a real GPU training path:
 *  - dX (Conv2DBackpropInput, also the transposed conv's forward pass): switches on the backend's
 *    matmul-based program (WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE defaults to the naive loop);
 *  - dW (Conv2DBackpropFilter): the stock shader runs one GPU thread per filter weight, each looping
 *    over the whole batch and every output position (a few thousand threads for a whole GPU, each
 *    doing ~10⁵ serial multiply-adds). Ours is im2col + the backend's batched matmul, split over the
 *    batch: a WGSL program writes the patches X [N·OH·OW, KH·KW·Ci], then
 *      dW_g = X_gᵀ · dy_g  for P groups of whole images   (one batched matmul: P × the workgroups)
 *      dW   = Σ_g dW_g                                      (the backend's Sum)
 *    so every multiply-add runs in a tiled matmul and the reduction over the batch is parallel too.
 * Validated against the cpu backend on Mesa's lavapipe (test/vision/compute/webgpu.test.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackpropFilterAttrs } from '../kernel-attrs.ts';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import { imagesPerGroup } from './grouping.ts';


/** im2col for NHWC: out[(n, oh, ow), (kh, kw, ci)] = x[n, oh·sh + kh − pt, ow·sw + kw − pl, ci] or 0. */
class PatchesProgram implements WebGPUProgram {
  variableNames = ['x'];
  uniforms = 'pads : vec2<i32>, strides : vec2<i32>, outSpatial : vec2<i32>, filterWidth : i32, inChannels : i32, cols : i32,';
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  shaderKey = 'darlaConv2DPatches';

  constructor(rows: number, cols: number) {
    this.outputShape = [rows, cols];
    this.dispatchLayout = webgpu_util.flatDispatchLayout(this.outputShape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, this.outputShape, this.workgroupSize);
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let row = index / uniforms.cols;
          let col = index % uniforms.cols;
          let perImage = uniforms.outSpatial.x * uniforms.outSpatial.y;
          let n = row / perImage;
          let pos = row % perImage;
          let oh = pos / uniforms.outSpatial.y;
          let ow = pos % uniforms.outSpatial.y;
          let ci = col % uniforms.inChannels;
          let tap = col / uniforms.inChannels;
          let kh = tap / uniforms.filterWidth;
          let kw = tap % uniforms.filterWidth;
          let xr = oh * uniforms.strides.x + kh - uniforms.pads.x;
          let xc = ow * uniforms.strides.y + kw - uniforms.pads.y;
          var value = 0.0;
          if (xr >= 0 && xr < uniforms.xShape[1] && xc >= 0 && xc < uniforms.xShape[2]) {
            value = getX(n, xr, xc, ci);
          }
          setOutputAtIndex(index, value);
        }
      }
    `;
  }
}


function run(name: string, backend: WebGPUBackend, inputs: Record<string, tf.TensorInfo>, attrs: Record<string, unknown>): tf.TensorInfo {
  const out = tf.getKernel(name, 'webgpu').kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap });
  if (Array.isArray(out)) throw new Error(`webgpu kernel ${name} returned several outputs`);
  return out;
}


export function conv2DBackpropFilterWebGpu(args: { inputs: { x: tf.TensorInfo; dy: tf.TensorInfo }; backend: WebGPUBackend; attrs: BackpropFilterAttrs }): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  if (dataFormat === 'NCHW') {
    return stockBackpropFilter!.kernelFunc({ inputs, backend, attrs: attrs as unknown as tf.NamedAttrMap }) as tf.TensorInfo;
  }
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const [n] = x.shape;
  const { outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co } = info;
  const cols = kh * kw * ci;
  const rows = n * oh * ow;
  const patches = backend.runWebGPUProgram(new PatchesProgram(rows, cols), [x], 'float32', [
    { type: 'int32', data: [info.padInfo.top, info.padInfo.left] },
    { type: 'int32', data: [info.strideHeight, info.strideWidth] },
    { type: 'int32', data: [oh, ow] },
    { type: 'int32', data: [kw] },
    { type: 'int32', data: [ci] },
    { type: 'int32', data: [cols] },
  ]);
  const g = imagesPerGroup(n, oh * ow);
  const groups = n / g;
  const a = run('Reshape', backend, { x: patches }, { shape: [groups, g * oh * ow, cols] });
  const b = run('Reshape', backend, { x: dy }, { shape: [groups, g * oh * ow, co] });
  const partial = run('BatchMatMul', backend, { a, b }, { transposeA: true, transposeB: false });
  const summed = groups > 1 ? run('Sum', backend, { x: partial }, { axis: [0], keepDims: false }) : partial;
  const dw = run('Reshape', backend, { x: summed }, { shape: [kh, kw, ci, co] });
  for (const t of [patches, a, b, partial]) backend.disposeData(t.dataId);
  if (summed !== partial) backend.disposeData(summed.dataId);
  return dw;
}

let stockBackpropFilter: tf.KernelConfig | undefined;
let configured = false;

/** Sets the WebGPU backend's flags and registers our kernels over its own. Idempotent. */
export function configureWebGpu(): void {
  if (configured) return;
  // The matmul-based transposed-conv (dX) program instead of the naive one.
  tf.env().set('WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE', false);
  stockBackpropFilter = tf.getKernelsForBackend('webgpu').find((k) => k.kernelName === tf.Conv2DBackpropFilter);
  if (stockBackpropFilter !== undefined) tf.unregisterKernel(tf.Conv2DBackpropFilter, 'webgpu');
  tf.registerKernel({
    kernelName: tf.Conv2DBackpropFilter,
    backendName: 'webgpu',
    kernelFunc: conv2DBackpropFilterWebGpu as unknown as tf.KernelFunc,
  });
  configured = true;
}
