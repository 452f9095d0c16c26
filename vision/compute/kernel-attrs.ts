/**
 * Attribute shapes of the tfjs kernels this project re-implements, shared by the wasm and WebGPU
 * replacements (tfjs-core exports the kernel names but not these attribute types).
 */
import type * as tf from '@tensorflow/tfjs-core';

export interface BackpropFilterAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}
