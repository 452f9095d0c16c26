import { describe, expect, it } from 'vitest';
import { Rng } from '../../../envs/core/rng.ts';
import { betaVaePoints, computeBetaVae } from '../../../vision/metrics/beta-vae.ts';
import { SyntheticWorld, standardCodes } from './synthetic.ts';

describe('BetaVAE score (Higgins et al. 2017; disentanglement_lib compute_beta_vae_sklearn)', () => {
  const world = new SyntheticWorld();
  const codes = standardCodes(world);
  const f = world.factorSizes.length;

  it('builds points whose smallest |z1 − z2| latent is the held factor for the identity code', async () => {
    const rep = codes.identity();
    const pts = await betaVaePoints(world, rep, 64, 40, new Rng(3));
    expect(pts.numLatents).toBe(f);
    expect(pts.features.length).toBe(40 * f);
    for (let i = 0; i < 40; i++) {
      const row = Array.from(pts.features.subarray(i * f, (i + 1) * f));
      expect(row.indexOf(Math.min(...row))).toBe(pts.labels[i]);
      expect(pts.labels[i]).toBeGreaterThanOrEqual(0);
      expect(pts.labels[i]).toBeLessThan(f);
    }
  });

  it('scores the identity code 1.0 and a constant code at chance', async () => {
    const id = await computeBetaVae(world, codes.identity(), new Rng(1), { numTrain: 300, numEval: 200 });
    expect(id.train_accuracy).toBe(1);
    expect(id.eval_accuracy).toBe(1);
    // Constant code: all features 0, the classifier predicts the commonest training label (≈ 1/F).
    const c = await computeBetaVae(world, codes.constant(), new Rng(1), { numTrain: 300, numEval: 1000 });
    expect(c.eval_accuracy).toBeGreaterThan(1 / f - 0.08);
    expect(c.eval_accuracy).toBeLessThan(1 / f + 0.08);
  });

  it('still scores ~1 when one factor is ignored (the blind spot Kim & Mnih 2018 point out)', async () => {
    const r = await computeBetaVae(world, codes.ignoreLast(), new Rng(2), { numTrain: 300, numEval: 200 });
    expect(r.eval_accuracy).toBeGreaterThan(0.95);
  });
});
