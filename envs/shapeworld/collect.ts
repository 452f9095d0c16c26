/**
 * Frame collection for pretraining: roll out a policy (uniform random by default) across a list of
 * variants and keep every observation (reset frames and step frames, terminal ones included) with
 * its factors. Episodes go round-robin over the variants, so each contributes about equally.
 * Factor indices are expressed in the FactorSpace over all the given variants, the same indexing
 * a ShapeWorldDataset over those variants uses.
 */
import { Rng, mixSeed } from '../core/rng.ts';
import { FRAME_BYTES, FactorSpace, NUM_FACTORS, type ShapeWorldFactors } from './factors.ts';
import { resolveVariant, type VariantLike } from './variants.ts';
import { ACTIONS, DEFAULT_MAX_EPISODE_STEPS, ShapeWorldEnv } from './world.ts';

/** Chooses an action from the current frame and its factors; `rng` is the collector's seeded stream. */
export type FramePolicy = (observation: Uint8Array, factors: ShapeWorldFactors, rng: Rng) => number;

export interface CollectOptions {
  variants: readonly VariantLike[];
  numFrames: number;
  seed: number;
  policy?: FramePolicy;
  /** Episode time limit (default 50, as ShapeWorld-v0). */
  maxEpisodeSteps?: number;
}

export interface CollectedFrames {
  /** count × 64×64×3 uint8. */
  frames: Uint8Array;
  /** count × NUM_FACTORS indices into `space`. */
  factors: Int32Array;
  /** Which variant (index into options.variants) each frame came from. */
  variantIndex: Uint8Array;
  count: number;
  episodes: number;
  space: FactorSpace;
}

export function collectFrames(opts: CollectOptions): CollectedFrames {
  const { numFrames, seed } = opts;
  if (!Number.isInteger(numFrames) || numFrames < 1) throw new Error(`collectFrames: numFrames must be an integer >= 1, got ${numFrames}`);
  if (opts.variants.length < 1 || opts.variants.length > 255) throw new Error('collectFrames: give 1..255 variants');
  const maxSteps = opts.maxEpisodeSteps ?? DEFAULT_MAX_EPISODE_STEPS;
  const variants = opts.variants.map(resolveVariant);
  const space = new FactorSpace(variants);
  const envs = variants.map((v, i) => new ShapeWorldEnv({ variant: v, seed: mixSeed(seed, i) }));
  const remaps = envs.map((e) => space.remapFrom(e.factorSpace));
  const rng = new Rng(mixSeed(seed, 0x5eed));
  const policy: FramePolicy = opts.policy ?? ((_obs, _f, r) => r.int(ACTIONS.length));

  const frames = new Uint8Array(numFrames * FRAME_BYTES);
  const factors = new Int32Array(numFrames * NUM_FACTORS);
  const variantIndex = new Uint8Array(numFrames);
  const row = new Int32Array(NUM_FACTORS);
  let count = 0;
  let episodes = 0;
  const keep = (vi: number, observation: Uint8Array) => {
    frames.set(observation, count * FRAME_BYTES);
    envs[vi].factorsInto(row);
    const remap = remaps[vi];
    for (let k = 0; k < NUM_FACTORS; k++) factors[count * NUM_FACTORS + k] = remap[k][row[k]];
    variantIndex[count] = vi;
    count++;
  };
  while (count < numFrames) {
    const vi = episodes % envs.length;
    const env = envs[vi];
    let { observation, info } = env.reset();
    episodes++;
    keep(vi, observation);
    for (let t = 0; t < maxSteps && count < numFrames; t++) {
      const r = env.step(policy(observation, info.factors as ShapeWorldFactors, rng));
      observation = r.observation;
      info = r.info;
      keep(vi, observation);
      if (r.terminated) break;
    }
  }
  for (const e of envs) e.close();
  return { frames, factors, variantIndex, count, episodes, space };
}
