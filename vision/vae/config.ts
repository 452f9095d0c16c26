/**
 * The pretraining config: architecture, objective, which worlds' frames the β-VAE sees, and the
 * optimisation budget. One zod schema gives the type, the defaults and the error messages; unknown
 * keys are rejected. `darla pretrain` builds it from flags or a --config JSON file.
 */
import { z } from 'zod';
import { VaeArchSchema, DEFAULT_ARCH } from './model.ts';
import { ObjectiveSchema, type Objective } from './objectives.ts';
import { DaeConfigSchema } from './dae.ts';
import { BlurSchema } from './augmented-recon.ts';

/** What the reconstruction term compares: pixels, or a DAE's code (DARLA's β-VAE_DAE). */
export const ReconTargetSchema = z.discriminatedUnion('kind', [z.object({ kind: z.literal('pixels') }).strict(), DaeConfigSchema.extend({ kind: z.literal('dae') }).strict()]);
export type ReconTarget = z.infer<typeof ReconTargetSchema>;

export const PretrainDataSchema = z
  .object({
    /** Named variants (or inline variant JSON) whose frames the β-VAE sees before any acting. */
    variants: z.array(z.string().min(1)).min(1),
    /** Frames from a random policy playing those variants. */
    randomPolicyFrames: z.number().int().min(0),
    /** Frames rendered from directly sampled factors (dense coverage of every factor). */
    factorFrames: z.number().int().min(0),
  })
  .strict()
  .refine((d) => d.randomPolicyFrames + d.factorFrames >= 64, { message: 'need at least 64 frames in all (randomPolicyFrames + factorFrames)' });

export const PretrainConfigSchema = z
  .object({
    arch: VaeArchSchema,
    objective: ObjectiveSchema,
    /** Reconstruction in pixel space (default) or in a denoising autoencoder's code. */
    target: ReconTargetSchema.default({ kind: 'pixels' }),
    /** The augmented reconstruction term (Michlo et al. 2023): also compare blurred images. Absent: none. */
    blur: BlurSchema.optional(),
    data: PretrainDataSchema,
    steps: z.number().int().min(1),
    batchSize: z.number().int().min(1).max(1024),
    lr: z.number().positive().max(1),
    /**
     * Step decay of the learning rate: lr × factor^⌊step / every⌋. The boundaries are absolute steps,
     * so a run stopped at step N equals a run of N steps. Absent: constant lr.
     */
    lrDecay: z.object({ every: z.number().int().min(1), factor: z.number().positive().max(1) }).strict().optional(),
    /** Log metrics.jsonl every this many steps. */
    logEvery: z.number().int().min(1),
    /** Save a checkpoint every this many steps (and at the end). */
    checkpointEvery: z.number().int().min(1),
    /** Multiplies the metrics' sample sizes (evaluate.ts METRIC_SHARES; 1 = the project's defaults). */
    metricsScale: z.number().positive().max(50),
  })
  .strict()
  .refine((c) => c.blur === undefined || c.target.kind === 'pixels', { message: 'blur applies to the pixel reconstruction only (not with target dae)', path: ['blur'] });
export type PretrainConfig = z.infer<typeof PretrainConfigSchema>;

/** The learning rate in force at a step (config.lrDecay's step decay, or the constant lr). */
export function lrAt(config: Pick<PretrainConfig, 'lr' | 'lrDecay'>, step: number): number {
  const d = config.lrDecay;
  return d === undefined ? config.lr : config.lr * Math.pow(d.factor, Math.floor(step / d.every));
}

/**
 * Variants the β-VAE sees by default, before the agent acts (DARLA's protocol): the training world
 * and the two shifts DARLA's claim is about. scale-shift, distractor and recombination stay unseen
 * by the vision too (the transfer table says so per row); with every variant in the mix, the same
 * CPU budget left the objects unlearned (measured).
 */
export const DEFAULT_VISION_VARIANTS = ['source', 'color-shift', 'background-shift'];

/** ~13 minutes of wasm on two idle cores (measured ~150 img/s). */
export const DEFAULT_STEPS = 1800;

/**
 * Named recipes for `darla pretrain --preset`: `default` (minutes: what a from-scratch pipeline can
 * afford) and `long` (hours: the shipped vision; see longPretrainConfig).
 */
