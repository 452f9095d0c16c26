import { describe, expect, it } from 'vitest';
import { Rng } from '../../../envs/core/rng.ts';
import { activeUnitsByKl, activeUnitsByVariance, computeKl, klPerLatent } from '../../../vision/metrics/kl.ts';
import { SyntheticWorld, decodeStandardised } from './synthetic.ts';

describe('KL per latent and active units', () => {
  it('matches ½(μ² + σ² − log σ² − 1) by hand', () => {
    // Latent 0: prior-matching (0); latent 1: μ = 1, σ² = 1 (½); latent 2: μ = 0, σ² = 2 (½(1 − ln 2)).
    const mean = [0, 1, 0, 0, 1, 0];
    const logvar = [0, 0, Math.log(2), 0, 0, Math.log(2)];
    const kl = klPerLatent(mean, logvar, 2, 3);
    expect(kl[0]).toBe(0);
    expect(kl[1]).toBeCloseTo(0.5, 12);
    expect(kl[2]).toBeCloseTo(0.5 * (1 - Math.LN2), 12);
    expect(activeUnitsByKl(kl)).toBe(2);
    expect(activeUnitsByKl([0.005, 0.02])).toBe(1);
    // Burda et al.: variance of the mean over data > 0.01.
    expect(activeUnitsByVariance([0, 5, 0.2, 5, 0, 5.001], 3, 2)).toBe(1);
  });

  it('computes per-latent KL of an encoder posterior on a world', async () => {
    const world = new SyntheticWorld([4, 4]);
    // Latent 0 = standardised factor 0 with σ² = 1 (KL = ½E[v²] = ½); latent 1 collapsed to the prior.
    const posterior = async (frames: Uint8Array, n: number) => {
      const v = decodeStandardised(world, frames, n);
      const mean = new Float32Array(n * 2);
      for (let i = 0; i < n; i++) mean[i * 2] = v[i * 2];
      return { mean, logvar: new Float32Array(n * 2) };
    };
    const s = await computeKl(world, posterior, new Rng(1), { numSamples: 4000 });
    expect(s.kl_latent_0).toBeCloseTo(0.5, 1);
    expect(s.kl_latent_1).toBe(0);
    expect(s.kl_total).toBeCloseTo(s.kl_latent_0, 12);
    expect(s.active_units).toBe(1);
    expect(s.active_units_variance).toBe(1);
  });
});
