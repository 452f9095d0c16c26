/**
 * The pictures that show what a β-VAE learned, as PNG grids:
 * - latent traversals: one row per latent (most informative first, by KL), each row decoding a
 *   reference frame's μ with that one latent swept from −3 to +3 prior standard deviations;
 * - reconstructions: input frames on the top row, their reconstructions from μ below.
 */
import { tileFrames, type RgbImage } from '../../envs/util/png.ts';
import { decodeLatents, encodeFrames } from './frames.ts';
import type { BetaVae } from './model.ts';

export interface TraversalOptions {
  /** Columns per row (values of the swept latent), default 9. */
  steps?: number;
  /** Sweep half-width in prior standard deviations, default 3. */
  range?: number;
  /** Pixel scale of each tile, default 2. */
  scale?: number;
  /** Show only the first `maxRows` latents by KL (default: all). */
  maxRows?: number;
}

export interface TraversalResult {
  image: RgbImage;
  /** Latent index shown on each row, top to bottom. */
  rowLatents: number[];
  /** The swept values (columns). */
  values: number[];
}

/** Latent indices sorted by KL, largest first. */
export function latentsByKl(klPerDim: ArrayLike<number>): number[] {
  return Array.from({ length: klPerDim.length }, (_, i) => i).sort((a, b) => klPerDim[b] - klPerDim[a] || a - b);
}

/** Traversal grid around the μ of one reference frame (64×64×3 uint8). */
export async function traversalImage(model: BetaVae, referenceFrame: Uint8Array, klPerDim: ArrayLike<number>, opts: TraversalOptions = {}): Promise<TraversalResult> {
  const steps = opts.steps ?? 9;
  const range = opts.range ?? 3;
  const L = model.arch.latents;
  const rows = latentsByKl(klPerDim).slice(0, opts.maxRows ?? L);
  const { mu } = await encodeFrames(model, referenceFrame, 1);
  const values = Array.from({ length: steps }, (_, j) => (steps === 1 ? 0 : -range + (2 * range * j) / (steps - 1)));
  const zs = new Float32Array(rows.length * steps * L);
  rows.forEach((latent, r) => {
    for (let j = 0; j < steps; j++) {
      const base = (r * steps + j) * L;
      zs.set(mu, base);
      zs[base + latent] = values[j];
    }
  });
  const frames = await decodeLatents(model, zs, rows.length * steps);
  const size = model.arch.imageSize;
  return { image: tileFrames(frames, rows.length * steps, size, size, steps, { scale: opts.scale ?? 2, gap: 2 }), rowLatents: rows, values };
}

/** Inputs (top row) over reconstructions from μ (bottom row). */
export async function reconstructionImage(model: BetaVae, frames: Uint8Array, n: number, scale = 2): Promise<RgbImage> {
  const size = model.arch.imageSize;
  const frameSize = size * size * model.arch.channels;
  const { mu } = await encodeFrames(model, frames, n);
  const recon = await decodeLatents(model, mu, n);
  const both = new Uint8Array(2 * n * frameSize);
  both.set(frames.subarray(0, n * frameSize), 0);
  both.set(recon, n * frameSize);
  return tileFrames(both, 2 * n, size, size, n, { scale, gap: 2 });
}
