/**
 * The augmented reconstruction term (Michlo, Klein & James, IJCAI 2023, "Overlooked Implications of
 * the Reconstruction Loss for VAE Disentanglement"): a per-pixel loss cannot order positions that
 * share no pixels, so the loss also compares the images blurred by a kernel K spanning a cell or two:
 *   L_aug(x̂, x) = (1 − w)·L(x̂, x) + w·L(K∗x̂, K∗x)
 * L is the model's likelihood term summed over pixels (Bernoulli: cross-entropy of the blurred
 * probabilities against the blurred target; Gaussian: ½(K∗x̂ − K∗x)²). K is a normalised Gaussian
 * (σ in pixels, truncated at 3σ) or box (width in pixels), applied separably to each channel with
 * zero padding as two products with a banded 64×64 matrix (blurImages) — matmuls, which the wasm
 * kernels run fast; scripts/bench/decoders.ts measures what the term costs per step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';

export const BlurSchema = z.discriminatedUnion('kernel', [
  z
    .object({
      kernel: z.literal('gaussian'),
      /** Standard deviation in pixels (12 px is one cell of the 5×5 board). */
      sigma: z.number().positive().max(32),
      /** w: the blurred term's share of the reconstruction loss. */
      weight: z.number().min(0).max(1),
    })
    .strict(),
  z
    .object({
      kernel: z.literal('box'),
      /** Width in pixels (odd, so the box is centred). */
      width: z
        .number()
        .int()
        .min(1)
        .max(63)
        .refine((w) => w % 2 === 1, 'the box width must be odd (centred on the pixel)'),
      weight: z.number().min(0).max(1),
    })
    .strict(),
]);
export type Blur = z.infer<typeof BlurSchema>;

/** The 1-D taps of the blur kernel (normalised to sum 1). */
export function blurTaps(blur: Blur): Float32Array {
  if (blur.kernel === 'box') return new Float32Array(blur.width).fill(1 / blur.width);
  const radius = Math.ceil(3 * blur.sigma);
  const taps = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const v = Math.exp(-(i * i) / (2 * blur.sigma * blur.sigma));
    taps[i + radius] = v;
    sum += v;
  }
  return Float32Array.from(taps, (v) => v / sum);
}

/**
 * The banded size×size matrix of a 1-D blur with zero padding: (row · B)[j] = Σ_i row[i]·taps[j − i + r].
 * Symmetric for the symmetric kernels here, so it blurs rows (x·B) and columns alike.
 */
export function blurMatrix(taps: Float32Array, size: number): Float32Array {
  const r = (taps.length - 1) / 2;
  const m = new Float32Array(size * size);
  for (let i = 0; i < size; i++) {
    for (let j = Math.max(0, i - r); j <= Math.min(size - 1, i + r); j++) m[i * size + j] = taps[j - i + r];
  }
  return m;
}

/**
 * K∗x for images [N, H, W, C]: the separable blur, each channel on its own, zero padding —
 * as two plain matrix products with the banded blur matrix (one along the rows, one along the
 * columns), which the matmul kernels run far faster than one-channel convolutions with long taps.
 */
export function blurImages(x: tf.Tensor4D, taps: Float32Array): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const bw = tf.tensor2d(blurMatrix(taps, w), [w, w]);
    const bh = h === w ? bw : tf.tensor2d(blurMatrix(taps, h), [h, h]);
    // [N, C, H, W]: blur along W, then along H (transposed to the last axis), then back to NHWC.
    const rows = tf.matMul(tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [n * c * h, w]), bw);
    const cols = tf.matMul(tf.reshape(tf.transpose(tf.reshape(rows, [n, c, h, w]), [0, 1, 3, 2]), [n * c * w, h]), bh);
    return tf.transpose(tf.reshape(cols, [n, c, w, h]), [0, 3, 2, 1]) as tf.Tensor4D;
  });
}

const EPS = 1e-6;

/**
 * Per-sample augmented reconstruction loss [N]: `plain` is the un-blurred term per sample (what
 * objectives.ts computes), mixed with the blurred term by the blur's weight.
 */
export function augmentedReconstructionPerSample(plain: tf.Tensor1D, logits: tf.Tensor4D, x: tf.Tensor4D, likelihood: 'bernoulli' | 'gaussian', blur: Blur): tf.Tensor1D {
  return tf.tidy(() => {
    const taps = blurTaps(blur);
    const xb = blurImages(x, taps);
    const pb = blurImages(tf.sigmoid(logits) as tf.Tensor4D, taps);
    let perPixel: tf.Tensor;
    if (likelihood === 'bernoulli') {
      const p = tf.clipByValue(pb, EPS, 1 - EPS);
      perPixel = tf.neg(tf.add(tf.mul(xb, tf.log(p)), tf.mul(tf.sub(1, xb), tf.log(tf.sub(1, p)))));
    } else {
      perPixel = tf.mul(0.5, tf.square(tf.sub(pb, xb)));
    }
    const blurred = tf.sum(tf.reshape(perPixel, [x.shape[0], -1]), 1);
    return tf.add(tf.mul(1 - blur.weight, plain), tf.mul(blur.weight, blurred)) as tf.Tensor1D;
  });
}
