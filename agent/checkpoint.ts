/**
 * Policy checkpoints: the network's weights, the optimizer's state, the step, the RNG streams and
 * everything needed to rebuild and judge the policy later — the config, the task it trained on, and
 * its front-end record (kind, observation and input shapes, and for latent front-ends the encoder's
 * architecture, weight fingerprint, path and the variants the encoder saw). Written with the shared
 * checkpoint format (vision/checkpoint/format.ts): atomic, checksummed, bit-exact.
 * The encoder's path is recorded relative to the agent's run directory, so a run copied or moved
 * together with its encoder (a whole pipeline directory, say) still finds it; `encoderLocation`
 * resolves it (older checkpoints recorded an absolute path, which is tried too).
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../envs/core/errors.ts';
import type { RngState } from '../envs/core/rng.ts';
import { CheckpointDir, loadCheckpoint, type Checkpoint, type NamedArray } from '../vision/checkpoint/format.ts';
import { assignArrays, variablesToArrays } from '../vision/checkpoint/tensors.ts';
import type { AgentConfig } from './config.ts';
import type { FrontendRecord } from './frontends.ts';
import { ActorCritic, PolicyArchSchema, type PolicyArch } from './networks.ts';
import type { TaskRecord } from './tasks.ts';

export const POLICY_CHECKPOINT_KIND = 'policy';

export interface PolicyCheckpointMeta {
  kind: typeof POLICY_CHECKPOINT_KIND;
  arch: PolicyArch;
  /** Env steps taken (all envs). */
  step: number;
  /** PPO updates completed. */
  update: number;
  config: AgentConfig;
  task: TaskRecord;
  frontend: FrontendRecord;
  rng: { action: RngState; shuffle: RngState };
  optimizerStep: number;
  /** Training wall-clock seconds so far (summed over resumed sessions). */
  elapsedSeconds: number;
  backend: string;
}

export interface LoadedPolicyCheckpoint {
  meta: PolicyCheckpointMeta;
  arrays: Record<string, NamedArray>;
  file: string;
}

/** Weights (`policy/…`) and optimizer state (`adam/…`) plus meta, as one checkpoint. */
export function policyCheckpoint(meta: PolicyCheckpointMeta, net: ActorCritic, optimizerArrays: Record<string, NamedArray> = {}): Checkpoint {
  return { meta: meta as unknown as Checkpoint['meta'], arrays: { ...variablesToArrays(net.params, 'policy/'), ...optimizerArrays } };
}

/** The checkpoint file for a train-agent run directory (its latest) or the file itself. */
export function resolvePolicyCheckpoint(target: string, flag = '--policy'): string {
  if (!fs.existsSync(target)) throw new UserError(`${flag}: no agent run or policy checkpoint at ${target}`, flag);
  if (fs.statSync(target).isDirectory()) {
    const latest = new CheckpointDir(path.join(target, 'checkpoints')).latest();
    if (latest === null) throw new UserError(`${flag}: ${target} has no checkpoints (is it a train-agent run?)`, flag);
    return latest;
  }
  return target;
}

/** The run directory a checkpoint file belongs to (<run>/checkpoints/<file>), or the file's folder for a loose file. */
export function checkpointRunDir(file: string): string {
  const dir = path.dirname(path.resolve(file));
  return path.basename(dir) === 'checkpoints' ? path.dirname(dir) : dir;
}

/** The front-end record with its encoder path made relative to `runRoot` (what a checkpoint stores). */
export function withRunRelativeEncoder(record: FrontendRecord, runRoot: string): FrontendRecord {
  if (record.encoder === undefined || !path.isAbsolute(record.encoder.path)) return record;
  return { ...record, encoder: { ...record.encoder, path: path.relative(runRoot, record.encoder.path).split(path.sep).join('/') } };
}

/**
 * Where the encoder a latent policy trained with is now: its recorded path, relative to the policy's
 * run first (older checkpoints recorded an absolute path). When it is not there, a UserError says
 * what was looked for and that --vae can point to the encoder.
 */
export function encoderLocation(ckpt: Pick<LoadedPolicyCheckpoint, 'file' | 'meta'>, flag = '--policy'): string {
  const enc = ckpt.meta.frontend.encoder;
  if (enc === undefined) throw new UserError(`refusing ${ckpt.file}: a ${ckpt.meta.frontend.kind} policy without an encoder record`, flag);
  const where = path.isAbsolute(enc.path) ? enc.path : path.resolve(checkpointRunDir(ckpt.file), enc.path);
  if (fs.existsSync(where)) return where;
  throw new UserError(
    `the ${ckpt.meta.frontend.kind} policy ${ckpt.file} was trained with encoder ${enc.fingerprint}, recorded at ${enc.path}${path.isAbsolute(enc.path) ? '' : ` (relative to its run)`}, ` +
      `but nothing is at ${where}. Pass --vae <pretraining run or checkpoint> to point to that encoder`,
    '--vae',
  );
}

export function loadPolicyCheckpoint(target: string, flag = '--policy'): LoadedPolicyCheckpoint {
  const file = resolvePolicyCheckpoint(target, flag);
  const ckpt = loadCheckpoint(file, { kind: POLICY_CHECKPOINT_KIND });
  const meta = ckpt.meta as unknown as PolicyCheckpointMeta;
  const arch = PolicyArchSchema.safeParse(meta.arch);
  if (!arch.success || meta.frontend === undefined || meta.task === undefined) {
    throw new UserError(`refusing ${file}: its header is not a complete policy record`, flag);
  }
  return { meta: { ...meta, arch: arch.data }, arrays: ckpt.arrays, file: path.resolve(file) };
}

/** A network with the checkpoint's weights (never half-loaded: shapes are checked first). */
export function networkFromCheckpoint(ckpt: LoadedPolicyCheckpoint): ActorCritic {
  const net = new ActorCritic(ckpt.meta.arch, 0);
  try {
    // tidy frees the temporary tensors assignArrays creates (the variables stay).
    tf.tidy(() => assignArrays(net.params, ckpt.arrays, 'policy/', ckpt.file));
  } catch (err) {
    net.dispose();
    throw err;
  }
  return net;
}

/** Reads the weights of a live network into arrays (for a bit-exact comparison or a copy). */
export function networkArrays(net: ActorCritic): Record<string, NamedArray> {
  return variablesToArrays(net.params, 'policy/');
}
