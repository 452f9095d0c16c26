import { describe, expect, it } from 'vitest';
import { Rng } from '../../../envs/core/rng.ts';
import { UserError } from '../../../envs/core/errors.ts';
import { computeMig, migFromCodes } from '../../../vision/metrics/mig.ts';
import type { RepresentationFn } from '../../../vision/metrics/types.ts';
import { SyntheticWorld, standardCodes } from './synthetic.ts';

describe('MIG (Chen et al. 2018; disentanglement_lib compute_mig)', () => {
  // A balanced design: every (f0, f1) pair once, so factors are exactly independent in the sample.
  const factors = Int32Array.from([0, 0, 0, 1, 1, 0, 1, 1]);

  it('is 1 for a code that copies each factor, and loses a factor\'s gap when its latent is duplicated', () => {
    const copy = [0, 0, 0, 1, 1, 0, 1, 1];
    expect(migFromCodes(copy, factors, 4, 2, 2).mig).toBeCloseTo(1, 12);
    // Latents (f0, f0, f1): factor 0's two best latents tie (gap 0), factor 1 keeps gap 1 → 0.5.
    const dup = [0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 1, 1];
    const r = migFromCodes(dup, factors, 4, 3, 2);
    expect(r.mig).toBeCloseTo(0.5, 12);
    expect(r.mutualInfo.length).toBe(3 * 2);
    expect(r.entropy[0]).toBeCloseTo(Math.LN2, 12);
    expect(() => migFromCodes([0, 1, 2, 3], factors, 4, 1, 2)).toThrow(UserError);
  });

  const world = new SyntheticWorld();
  const codes = standardCodes(world);
  const run = (rep: RepresentationFn) => computeMig(world, rep, new Rng(7), { numTrain: 1000 });

  it('separates identity (near 1), rotation (low) and constant (0) codes', async () => {
    const identity = (await run(codes.identity())).mig;
    const rotation = (await run(codes.rotation())).mig;
    const constant = (await run(codes.constant())).mig;
    expect(identity).toBeGreaterThan(0.9);
    expect(rotation).toBeLessThan(0.3);
    expect(rotation).toBeLessThan(identity - 0.5);
    expect(constant).toBe(0);
  });

  it('drops by one factor\'s share (1/F) for a duplicated latent or an ignored factor', async () => {
    const identity = (await run(codes.identity())).mig;
    const f = world.factorSizes.length;
    expect((await run(codes.duplicate())).mig).toBeCloseTo((identity * (f - 1)) / f, 1);
    expect((await run(codes.ignoreLast())).mig).toBeCloseTo((identity * (f - 1)) / f, 1);
  });
});
