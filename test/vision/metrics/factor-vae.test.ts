import { describe, expect, it } from 'vitest';
import { Rng } from '../../../envs/core/rng.ts';
import { computeFactorVae, majorityVoteClassifier, pruneDims, voteAccuracy } from '../../../vision/metrics/factor-vae.ts';
import { SyntheticWorld, linearRepresentation, selectionMatrix, standardCodes } from './synthetic.ts';

describe('FactorVAE score (Kim & Mnih 2018; disentanglement_lib compute_factor_vae)', () => {
  const world = new SyntheticWorld();
  const codes = standardCodes(world);
  const f = world.factorSizes.length;
  const small = { numTrain: 400, numEval: 200, numVarianceEstimate: 1000 };

  it('majority vote and accuracy on a hand-made vote table', () => {
    // votes [factors × latents]: latent 0 ← factor 1 (5 votes), latent 1 ← factor 0 (3), latent 2 ← factor 0 (tie → lowest).
    const votes = Int32Array.from([1, 3, 2, 5, 0, 2]);
    const cls = majorityVoteClassifier(votes, 2, 3);
    expect(Array.from(cls)).toEqual([1, 0, 0]);
    expect(voteAccuracy(votes, cls, 2, 3)).toBeCloseTo((5 + 3 + 2) / 13, 12);
    expect(Array.from(pruneDims(Float64Array.from([0.0025, 0.0024, 1]), 0.05))).toEqual([1, 0, 1]);
  });

  it('scores the identity code 1.0 with all latents active, and a duplicated latent still 1.0', async () => {
    const id = await computeFactorVae(world, codes.identity(), new Rng(1), small);
    expect(id).toEqual({ train_accuracy: 1, eval_accuracy: 1, num_active_dims: f, num_factors: f });
    const dup = await computeFactorVae(world, codes.duplicate(), new Rng(1), small);
    expect(dup).toEqual({ train_accuracy: 1, eval_accuracy: 1, num_active_dims: f + 1, num_factors: f });
  });

  it('gives a constant code no active latents and accuracy 0 (as the reference does)', async () => {
    expect(await computeFactorVae(world, codes.constant(), new Rng(1), small)).toEqual({ train_accuracy: 0, eval_accuracy: 0, num_active_dims: 0, num_factors: f });
  });

  it('loses the ignored factor: accuracy ≈ (F−1)/F + 1/(F·D)', async () => {
    const r = await computeFactorVae(world, codes.ignoreLast(), new Rng(3), { numTrain: 1500, numEval: 1500, numVarianceEstimate: 1000 });
    expect(r.eval_accuracy).toBeCloseTo((f - 1) / f + 1 / (f * f), 1);
    expect(r.eval_accuracy).toBeLessThan(0.92);
  });

  it('prunes latents whose global standard deviation is below 0.05', async () => {
    const a = selectionMatrix([0, 1, 2, 3, 4], f);
    a[4 * f + 4] = 0.02; // latent 4: std 0.02
    const rep = linearRepresentation(world, a, f, 0.001, 4);
    const r = await computeFactorVae(world, rep, new Rng(1), small);
    expect(r.num_active_dims).toBe(f - 1);
  });
});
