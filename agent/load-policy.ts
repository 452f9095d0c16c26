/**
 * Rebuilds a frozen policy from a checkpoint (or a train-agent run directory): the network with
 * its weights, and the front-end it was trained behind — for latent front-ends the encoder is
 * loaded from the path the policy recorded (relative to its run, so moved runs work; or `vae`, when
 * given) and must be the very same encoder (architecture and weight fingerprint), else the pairing
 * is refused with a message that names both.
 */
import { UserError } from '../envs/core/errors.ts';
import type { Dtype } from '../envs/core/space.ts';
import type { Box } from '../envs/core/spaces/box.ts';
import { loadVae, type LoadedVae } from '../vision/vae/load.ts';
import { encoderLocation, loadPolicyCheckpoint, networkFromCheckpoint, type LoadedPolicyCheckpoint } from './checkpoint.ts';
import { createFrontend, frontendMismatch } from './frontends.ts';
import { Policy } from './policy.ts';
import { makeTaskEnvs, taskFromRecord, type Task } from './tasks.ts';

export interface LoadedPolicy {
  policy: Policy;
  checkpoint: LoadedPolicyCheckpoint;
  /** The task the policy trained on. */
  task: Task;
  /** Where its encoder was loaded from (latent front-ends), else null. */
  encoderPath: string | null;
}

export interface LoadPolicyOptions {
  /** Use this encoder instead of the recorded one (it must be the same encoder). */
  vae?: string | LoadedVae;
  /** The observation space the policy will be run on (default: its training env's). */
  obsSpace?: Box<Dtype>;
  flag?: string;
}

export function loadPolicy(target: string, opts: LoadPolicyOptions = {}): LoadedPolicy {
  const flag = opts.flag ?? '--policy';
  const ckpt = loadPolicyCheckpoint(target, flag);
  const meta = ckpt.meta;
  const task = taskFromRecord(meta.task);
  let obsSpace = opts.obsSpace;
  if (obsSpace === undefined) {
    const probe = makeTaskEnvs(task, 1);
    obsSpace = probe.singleObservationSpace;
    probe.close();
  }
  const latent = meta.frontend.kind === 'darla' || meta.frontend.kind === 'entangled';
  let vae: LoadedVae | undefined;
  let ownsVae = false;
  let encoderPath: string | null = null;
  if (latent) {
    if (opts.vae !== undefined && typeof opts.vae !== 'string') vae = opts.vae;
    else {
      vae = loadVae(opts.vae ?? encoderLocation(ckpt, flag));
      ownsVae = true;
    }
    encoderPath = vae.info.path;
  }
  const frontend = createFrontend(meta.frontend.kind, { obsSpace, vae, ownsVae });
  const why = frontendMismatch(meta.frontend, frontend.record);
  if (why !== null) {
    frontend.dispose();
    throw new UserError(`refusing to run the policy ${ckpt.file}: ${why}`, flag);
  }
  const net = networkFromCheckpoint(ckpt);
  return { policy: new Policy(net, frontend), checkpoint: ckpt, task, encoderPath };
}
