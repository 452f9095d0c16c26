/**
 * WebGPU training setup (placeholder until the kernels land): flags that make tfjs's WebGPU backend a
 * real GPU training path.
 */
import * as tf from '@tensorflow/tfjs-core';

let configured = false;

/** Sets the backend flags and registers our WebGPU kernels. Idempotent. */
export function configureWebGpu(): void {
  if (configured) return;
  // The matmul-based transposed-conv (dX) program instead of the naive one.
  tf.env().set('WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE', false);
  configured = true;
}
