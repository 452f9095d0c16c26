/**
 * DARLA's perceptual target (Higgins et al. 2017, §3.2, "β-VAE_DAE"): a denoising autoencoder J is
 * trained first on the same frames (masking noise in, clean frame out); the β-VAE then measures its
 * reconstruction error in J's bottleneck, ‖J(x̂) − J(x)‖², instead of per pixel. J reuses the β-VAE
 * network with a wide deterministic code (its μ; log σ² is unused) and is frozen afterwards.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { mixSeed, Rng } from '../../envs/core/rng.ts';
import { createProgress } from '../../envs/util/progress.ts';
import { CheckpointDir, loadCheckpoint } from '../checkpoint/format.ts';
import { assignArrays, variablesToArrays } from '../checkpoint/tensors.ts';
import { Adam } from '../train/adam.ts';
import { framesToTensor } from './frames.ts';
import { BetaVae, type VaeArch } from './model.ts';
import { reconstructionPerSample } from './objectives.ts';

export const DaeConfigSchema = z
  .object({
    /** Width of J's bottleneck (DARLA used 100). */
    bottleneck: z.number().int().min(1).max(1024),
    /** Training steps of the DAE (batch as the β-VAE's). */
    steps: z.number().int().min(1),
    /** Fraction of pixels zeroed in the DAE's input (masking noise, Vincent et al. 2008). */
    maskRate: z.number().min(0).max(0.95),
  })
  .strict();
export type DaeConfig = z.infer<typeof DaeConfigSchema>;

export const DAE_CHECKPOINT_KIND = 'dae';

export function daeArch(vaeArch: VaeArch, cfg: DaeConfig): VaeArch {
  return { ...vaeArch, latents: cfg.bottleneck };
}

/** J(x): the frozen DAE's bottleneck code for images in [0, 1]. */
export function daeFeatures(dae: BetaVae, x: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => dae.encode(x).mu);
}

/** Zeroes a random `rate` of the pixels (all channels of a pixel together), seeded. */
function mask(x: tf.Tensor4D, rate: number, seed: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w] = x.shape;
    const keep = tf.cast(tf.greaterEqual(tf.randomUniform([n, h, w, 1], 0, 1, 'float32', seed), rate), 'float32');
    return tf.mul(x, keep) as tf.Tensor4D;
  });
}

export interface TrainDaeOptions {
  dir: string;
  seed: number;
  batchSize: number;
  lr: number;
  quiet?: boolean;
  log?: (line: string) => void;
  shouldStop?: () => boolean;
}

/**
 * Trains (or resumes, or just loads when finished) the DAE in `dir` on `frames` and returns it
 * frozen. Checkpoints every quarter of the run; the data order and masks are seeded by step.
 */
export async function trainDae(frames: Uint8Array, count: number, vaeArch: VaeArch, cfg: DaeConfig, opts: TrainDaeOptions): Promise<{ dae: BetaVae; finished: boolean }> {
  const arch = daeArch(vaeArch, cfg);
  const dae = new BetaVae(arch, mixSeed(opts.seed, 0xdae));
  const optimizer = new Adam(dae.params, { lr: opts.lr });
  const ckpts = new CheckpointDir(opts.dir);
  let step = 0;
  const latest = ckpts.latest();
  if (latest !== null) {
    const ckpt = loadCheckpoint(latest, { kind: DAE_CHECKPOINT_KIND, arch });
    assignArrays(dae.params, ckpt.arrays, 'model/', latest);
    optimizer.setState({ t: ckpt.meta.optimizerStep as number, arrays: ckpt.arrays });
    step = ckpt.meta.step;
  }
  const save = () => {
    const opt = optimizer.getState();
    ckpts.save({ meta: { kind: DAE_CHECKPOINT_KIND, arch, step, optimizerStep: opt.t, config: cfg }, arrays: { ...variablesToArrays(dae.params, 'model/'), ...opt.arrays } });
  };
  const frameBytes = 64 * 64 * 3;
  const batch = new Uint8Array(opts.batchSize * frameBytes);
  const progress = createProgress({ label: 'dae', total: cfg.steps, start: step, fields: ['recon'], quiet: opts.quiet });
  const varList = dae.params.map(([, v]) => v);
  const every = Math.max(1, Math.floor(cfg.steps / 4));
  try {
    while (step < cfg.steps && !(opts.shouldStop?.() ?? false)) {
      const rng = new Rng(mixSeed(opts.seed, 0xdae, step));
      for (let i = 0; i < opts.batchSize; i++) {
        const idx = rng.int(count);
        batch.set(frames.subarray(idx * frameBytes, (idx + 1) * frameBytes), i * frameBytes);
      }
      const x = framesToTensor(batch, opts.batchSize);
      const { value, grads } = tf.variableGrads(() => {
        const noisy = mask(x, cfg.maskRate, mixSeed(opts.seed, 0x3a5c, step));
        const logits = dae.decode(dae.encode(noisy).mu);
        return tf.mean(reconstructionPerSample(logits, x, vaeArch.likelihood)) as tf.Scalar;
      }, varList);
      const loss = (await value.data())[0];
      if (!Number.isFinite(loss)) {
        tf.dispose([x, value, ...Object.values(grads)]);
        throw new Error(`DAE loss became ${loss} at step ${step + 1}; the last good checkpoint is kept`);
      }
      const named: Record<string, tf.Tensor> = {};
      for (const [name, v] of dae.params) named[name] = grads[v.name];
      optimizer.apply(named);
      tf.dispose([x, value, ...Object.values(grads)]);
      step += 1;
      progress.update(step, { recon: loss.toFixed(1) });
      if (step % every === 0 || step === cfg.steps) save();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    progress.stop();
    optimizer.dispose();
  }
  if (step < cfg.steps) save();
  opts.log?.(`dae: ${step}/${cfg.steps} steps (bottleneck ${cfg.bottleneck}, masking ${cfg.maskRate})`);
  return { dae, finished: step >= cfg.steps };
}
