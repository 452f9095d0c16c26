import { describe, expect, it } from 'vitest';
import { Rng } from '../../../envs/core/rng.ts';
import { UserError } from '../../../envs/core/errors.ts';
import { evaluateDisentanglement, sampleSizes } from '../../../vision/metrics/index.ts';
import { SyntheticWorld, decodeStandardised, standardCodes } from './synthetic.ts';

describe('evaluateDisentanglement', () => {
  const world = new SyntheticWorld();
  const codes = standardCodes(world);

  it('uses disentanglement_lib\'s sample sizes at scale 1 and scales them', () => {
    const ref = sampleSizes(1);
    expect(ref.mig.numTrain).toBe(10000);
    expect(ref.beta_vae).toEqual({ batchSize: 64, numTrain: 10000, numEval: 5000 });
    expect(ref.factor_vae).toEqual({ batchSize: 64, numTrain: 10000, numEval: 5000, numVarianceEstimate: 10000 });
    expect(ref.dci).toEqual({ numTrain: 10000, numTest: 5000 });
    expect(sampleSizes(0.01).dci).toEqual({ numTrain: 100, numTest: 50 });
  });

  it('returns one flat record with every score and timing, reproducibly', async () => {
    const a = await evaluateDisentanglement(world, codes.identity(), new Rng(5), { scale: 0.02 });
    expect(Object.keys(a).sort()).toEqual([
      'beta_vae_eval_accuracy', 'beta_vae_num_factors', 'beta_vae_seconds', 'beta_vae_train_accuracy',
      'dci_completeness', 'dci_disentanglement', 'dci_informativeness_test', 'dci_informativeness_train', 'dci_num_factors', 'dci_seconds',
      'factor_vae_eval_accuracy', 'factor_vae_num_active_dims', 'factor_vae_num_factors', 'factor_vae_seconds', 'factor_vae_train_accuracy',
      'gaussian_total_correlation', 'mig',
      ...world.factorNames.map((n) => `mig_gap_${n}`), 'mig_num_factors', 'mig_seconds',
      ...world.factorNames.map((n) => `mig_top_latent_${n}`), 'total_correlation_seconds',
    ]);
    for (const v of Object.values(a)) expect(Number.isFinite(v)).toBe(true);
    expect(a.mig).toBeGreaterThan(0.8);
    expect(a.beta_vae_eval_accuracy).toBe(1);
    expect(a.factor_vae_eval_accuracy).toBe(1);
    expect(a.dci_disentanglement).toBeGreaterThan(0.9);
    const b = await evaluateDisentanglement(world, codes.identity(), new Rng(5), { scale: 0.02 });
    const strip = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.endsWith('_seconds')));
    expect(strip(b)).toEqual(strip(a));
  });

  it('gives a metric the same value whether it runs alone or with others', async () => {
    // The constant code draws no noise, so any difference could only come from the metric streams.
    const all = await evaluateDisentanglement(world, codes.constant(), new Rng(9), { scale: 0.02, metrics: ['mig', 'dci'] });
    const one = await evaluateDisentanglement(world, codes.constant(), new Rng(9), { scale: 0.02, metrics: ['dci'] });
    expect(one.dci_informativeness_test).toBe(all.dci_informativeness_test);
    expect(one.mig).toBeUndefined();
  });

  it('never sends the encoder more than framesPerCall frames', async () => {
    const rep = codes.identity();
    const r = await evaluateDisentanglement(world, rep, new Rng(2), { scale: 0.005, framesPerCall: 100 });
    expect(rep.maxBatch).toBe(100);
    expect(r.beta_vae_eval_accuracy).toBe(1);
  });

  it('adds KL per latent and active units when given the posterior', async () => {
    const posterior = async (frames: Uint8Array, n: number) => {
      const v = decodeStandardised(world, frames, n);
      return { mean: Float32Array.from(v), logvar: new Float32Array(v.length).fill(-2) };
    };
    const r = await evaluateDisentanglement(world, codes.identity(), new Rng(1), { scale: 0.01, metrics: ['kl'], posterior });
    expect(r.active_units).toBe(world.factorSizes.length);
    expect(r.kl_latent_0).toBeGreaterThan(0.5);
    expect(typeof r.kl_seconds).toBe('number');
  });

  it('refuses bad options with a UserError naming the field', async () => {
    const rep = codes.identity();
    const bad = async (opts: Parameters<typeof evaluateDisentanglement>[3]) => {
      try {
        await evaluateDisentanglement(world, rep, new Rng(1), opts);
      } catch (e) {
        return e;
      }
      return null;
    };
    for (const [opts, field] of [
      [{ scale: 0 }, 'scale'],
      [{ scale: NaN }, 'scale'],
      [{ metrics: ['mig', 'sap'] }, 'metrics'],
      [{ metrics: [] }, 'metrics'],
      [{ metrics: ['kl'] }, 'metrics'],
      [{ framesPerCall: 0 }, 'framesPerCall'],
    ] as const) {
      const e = await bad(opts as Parameters<typeof evaluateDisentanglement>[3]);
      expect(e).toBeInstanceOf(UserError);
      expect((e as UserError).field).toBe(field);
    }
  });
});
