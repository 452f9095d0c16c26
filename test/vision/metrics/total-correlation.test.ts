import { describe, expect, it } from 'vitest';
import { Rng } from '../../../envs/core/rng.ts';
import { computeTotalCorrelation, gaussianTotalCorrelation } from '../../../vision/metrics/total-correlation.ts';
import { SyntheticWorld, standardCodes } from './synthetic.ts';

describe('Gaussian total correlation of the means (disentanglement_lib gaussian_total_correlation)', () => {
  it('is −½ log(1 − ρ²) for two latents with correlation ρ', () => {
    // Rows (a, a + b) over the balanced ±1 design: ρ = 1/√2 exactly → TC = ½ ln 2.
    const rows = [-1, -2, -1, 0, 1, 0, 1, 2];
    expect(gaussianTotalCorrelation(rows, 4, 2)).toBeCloseTo(0.5 * Math.LN2, 12);
  });

  it('is 0 for uncorrelated or constant latents and +Infinity for an exact duplicate', () => {
    expect(gaussianTotalCorrelation([-1, -1, -1, 1, 1, -1, 1, 1], 4, 2)).toBeCloseTo(0, 12);
    expect(gaussianTotalCorrelation([3, -1, 3, 1, 3, 2], 3, 2)).toBe(0);
    expect(gaussianTotalCorrelation([1, 1, 2, 2, 4, 4], 3, 2)).toBe(Infinity);
  });

  it('is near 0 for the identity code and large for a duplicated latent', async () => {
    const world = new SyntheticWorld();
    const codes = standardCodes(world);
    const id = await computeTotalCorrelation(world, codes.identity(), new Rng(1), { numTrain: 2000 });
    expect(id.gaussian_total_correlation).toBeLessThan(0.02);
    const dup = await computeTotalCorrelation(world, codes.duplicate(), new Rng(1), { numTrain: 2000 });
    expect(dup.gaussian_total_correlation).toBeGreaterThan(2);
  });
});
