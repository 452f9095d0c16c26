/**
 * The real models behind the viewer's interfaces: a trained β-VAE as a `LatentModel` (encode to
 * μ and σ, decode any z — the latent explorer) and a trained PPO policy as a `PolicyModel` (one
 * frame → an action and its probabilities, through the very front-end it was trained behind).
 */
import type { Info } from '../envs/core/env.ts';
import { Rng } from '../envs/core/rng.ts';
import { ACTIONS } from '../envs/shapeworld/world.ts';
import type { LoadedPolicy } from '../agent/load-policy.ts';
import { decodeLatents, encodeFrames } from '../vision/vae/frames.ts';
import type { BetaVae } from '../vision/vae/model.ts';
import type { LatentModel, PolicyModel } from './source.ts';

/** A β-VAE as the viewer's latent model; `klPerDim` orders the latent bars. */
export function vaeLatentModel(model: BetaVae, klPerDim?: ArrayLike<number>): LatentModel {
  return {
    latentDim: model.arch.latents,
    klPerLatent: klPerDim ? Float32Array.from(klPerDim) : undefined,
    encode: async (frames, n) => encodeFrames(model, frames, n),
    decode: async (z, n) => decodeLatents(model, z, n),
  };
}

/** A trained policy as the viewer's policy model (sampling with a seeded stream, or greedy). */
export function agentPolicyModel(loaded: LoadedPolicy, opts: { seed: number; deterministic?: boolean }): PolicyModel {
  const { policy } = loaded;
  const rng = new Rng(opts.seed);
  const rows = policy.frontend.allocate(1);
  const actionNames = policy.numActions === ACTIONS.length ? [...ACTIONS] : Array.from({ length: policy.numActions }, (_, i) => `a${i}`);
  return {
    actionNames,
    act: async (frame: Uint8Array, info: Info) => {
      policy.frontend.observe(frame, [info], 1, rows);
      const r = policy.act(rows, 1, rng, opts.deterministic ?? false);
      return { action: r.actions[0], probs: softmax(r.logits) };
    },
  };
}

function softmax(logits: Float32Array): Float32Array {
  let max = -Infinity;
  for (const l of logits) max = Math.max(max, l);
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i] - max);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}
