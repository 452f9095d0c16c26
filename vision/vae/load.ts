/**
 * β-VAE checkpoints: what a pretraining run saves (weights, Adam state, step, config) and how any
 * other part of the project loads a frozen encoder from a run directory or a checkpoint file, with
 * a fingerprint of its weights so a policy can record exactly which encoder it was trained on.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../envs/core/errors.ts';
import { CheckpointDir, loadCheckpoint, type Checkpoint, type NamedArray } from '../checkpoint/format.ts';
import { assignArrays } from '../checkpoint/tensors.ts';
import { BetaVae, VaeArchSchema, type VaeArch } from './model.ts';
import type { Objective } from './objectives.ts';

export const VAE_CHECKPOINT_KIND = 'vae';

export interface VaeCheckpointMeta {
  kind: typeof VAE_CHECKPOINT_KIND;
  arch: VaeArch;
  step: number;
  objective: Objective;
  /** The names of the variants whose frames the model saw in pretraining. */
  seenVariants: string[];
  /** Their full definitions, by name (absent in checkpoints written before they were recorded). */
  seenDefinitions?: Record<string, unknown>;
  optimizerStep: number;
  seed: number;
  /** KL per latent on held-out frames at save time (for sorting latents). */
  klPerDim?: number[];
  /** SHA-256 over the model weights (not the optimizer). */
  fingerprint: string;
}

export interface LoadedVae {
  model: BetaVae;
  info: VaeCheckpointMeta & { path: string };
}

/** A stable hash of the model weights, in param order. */
export function fingerprintArrays(arrays: Record<string, NamedArray>, prefix = 'model/'): string {
  const h = crypto.createHash('sha256');
  for (const name of Object.keys(arrays).filter((n) => n.startsWith(prefix)).sort()) {
    const a = arrays[name];
    h.update(name);
    h.update(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength));
  }
  return h.digest('hex').slice(0, 16);
}

/** Finds the checkpoint file for a run directory (its latest) or returns the file itself. */
export function resolveVaeCheckpoint(target: string): string {
  if (!fs.existsSync(target)) throw new UserError(`no β-VAE run or checkpoint at ${target}`, '--vae');
  if (fs.statSync(target).isDirectory()) {
    const latest = new CheckpointDir(path.join(target, 'checkpoints')).latest();
    if (latest === null) throw new UserError(`${target} has no checkpoints (is it a finished pretraining run?)`, '--vae');
    return latest;
  }
  return target;
}

/** Builds a model from a checkpoint's arrays, checking the architecture. */
export function vaeFromCheckpoint(ckpt: Checkpoint, source: string): BetaVae {
  const parsed = VaeArchSchema.safeParse(ckpt.meta.arch);
  if (!parsed.success) throw new UserError(`refusing ${source}: its architecture record is not a β-VAE architecture`, 'checkpoint');
  const model = new BetaVae(parsed.data, 0);
  try {
    assignArrays(model.params, ckpt.arrays, 'model/', source);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}

/** Loads a frozen β-VAE from a pretraining run directory or a checkpoint file. */
export function loadVae(target: string, expectArch?: VaeArch): LoadedVae {
  const file = resolveVaeCheckpoint(target);
  const ckpt = loadCheckpoint(file, { kind: VAE_CHECKPOINT_KIND, arch: expectArch });
  const model = vaeFromCheckpoint(ckpt, file);
  return { model, info: { ...(ckpt.meta as unknown as VaeCheckpointMeta), path: path.resolve(file) } };
}
