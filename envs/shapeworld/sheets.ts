/**
 * Variant sheets: a grid of frames from one variant (each tile the first frame of a seeded episode),
 * so a newcomer sees the world before reading about it. `darla envs --sheets` writes one per named
 * variant into docs/images/variants/.
 */
import type { RgbImage } from '../util/png.ts';
import { tileFrames } from '../util/png.ts';
import { FRAME_BYTES, FRAME_SIZE } from './factors.ts';
import type { VariantLike } from './variants.ts';
import { ShapeWorldEnv } from './world.ts';

export interface SheetOptions {
  rows?: number;
  cols?: number;
  /** Integer upscaling of each frame (default 2). */
  scale?: number;
  seed?: number;
}

/** Renders rows × cols episode-start frames of `variant` into one tiled image. */
export function variantSheet(variant: VariantLike, opts: SheetOptions = {}): RgbImage {
  const rows = opts.rows ?? 4;
  const cols = opts.cols ?? 8;
  const seed = opts.seed ?? 0;
  const env = new ShapeWorldEnv({ variant: variant as never });
  const n = rows * cols;
  const frames = new Uint8Array(n * FRAME_BYTES);
  for (let i = 0; i < n; i++) {
    env.reset({ seed: seed + i });
    env.renderInto(frames, i * FRAME_BYTES);
  }
  env.close();
  return tileFrames(frames, n, FRAME_SIZE, FRAME_SIZE, cols, { scale: opts.scale ?? 2 });
}
