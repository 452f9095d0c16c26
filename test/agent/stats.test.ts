import { describe, expect, it } from 'vitest';
import { meanCi95, tQuantile975 } from '../../agent/stats.ts';

describe('meanCi95', () => {
  it('matches a hand-computed t interval', () => {
    // xs = 1, 2, 3, 4: mean 2.5, s = √(5/3) ≈ 1.29099, t(3) = 3.182 → half-width 3.182·1.29099/2 ≈ 2.05397
    const ci = meanCi95([1, 2, 3, 4]);
    expect(ci.mean).toBe(2.5);
    expect(ci.hi - ci.mean).toBeCloseTo((3.182 * Math.sqrt(5 / 3)) / 2, 6);
    expect(ci.mean - ci.lo).toBeCloseTo(ci.hi - ci.mean, 12);
    expect(ci.n).toBe(4);
  });
  it('gives no interval for one unit and uses 1.96 for large samples', () => {
    expect(meanCi95([0.7])).toEqual({ mean: 0.7, lo: 0.7, hi: 0.7, n: 1 });
    expect(tQuantile975(1000)).toBe(1.96);
    expect(tQuantile975(1)).toBe(12.706);
  });
});
