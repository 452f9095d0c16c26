import { describe, expect, it } from 'vitest';
import { Rng } from '../../../envs/core/rng.ts';
import { computeDci, dciCompleteness, dciDisentanglement, dciFromCodes } from '../../../vision/metrics/dci.ts';
import { generateFactorCode } from '../../../vision/metrics/utils.ts';
import { SyntheticWorld, standardCodes } from './synthetic.ts';

describe('DCI (Eastwood & Williams 2018; disentanglement_lib compute_dci)', () => {
  it('scores hand-made importance matrices [latents × factors]', () => {
    const identity = Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(dciDisentanglement(identity, 3, 3)).toBeCloseTo(1, 8);
    expect(dciCompleteness(identity, 3, 3)).toBeCloseTo(1, 8);
    const uniform = new Float64Array(9).fill(1 / 9);
    expect(dciDisentanglement(uniform, 3, 3)).toBeCloseTo(0, 12);
    expect(dciCompleteness(uniform, 3, 3)).toBeCloseTo(0, 12);
    const zero = new Float64Array(9);
    expect(dciDisentanglement(zero, 3, 3)).toBeCloseTo(0, 12);
    expect(dciCompleteness(zero, 3, 3)).toBeCloseTo(0, 12);
    // Two latents both used only for factor 0: each latent is disentangled (D ≈ 1), but factor 0 is
    // spread over both (completeness 1 − log₂2 = 0) and factor 1 has no weight.
    const shared = Float64Array.from([0.5, 0, 0.5, 0]);
    expect(dciDisentanglement(shared, 2, 2)).toBeCloseTo(1, 8);
    expect(dciCompleteness(shared, 2, 2)).toBeCloseTo(0, 8);
    // One latent used for both factors equally, another for factor 1 only.
    const mixed = Float64Array.from([0.25, 0.25, 0, 0.5]);
    // D = ½·(1 − H₂(½,½)) + ½·1 = 0.5; C = ¼·1 + ¾·(1 − H₂(⅓,⅔)).
    expect(dciDisentanglement(mixed, 2, 2)).toBeCloseTo(0.5, 8);
    const h = -(1 / 3) * Math.log2(1 / 3) - (2 / 3) * Math.log2(2 / 3);
    expect(dciCompleteness(mixed, 2, 2)).toBeCloseTo(0.25 + 0.75 * (1 - h), 8);
  });

  const world = new SyntheticWorld();
  const codes = standardCodes(world);
  const f = world.factorSizes.length;
  const sizes = { numTrain: 500, numTest: 250 };

  it('scores identity near 1, a rotation low and a constant code 0', async () => {
    const id = await computeDci(world, codes.identity(), new Rng(1), sizes);
    expect(id.disentanglement).toBeGreaterThan(0.95);
    expect(id.completeness).toBeGreaterThan(0.95);
    expect(id.informativeness_test).toBeGreaterThan(0.95);
    const rot = await computeDci(world, codes.rotation(), new Rng(1), sizes);
    expect(rot.disentanglement).toBeLessThan(0.4);
    expect(rot.disentanglement).toBeLessThan(id.disentanglement - 0.5);
    const c = await computeDci(world, codes.constant(), new Rng(1), sizes);
    expect(c.disentanglement).toBe(0);
    expect(c.completeness).toBe(0);
  });

  it('splits a duplicated factor\'s importance (completeness drops, disentanglement stays)', async () => {
    const rng = new Rng(2);
    const rep = codes.duplicate();
    const train = await generateFactorCode(world, rep, sizes.numTrain, rng);
    const test = await generateFactorCode(world, rep, sizes.numTest, rng);
    const r = dciFromCodes(train, test, rng);
    expect(r.disentanglement).toBeGreaterThan(0.9);
    expect(r.completeness).toBeLessThan(0.96);
    // Factor 0's importance is shared by latents 0 and 1 (the copies).
    expect(r.importance[0 * f + 0]).toBeGreaterThan(0.2);
    expect(r.importance[1 * f + 0]).toBeGreaterThan(0.2);
  });

  it('cannot predict an ignored factor: informativeness ≈ ((F−1) + 1/size) / F', async () => {
    const r = await computeDci(world, codes.ignoreLast(), new Rng(3), sizes);
    const sizeLast = world.factorSizes[f - 1];
    expect(r.informativeness_test).toBeCloseTo((f - 1 + 1 / sizeLast) / f, 1);
  });
});
