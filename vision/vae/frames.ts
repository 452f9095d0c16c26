/**
 * Conversions between the world's uint8 frames (n × H×W×C, row-major) and the model's float32
 * tensors in [0, 1], plus the standalone encoder function frames → μ (and σ) that the agent, the
 * metrics and the viewer call: batched, gradient-free, on whatever backend is active. Results are
 * read back with `await data()`, which every backend supports (WebGPU under Node has no dataSync).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BetaVae } from './model.ts';

/** uint8 frames → float32 [n, H, W, C] in [0, 1]. */
export function framesToTensor(frames: Uint8Array, n: number, h = 64, w = 64, c = 3): tf.Tensor4D {
  if (frames.length < n * h * w * c) throw new Error(`framesToTensor: need ${n * h * w * c} bytes, got ${frames.length}`);
  return tf.tidy(() => tf.div(tf.tensor4d(frames.subarray(0, n * h * w * c), [n, h, w, c], 'int32'), 255) as tf.Tensor4D);
}

/** float [n, H, W, C] in [0, 1] → uint8 frames (rounded, clipped). */
export async function tensorToFrames(images: tf.Tensor4D): Promise<Uint8Array> {
  const bytes = tf.tidy(() => tf.cast(tf.clipByValue(tf.round(tf.mul(images, 255)), 0, 255), 'int32'));
  try {
    return Uint8Array.from(await bytes.data());
  } finally {
    bytes.dispose();
  }
}

export interface Encoding {
  /** n × latents, row-major. */
  mu: Float32Array;
  /** n × latents: the posterior standard deviations exp(½ log σ²). */
  sigma: Float32Array;
}

/** Encodes n frames in batches of `batchSize`; no gradients are recorded. */
export async function encodeFrames(model: BetaVae, frames: Uint8Array, n: number, batchSize = 256): Promise<Encoding> {
  const L = model.arch.latents;
  const frameSize = model.arch.imageSize * model.arch.imageSize * model.arch.channels;
  const mu = new Float32Array(n * L);
  const sigma = new Float32Array(n * L);
  for (let start = 0; start < n; start += batchSize) {
    const m = Math.min(batchSize, n - start);
    const [muT, sigmaT] = tf.tidy(() => {
      const x = framesToTensor(frames.subarray(start * frameSize, (start + m) * frameSize), m, model.arch.imageSize, model.arch.imageSize, model.arch.channels);
      const enc = model.encode(x);
      return [enc.mu, tf.exp(tf.mul(0.5, enc.logvar))];
    });
    try {
      mu.set(await muT.data(), start * L);
      sigma.set(await sigmaT.data(), start * L);
    } finally {
      muT.dispose();
      sigmaT.dispose();
    }
  }
  return { mu, sigma };
}

/** Decodes n latent vectors (n × latents) to uint8 frames, in batches. */
export async function decodeLatents(model: BetaVae, zs: Float32Array, n: number, batchSize = 256): Promise<Uint8Array> {
  const L = model.arch.latents;
  const frameSize = model.arch.imageSize * model.arch.imageSize * model.arch.channels;
  const out = new Uint8Array(n * frameSize);
  for (let start = 0; start < n; start += batchSize) {
    const m = Math.min(batchSize, n - start);
    const images = tf.tidy(() => model.reconstruct(tf.tensor2d(zs.subarray(start * L, (start + m) * L), [m, L])));
    try {
      out.set(await tensorToFrames(images), start * frameSize);
    } finally {
      images.dispose();
    }
  }
  return out;
}
