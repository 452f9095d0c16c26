/**
 * Starting a play viewer from paths, as `darla view` and the pipeline's "watch" stage do: load the
 * trained policy (`agent`) and β-VAE (`vae`, or the policy's own encoder), wrap them as the viewer's
 * PolicyModel and LatentModel, and serve the page. Without models it plays a random policy over the
 * 2×2 patch-mean stand-in latents.
 */
import { loadPolicy } from '../agent/load-policy.ts';
import { loadVae } from '../vision/vae/load.ts';
import { startPlayViewer, type PlayViewer } from './index.ts';
import { agentPolicyModel, vaeLatentModel } from './models.ts';
import { PatchMeansModel } from './patch-model.ts';
import type { LatentModel, PolicyModel } from './source.ts';
import { worldSource } from './world.ts';

export interface LaunchOptions {
  host: string;
  port: number;
  /** Host names besides loopback ones the page may be opened under (`--allow-host`). */
  allowHost?: string[];
  env?: string;
  variant?: string;
  variants?: string[];
  fps: number;
  paused?: boolean;
  seed: number;
  vae?: string;
  agent?: string;
  greedy?: boolean;
  title?: string;
  log: (line: string) => void;
}

export interface LaunchedViewer {
  viewer: PlayViewer;
  /** What is playing, in words (for the start-up line). */
  describe: string;
  start: string;
}

/** Loads the models the options name; the caller must already have chosen a tfjs backend. */
export function loadViewerModels(opts: Pick<LaunchOptions, 'vae' | 'agent' | 'greedy' | 'seed'>): { latentModel?: LatentModel; policy?: PolicyModel; describe: string } {
  if (opts.vae === undefined && opts.agent === undefined) {
    return { describe: 'random policy; latents = 2×2 patch mean colours, no β-VAE loaded' };
  }
  let policy: PolicyModel | undefined;
  let vaePath = opts.vae;
  let what = 'random policy';
  if (opts.agent !== undefined) {
    const loaded = loadPolicy(opts.agent, { vae: opts.vae, flag: '--agent' });
    policy = agentPolicyModel(loaded, { seed: opts.seed, deterministic: opts.greedy });
    vaePath ??= loaded.encoderPath ?? undefined;
    what = `${loaded.checkpoint.meta.frontend.kind} agent from ${opts.agent}${opts.greedy ? ' (greedy)' : ''}`;
  }
  if (vaePath === undefined) return { policy, describe: `${what}; latents = 2×2 patch mean colours (the agent has no β-VAE; give --vae to show one)` };
  const { model, info } = loadVae(vaePath);
  return { latentModel: vaeLatentModel(model, info.klPerDim), policy, describe: `${what}; β-VAE from ${info.path} (step ${info.step})` };
}

export async function launchViewer(opts: LaunchOptions): Promise<LaunchedViewer> {
  const world = worldSource({ envId: opts.env, variant: opts.variant, variants: opts.variants });
  const models = loadViewerModels(opts);
  const viewer = await startPlayViewer({
    host: opts.host,
    port: opts.port,
    allowedHosts: opts.allowHost,
    title: opts.title ?? `darla · ${opts.env ?? 'ShapeWorld-v0'}`,
    makeEnv: world.makeEnv,
    variants: world.variants,
    variant: world.start,
    actionNames: world.actionNames,
    latentModel: models.latentModel ?? new PatchMeansModel(),
    policy: models.policy,
    seed: opts.seed,
    fps: opts.fps,
    paused: opts.paused ?? false,
    log: opts.log,
  });
  return { viewer, describe: models.describe, start: world.start };
}
