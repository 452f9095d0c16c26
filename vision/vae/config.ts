/**
 * The pretraining config: architecture, objective, which worlds' frames the β-VAE sees, and the
 * optimisation budget. One zod schema gives the type, the defaults and the error messages; unknown
 * keys are rejected. `darla pretrain` builds it from flags or a --config JSON file.
 */
import { z } from 'zod';
import { VaeArchSchema, DEFAULT_ARCH } from './model.ts';
import { ObjectiveSchema, type Objective } from './objectives.ts';
import { DaeConfigSchema } from './dae.ts';

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
    data: PretrainDataSchema,
    steps: z.number().int().min(1),
    batchSize: z.number().int().min(1).max(1024),
    lr: z.number().positive().max(1),
    /** Log metrics.jsonl every this many steps. */
    logEvery: z.number().int().min(1),
    /** Save a checkpoint every this many steps (and at the end). */
    checkpointEvery: z.number().int().min(1),
    /** Multiplies the metrics' sample sizes (evaluate.ts METRIC_SHARES; 1 = the project's defaults). */
    metricsScale: z.number().positive().max(50),
  })
  .strict();
export type PretrainConfig = z.infer<typeof PretrainConfigSchema>;

/** Variants the β-VAE sees by default: every world the agent may meet, before it acts (DARLA). */
export const DEFAULT_VISION_VARIANTS = ['source', 'color-shift', 'background-shift', 'scale-shift', 'distractor', 'recombination'];

export const DEFAULT_STEPS = 3000;

/** The capacity objective's defaults (Burgess et al.): γ = 1000, C_max = 25 nats, ramp scaled to the run. */
export function defaultObjective(kind: Objective['kind'], steps: number): Objective {
  switch (kind) {
    case 'beta':
      return { kind: 'beta', beta: 4 };
    case 'capacity':
      // Burgess et al. ramp C over 100k of their steps; a shorter run ramps over most of its length.
      return { kind: 'capacity', gamma: 1000, cMax: 25, rampSteps: Math.max(1, Math.min(100_000, Math.round(0.8 * steps))) };
    case 'tcvae':
      return { kind: 'tcvae', alpha: 1, beta: 6, gamma: 1, datasetSize: 50_000 };
  }
}

export function defaultPretrainConfig(steps = DEFAULT_STEPS): PretrainConfig {
  return {
    arch: { ...DEFAULT_ARCH },
    objective: defaultObjective('capacity', steps),
    target: { kind: 'pixels' },
    data: { variants: [...DEFAULT_VISION_VARIANTS], randomPolicyFrames: 30_000, factorFrames: 30_000 },
    steps,
    batchSize: 64,
    lr: 5e-4,
    logEvery: 25,
    checkpointEvery: 500,
    metricsScale: 1,
  };
}