export const PRETRAIN_PRESETS = ['default', 'long'] as const;
export type PretrainPreset = (typeof PRETRAIN_PRESETS)[number];

/** Steps of the long recipe, and its fixed β warm-up (the schedule does not depend on the run's length). */
export const LONG_STEPS = 30_000;
export const LONG_WARMUP_STEPS = 4000;
export const LONG_LR_HALVING = 6000;
/**
 * β of the long recipe. On 64×64×3 frames the reconstruction term sums 12288 pixels, so β = 4 is a
 * weak pressure (normalised by the data and latent sizes, half of dSprites' β = 4): at β = 4 the
 * long run's code stayed entangled (MIG ≈ 0.01 at 12k steps, KL spread evenly over all latents;
 * docs/vision.md).
 */
export const LONG_BETA = 8;

/**
 * Each objective's defaults. beta: β = 4 reached after a warm-up over the first 40% of the run (from
 * β = 4 at step 0 the KL collapsed to the background within ~600 steps, measured). capacity
 * (Burgess et al.): γ = 1000, C_max = 25 nats, ramp scaled to the run.
 */
export function defaultObjective(kind: Objective['kind'], steps: number): Objective {
  switch (kind) {
    case 'beta':
      return { kind: 'beta', beta: 4, warmupSteps: Math.round(0.4 * steps) };
    case 'capacity':
      // Burgess et al. ramp C over 100k of their steps; a shorter run ramps over most of its length.
      return { kind: 'capacity', gamma: 1000, cMax: 25, rampSteps: Math.max(1, Math.min(100_000, Math.round(0.8 * steps))) };
    case 'tcvae':
      return { kind: 'tcvae', alpha: 1, beta: 6, gamma: 1, datasetSize: 50_000 };
  }
}

export function defaultPretrainConfig(steps = DEFAULT_STEPS): PretrainConfig {
  return {
    // More latents than the world has factors (nine in source): a β-VAE cannot give each factor its
    // own latent when there are fewer latents than factors (DARLA used 32).
    arch: { ...DEFAULT_ARCH, latents: 16 },
    objective: defaultObjective('beta', steps),
    target: { kind: 'pixels' },
    data: { variants: [...DEFAULT_VISION_VARIANTS], randomPolicyFrames: 20_000, factorFrames: 20_000 },
    steps,
    batchSize: 64,
    // Above the usual 1e-4..5e-4: at 2e-3 the same 1500 steps reached what 5e-4 reached in 3000
    // (reconstructions and MIG, measured); 4e-3 was no better.
    lr: 2e-3,
    logEvery: 25,
    checkpointEvery: 500,
    metricsScale: 1,
  };
}

/**
 * The long recipe (the shipped vision, `darla pretrain --preset long`): the default's data and model
 * with more frames, lr 2e-3 halved every LONG_LR_HALVING steps, and a β warm-up of a fixed
 * LONG_WARMUP_STEPS. Nothing in it depends on the planned length, so a run stopped at step N equals a
 * run with `--steps N` bit for bit.
 */
export function longPretrainConfig(steps = LONG_STEPS): PretrainConfig {
  const base = defaultPretrainConfig(steps);
  return {
    ...base,
    objective: presetObjective('long', 'beta', steps),
    data: { ...base.data, randomPolicyFrames: 20_000, factorFrames: 60_000 },
    // 2e-3 learns fastest early (docs/vision.md); halving it keeps the late steps stable.
    lr: 2e-3,
    lrDecay: { every: LONG_LR_HALVING, factor: 0.5 },
    logEvery: 50,
    checkpointEvery: 1000,
  };
}

/** A preset's config for `steps` steps (each preset's own length when not given). */
export function presetPretrainConfig(preset: PretrainPreset, steps?: number): PretrainConfig {
  return preset === 'long' ? longPretrainConfig(steps) : defaultPretrainConfig(steps);
}

/** A preset's default objective of a kind (the long recipe keeps its fixed warm-up for β). */
export function presetObjective(preset: PretrainPreset, kind: Objective['kind'], steps: number): Objective {
  if (preset === 'long' && kind === 'beta') return { kind: 'beta', beta: LONG_BETA, warmupSteps: Math.min(LONG_WARMUP_STEPS, steps) };
  return defaultObjective(kind, steps);
}
