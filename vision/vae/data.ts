/**
 * The β-VAE's pretraining frames: a random policy playing each configured variant (what an agent
 * would see while exploring) plus frames rendered from directly sampled factors (dense coverage of
 * every position, colour, scale, orientation and background), all from the shape world in envs/.
 * A separate, smaller held-out set (same recipe, other seeds) measures KL per latent and
 * reconstruction on frames the model never trained on.
 */
import { mixSeed, Rng } from '../../envs/core/rng.ts';
import { collectFrames } from '../../envs/shapeworld/collect.ts';
import { ShapeWorldDataset } from '../../envs/shapeworld/factor-dataset.ts';
import { FRAME_BYTES } from '../../envs/shapeworld/factors.ts';
import { parseVariantArg } from '../../envs/shapeworld/variant-arg.ts';
import type { Variant } from '../../envs/shapeworld/variants.ts';
import type { PretrainConfig } from './config.ts';

export interface PretrainFrames {
  /** count × 64×64×3 uint8 training frames. */
  frames: Uint8Array;
  count: number;
  /** evalCount × 64×64×3 held-out frames. */
  evalFrames: Uint8Array;
  evalCount: number;
  variants: Variant[];
  /** How many training frames came from each source. */
  sources: { randomPolicy: number; factor: number };
}

/** Frames of one recipe: `random` random-policy frames then `factor` factor-sampled frames. */
function framesOf(variants: Variant[], random: number, factor: number, seed: number): Uint8Array {
  const out = new Uint8Array((random + factor) * FRAME_BYTES);
  if (random > 0) out.set(collectFrames({ variants, numFrames: random, seed: mixSeed(seed, 1) }).frames, 0);
  if (factor > 0) {
    const rng = new Rng(mixSeed(seed, 2));
    const ds = new ShapeWorldDataset(variants);
    ds.render(ds.sampleFactors(factor, rng), rng, out.subarray(random * FRAME_BYTES));
  }
  return out;
}

export function buildPretrainFrames(data: PretrainConfig['data'], seed: number, opts: { log?: (s: string) => void; evalFrames?: number } = {}): PretrainFrames {
  const t0 = performance.now();
  const variants = data.variants.map(parseVariantArg);
  const frames = framesOf(variants, data.randomPolicyFrames, data.factorFrames, mixSeed(seed, 0xf7a));
  const evalTotal = opts.evalFrames ?? 1024;
  const total = data.randomPolicyFrames + data.factorFrames;
  const evalRandom = total === 0 ? 0 : Math.round((evalTotal * data.randomPolicyFrames) / total);
  const evalFrames = framesOf(variants, evalRandom, evalTotal - evalRandom, mixSeed(seed, 0xe7a1));
  opts.log?.(
    `frames: ${data.randomPolicyFrames} random-policy + ${data.factorFrames} factor-sampled from ${variants.map((v) => v.name).join(', ')} ` +
      `(+${evalTotal} held out) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return { frames, count: total, evalFrames, evalCount: evalTotal, variants, sources: { randomPolicy: data.randomPolicyFrames, factor: data.factorFrames } };
}
