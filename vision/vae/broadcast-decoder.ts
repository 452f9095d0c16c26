/**
 * The spatial broadcast decoder (Watters, Matthey, Burgess & Lerchner 2019, "Spatial Broadcast
 * Decoder"), the β-VAE's alternative to the deconvolution decoder (`arch.decoder: 'broadcast'`):
 *   z [N, L] → tiled over a 16×16 grid, with two fixed coordinate channels x, y ∈ [−1, 1]
 *            → conv 3×3/1 ×2 (32, ReLU) → transposed conv 4×4/2 (32, ReLU) → transposed conv 4×4/2 (C)
 *            → logits [N, 64, 64, C]
 * Position is then what the decoder reads most easily (a latent compared against a coordinate
 * channel), which is why it orders positions where the deconvolution decoder learns "which cells
 * hold what" (docs/vision.md, round three). Broadcasting at 16×16 and upsampling twice keeps it at
 * about the deconvolution decoder's cost per image rather than the ~12× of a full-resolution
 * broadcast. Every op is one the compute module already runs on its own wasm kernels (any-stride
 * convolutions, transposed convolutions, broadcast multiply, concat).
 */
import * as tf from '@tensorflow/tfjs-core';

/** Side of the grid z is tiled over. */
export const BROADCAST_GRID = 16;
/** Filters of the broadcast decoder's convolutions. */
export const BROADCAST_FILTERS = 32;

/** Adds a parameter (name, initial value) to the model; the model owns the variables. */
export type AddParam = (name: string, init: tf.Tensor) => void;
export interface ParamInits {
  heUniform: (shape: number[], fanIn: number) => tf.Tensor;
  glorot: (shape: number[], fanIn: number, fanOut: number) => tf.Tensor;
}

/** Creates the broadcast decoder's parameters, in a fixed order. */
export function addBroadcastDecoderParams(add: AddParam, init: ParamInits, latents: number, channels: number): void {
  const F = BROADCAST_FILTERS;
  add('dec/bc/conv0/w', init.heUniform([3, 3, latents + 2, F], 9 * (latents + 2)));
  add('dec/bc/conv0/b', tf.zeros([F]));
  add('dec/bc/conv1/w', init.heUniform([3, 3, F, F], 9 * F));
  add('dec/bc/conv1/b', tf.zeros([F]));
  // Transposed-conv filters are [kh, kw, out, in] in tfjs.
  add('dec/bc/deconv0/w', init.heUniform([4, 4, F, F], 16 * F));
  add('dec/bc/deconv0/b', tf.zeros([F]));
  add('dec/bc/deconv1/w', init.glorot([4, 4, channels, F], 16 * F, 16 * channels));
  add('dec/bc/deconv1/b', tf.zeros([channels]));
}

/** The two coordinate channels [1, G, G, 2]: x (left → right) and y (top → bottom), each −1 … 1. */
export function coordinateChannels(grid = BROADCAST_GRID): tf.Tensor4D {
  const data = new Float32Array(grid * grid * 2);
  for (let y = 0; y < grid; y++) {
    for (let x = 0; x < grid; x++) {
      const o = 2 * (y * grid + x);
      data[o] = grid === 1 ? 0 : -1 + (2 * x) / (grid - 1);
      data[o + 1] = grid === 1 ? 0 : -1 + (2 * y) / (grid - 1);
    }
  }
  return tf.tensor4d(data, [1, grid, grid, 2]);
}

/** Decoder logits [N, 64, 64, C] from latents z [N, L]; `coords` is coordinateChannels(). */
export function broadcastDecode(p: Readonly<Record<string, tf.Variable>>, coords: tf.Tensor4D, zs: tf.Tensor2D, channels: number): tf.Tensor4D {
  return tf.tidy(() => {
    const n = zs.shape[0];
    const L = zs.shape[1];
    const G = BROADCAST_GRID;
    const F = BROADCAST_FILTERS;
    // Tiling by a broadcast multiply: its gradient is a sum over the grid (tf.tile's is a slice per cell).
    const tiled = tf.mul(tf.reshape(zs, [n, 1, 1, L]), tf.ones([1, G, G, 1]));
    const grid = tf.concat([tiled, tf.tile(coords, [n, 1, 1, 1])], 3) as tf.Tensor4D;
    let h = tf.relu(tf.add(tf.conv2d(grid, p['dec/bc/conv0/w'] as tf.Tensor4D, 1, 'same'), p['dec/bc/conv0/b'])) as tf.Tensor4D;
    h = tf.relu(tf.add(tf.conv2d(h, p['dec/bc/conv1/w'] as tf.Tensor4D, 1, 'same'), p['dec/bc/conv1/b'])) as tf.Tensor4D;
    h = tf.relu(tf.add(tf.conv2dTranspose(h, p['dec/bc/deconv0/w'] as tf.Tensor4D, [n, 2 * G, 2 * G, F], 2, 'same'), p['dec/bc/deconv0/b'])) as tf.Tensor4D;
    return tf.add(tf.conv2dTranspose(h, p['dec/bc/deconv1/w'] as tf.Tensor4D, [n, 4 * G, 4 * G, channels], 2, 'same'), p['dec/bc/deconv1/b']) as tf.Tensor4D;
  });
}
