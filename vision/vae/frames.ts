/**
 * Conversions between the world's uint8 frames (n × H×W×C, row-major) and the model's float32
 * tensors in [0, 1], plus the standalone encoder function frames → μ (and σ) that the agent, the
 * metrics and the viewer call: batched, gradient-free, on whatever backend is active.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BetaVae } from './model.ts';

/** uint8 frames → float32 [n, H, W, C] in [0, 1]. */
export function framesToTensor(frames: Uint8Array, n: number, h = 64, w = 64, c = 3): tf.Tensor4D {
  if (frames.length < n * h * w * c) throw new Error(`framesToTensor: need ${n * h * w * c} bytes, got ${frames.length}`);
  return tf.tidy(() => tf.div(tf.tensor4d(frames.subarray(0, n * h * w * c), [n, h, w, c], 'int32'), 255) as tf.Tensor4D);
}

/** float [n, H, W, C] in [0, 1] → uint8 frames (rounded, clipped). */
export function tensorToFrames(images: tf.Tensor4D): Uint8Array {
  const data = tf.tidy(() => tf.clipByValue(tf.round(tf.mul(images, 255)), 0, 255)).dataSync();
  return Uint8Array.from(data);
}

export interface Encoding {
  /** n × latents, row-major. */
  mu: Float32Array;
  /** n × latents: the posterior standard deviations exp(½ log σ²). */
  sigma: Float32Array;
}

/** Encodes n frames in batches of `batchSize`; no gradients are recorded. */
export function encodeFrames(model: BetaVae, frames: Uint8Array, n: number, batchSize = 256): Encoding {
  const L = model.arch.latents;
  const frameSize = model.arch.imageSize * model.arch.imageSize * model.arch.channels;
  const mu = new Float32Array(n * L);
  const sigma = new Float32Array(n * L);
  for (let start = 0; start < n; start += batchSize) {
    const m = Math.min(batchSize, n - start);
    const [muB, sigmaB] = tf.tidy(() => {
      const x = framesToTensor(frames.subarray(start * frameSize, (start + m) * frameSize), m, model.arch.imageSize, model.arch.imageSize, model.arch.channels);
      const enc = model.encode(x);
      return [enc.mu.dataSync(), tf.exp(tf.mul(0.5, enc.logvar)).dataSync()];
    });
    mu.set(muB, start * L);
    sigma.set(sigmaB, start * L);
  }
  return { mu, sigma };
}

/** Decodes n latent vectors (n × latents) to uint8 frames, in batches. */
export function decodeLatents(model: BetaVae, zs: Float32Array, n: number, batchSize = 256): Uint8Array {
  const L = model.arch.latents;
  const frameSize = model.arch.imageSize * model.arch.imageSize * model.arch.channels;
  const out = new Uint8Array(n * frameSize);
  for (let start = 0; start < n; start += batchSize) {
    const m = Math.min(batchSize, n - start);
    const frames = tf.tidy(() => tensorToFrames(model.reconstruct(tf.tensor2d(zs.subarray(start * L, (start + m) * L), [m, L]))));
    out.set(frames, start * frameSize);
  }
  return out;
}
