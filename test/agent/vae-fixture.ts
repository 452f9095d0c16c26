/**
 * A stand-in pretrained encoder for the agent's tests: a small β-VAE with random weights, saved in
 * the checkpoint layout vision/vae/load.ts reads ('model/<param>' arrays, kind 'vae', fingerprint).
 */
import path from 'node:path';
import { CheckpointDir } from '../../vision/checkpoint/format.ts';
import { variablesToArrays } from '../../vision/checkpoint/tensors.ts';
import { fingerprintArrays } from '../../vision/vae/load.ts';
import { BetaVae, DEFAULT_ARCH, type VaeArch } from '../../vision/vae/model.ts';

/** Small enough for the cpu backend: 4 latents, 4-filter convs. */
export const TINY_ARCH: VaeArch = { ...DEFAULT_ARCH, latents: 4, convFilters: [4, 4, 4, 4], hidden: 16 };

/** Writes a random-weight VAE "pretrain run" at `dir` and returns the directory. */
export function writeRandomVae(dir: string, seed: number, opts: { beta?: number; seenVariants?: string[]; seenDefinitions?: Record<string, unknown> } = {}): string {
  const model = new BetaVae(TINY_ARCH, seed);
  const arrays = variablesToArrays(model.params, 'model/');
  model.dispose();
  new CheckpointDir(path.join(dir, 'checkpoints')).save({
    meta: {
      kind: 'vae',
      arch: TINY_ARCH,
      step: 1,
      objective: { kind: 'beta', beta: opts.beta ?? 4 },
      seenVariants: opts.seenVariants ?? ['source'],
      ...(opts.seenDefinitions !== undefined ? { seenDefinitions: opts.seenDefinitions } : {}),
      optimizerStep: 0,
      seed,
      fingerprint: fingerprintArrays(arrays),
    },
    arrays,
  });
  return dir;
}
