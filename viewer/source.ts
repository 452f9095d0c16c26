/**
 * What the viewer reads, as small interfaces: the viewer never imports training internals. The
 * integrator implements `LatentModel` with the β-VAE and `PolicyModel` with the PPO policy; a
 * trainer pushes `Snapshot`s and scalars through `ViewerServer.publish*` (see viewer/attach.ts);
 * a play session (viewer/play.ts) is built from an `EnvFactory`, a LatentModel and a PolicyModel.
 */
import type { Env, Info } from '../envs/core/env.ts';
import { Rng } from '../envs/core/rng.ts';

/** An encoder/decoder pair over uint8 RGB frames (the β-VAE, or any stand-in). */
export interface LatentModel {
  readonly latentDim: number;
  /** One label per latent (e.g. the factor it captures); defaults to z0, z1, …. */
  readonly latentLabels?: string[];
  /** KL per latent dimension (averaged over data); the viewer sorts latents by it. */
  readonly klPerLatent?: Float32Array;
  /** n frames (n × H×W×3 uint8) → means and standard deviations, each n × latentDim. */
  encode(frames: Uint8Array, n: number): Promise<{ mu: Float32Array; sigma: Float32Array }>;
  /** n latent vectors (n × latentDim) → n frames (n × H×W×3 uint8). */
  decode(z: Float32Array, n: number): Promise<Uint8Array>;
}

/** An acting policy: one frame (and optionally its latent means) → an action and the action probabilities. */
export interface PolicyModel {
  readonly actionNames: string[];
  act(frame: Uint8Array, info: Info, mu?: Float32Array): Promise<{ action: number; probs: Float32Array }>;
}

/**
 * Makes a fresh env for a variant name. The env must render `rgb_array` frames (H×W×3 uint8) and
 * take integer actions, e.g. `(variant) => make('ShapeWorld-v0', { variant, renderMode: 'rgb_array' })`.
 */
export type EnvFactory = (variant: string) => Env<unknown, number>;

/**
 * One moment of training or play, as a trainer or play session publishes it. Only `step`, `frame`
 * and its size are required; what is missing is simply not shown. The viewer copies what it keeps,
 * so callers may reuse their buffers after `publish` returns.
 */
export interface Snapshot {
  step: number;
  /** The live frame, height × width × 3 uint8. */
  frame: Uint8Array;
  width: number;
  height: number;
  /** The reconstruction of `frame`, same size. */
  recon?: Uint8Array;
  /** Encoder means and standard deviations for `frame` (latentDim each). */
  mu?: Float32Array;
  sigma?: Float32Array;
  /** KL per latent (for sorting), when it changes during training. */
  kl?: Float32Array;
  /** Episode index and time step within it (play / PPO rollouts). */
  episode?: number;
  t?: number;
  /** The action taken on `frame`, its probabilities, and the reward received for it. */
  action?: number;
  probs?: Float32Array;
  reward?: number;
  /** The episode's return so far (after `reward`). */
  return?: number;
}

/** Training scalars at one step, e.g. {step: 1200, loss: 83.1, kl: 12.4}. Non-finite values are dropped. */
export type Scalars = { step: number } & Record<string, number>;

/** An episode boundary, for the return-per-episode chart. */
export interface EpisodeEvent {
  event: 'start' | 'end';
  episode: number;
  variant?: string | null;
  return?: number;
  length?: number;
  terminated?: boolean;
}

/** A uniformly random policy (what the viewer plays when no agent is given); seeded. */
export function randomPolicy(actionNames: string[], seed: number): PolicyModel {
  if (actionNames.length === 0) throw new Error('randomPolicy needs at least one action');
  const rng = new Rng(seed);
  const probs = new Float32Array(actionNames.length).fill(1 / actionNames.length);
  return {
    actionNames,
    act: async () => ({ action: rng.int(actionNames.length), probs: probs.slice() }),
  };
}

/** Default action names for a Discrete(n) space when the env does not name them. */
export function defaultActionNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `a${i}`);
}
