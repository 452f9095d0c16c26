import { describe, expect, it } from 'vitest';
import { Rng } from '../../../envs/core/rng.ts';
import { UserError } from '../../../envs/core/errors.ts';
import {
  discreteEntropy,
  discreteMutualInfo,
  generateFactorCode,
  histogramDiscretize,
  mutualInfoScore,
} from '../../../vision/metrics/utils.ts';
import { cholesky, choleskyLogDet, choleskySolve, columnVariances, covariance } from '../../../vision/metrics/linalg.ts';
import { SyntheticWorld, linearRepresentation, selectionMatrix } from './synthetic.ts';

describe('mutual information and entropy (natural log, sklearn mutual_info_score)', () => {
  it('matches hand-computed 2×2 tables', () => {
    // Perfectly dependent: I = H = ln 2.
    expect(mutualInfoScore([0, 0, 1, 1], [0, 0, 1, 1])).toBeCloseTo(Math.LN2, 12);
    // Relabelling does not matter.
    expect(mutualInfoScore([0, 0, 1, 1], [1, 1, 0, 0])).toBeCloseTo(Math.LN2, 12);
    // Independent: 0.
    expect(mutualInfoScore([0, 0, 1, 1], [0, 1, 0, 1])).toBe(0);
    // Table [[2, 1], [0, 1]] over n = 4: p_a = (3/4, 1/4), p_b = (1/2, 1/2).
    const expected = (2 / 4) * Math.log((2 / 4) / ((3 / 4) * (1 / 2))) + (1 / 4) * Math.log((1 / 4) / ((3 / 4) * (1 / 2))) + (1 / 4) * Math.log((1 / 4) / ((1 / 4) * (1 / 2)));
    expect(mutualInfoScore([0, 0, 0, 1], [0, 0, 1, 1])).toBeCloseTo(expected, 12);
    expect(expected).toBeCloseTo(0.2157615543388357, 12);
    // A constant labelling shares nothing.
    expect(mutualInfoScore([3, 3, 3, 3], [0, 1, 2, 3])).toBe(0);
  });

  it('computes factor entropies and the [latents × factors] matrix', () => {
    // Factor 0: (0,0,0,1) → H = −(¾ ln ¾ + ¼ ln ¼); factor 1: uniform over 4 → ln 4.
    const factors = Int32Array.from([0, 0, 0, 1, 0, 2, 1, 3]);
    const h = discreteEntropy(factors, 4, 2);
    expect(h[0]).toBeCloseTo(-(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25)), 12);
    expect(h[1]).toBeCloseTo(Math.log(4), 12);
    // Latent 0 copies factor 1, latent 1 copies factor 0, latent 2 is constant.
    const codes = Int32Array.from([0, 0, 5, 1, 0, 5, 2, 0, 5, 3, 1, 5]);
    const m = discreteMutualInfo(codes, factors, 4, 3, 2);
    expect(m.length).toBe(6);
    expect(m[0 * 2 + 1]).toBeCloseTo(h[1], 12);
    expect(m[1 * 2 + 0]).toBeCloseTo(h[0], 12);
    expect(m[0 * 2 + 0]).toBeCloseTo(h[0], 12); // latent 0 (4 values) determines factor 0 too
    expect(m[2 * 2 + 0]).toBe(0);
    expect(m[2 * 2 + 1]).toBe(0);
  });
});

describe('histogramDiscretize (np.digitize on np.histogram edges, 0-based)', () => {
  it('puts values on an edge in the upper bin and the maximum in the last bin', () => {
    // One latent over [0, 20]: 20 bins of width 1.
    const x = [0, 0.999, 1, 1.5, 10, 19.999, 20, 7];
    const b = histogramDiscretize(x, x.length, 1, 20);
    expect(Array.from(b)).toEqual([0, 0, 1, 1, 10, 19, 19, 7]);
  });

  it('bins each latent over its own range', () => {
    // Latent 0 in [0, 1], latent 1 in [−100, 100]; 4 bins.
    const x = [0, -100, 0.5, 0, 1, 100, 0.24, -50.1];
    const b = histogramDiscretize(x, 4, 2, 4);
    expect(Array.from(b)).toEqual([0, 0, 2, 2, 3, 3, 0, 0]);
  });

  it('puts a constant latent in one bin and refuses NaN with a UserError', () => {
    const b = histogramDiscretize([3, 3, 3], 3, 1, 20);
    expect(new Set(b).size).toBe(1);
    expect(() => histogramDiscretize([0, NaN], 2, 1)).toThrow(UserError);
  });
});

describe('generateFactorCode', () => {
  it('encodes in bounded batches and keeps codes aligned with their factors', async () => {
    const world = new SyntheticWorld([3, 4]);
    const rep = linearRepresentation(world, selectionMatrix([1, 0], 2), 2, 0);
    const fc = await generateFactorCode(world, rep, 1000, new Rng(3), 128);
    expect(fc.numLatents).toBe(2);
    expect(fc.codes.length).toBe(2000);
    expect(rep.maxBatch).toBe(128);
    expect(rep.calls).toBe(8);
    for (let i = 0; i < 1000; i++) {
      // latent 0 = standardised factor 1 (size 4), latent 1 = standardised factor 0 (size 3)
      expect(fc.codes[i * 2]).toBeCloseTo((fc.factors[i * 2 + 1] - 1.5) / Math.sqrt(15 / 12), 5);
      expect(fc.codes[i * 2 + 1]).toBeCloseTo((fc.factors[i * 2] - 1) / Math.sqrt(8 / 12), 5);
    }
  });

  it('refuses a representation that returns NaN', async () => {
    const world = new SyntheticWorld([3, 4]);
    const bad = async (_f: Uint8Array, n: number) => new Float32Array(n * 2).fill(NaN);
    await expect(generateFactorCode(world, bad, 10, new Rng(1))).rejects.toThrow(/non-finite/);
  });
});

describe('linear algebra', () => {
  it('covariance, Cholesky solve and log-determinant agree with hand values', () => {
    const x = [1, 2, 3, 4, 5, 7]; // rows (1,2), (3,4), (5,7)
    const cov = covariance(x, 3, 2);
    expect(Array.from(cov)).toEqual([4, 5, 5, 6.333333333333333].map((v) => expect.closeTo(v, 12)));
    expect(Array.from(columnVariances(x, 3, 2))).toEqual([expect.closeTo(4, 12), expect.closeTo(19 / 3, 12)]);
    const a = [4, 2, 2, 3];
    const l = cholesky(a, 2);
    expect(l).not.toBeNull();
    expect(choleskyLogDet(l!, 2)).toBeCloseTo(Math.log(8), 12);
    const sol = choleskySolve(l!, 2, [2, 1]); // 4x + 2y = 2, 2x + 3y = 1 → x = 0.5, y = 0
    expect(sol[0]).toBeCloseTo(0.5, 12);
    expect(sol[1]).toBeCloseTo(0, 12);
    expect(cholesky([1, 1, 1, 1], 2)).toBeNull();
  });
});
