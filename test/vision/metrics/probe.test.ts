import { describe, expect, it } from 'vitest';
import { Rng } from '../../../envs/core/rng.ts';
import { computeProbe, fitMlp, fitRidge, orderAccuracy, predictMlp, predictRidge, probeFromCodes, r2Score, type ProbeSpec } from '../../../vision/metrics/probe.ts';
import type { RepresentationFn } from '../../../vision/metrics/types.ts';
import { SyntheticWorld, standardCodes } from './synthetic.ts';

/** Two objects on a 10×10 board and one nuisance factor, named as the probe reads them. */
class TwoObjects extends SyntheticWorld {
  override readonly factorNames = ['goal_x', 'goal_y', 'hazard_x', 'hazard_y', 'colour'];
  constructor() {
    super([10, 10, 10, 10, 4]);
  }
}

const SPEC: ProbeSpec = { objects: ['goal', 'hazard'], identity: { first: 'goal', second: 'hazard', minGap: 2 } };

describe('task probe (an MLP and a linear reader: R² for positions, which object is where from the predicted order)', () => {
  it('ridge regression recovers an exact linear map, and R² matches its definition', () => {
    // y = 2·x0 − x1 + 3 on 6 rows.
    const x = Float64Array.from([0, 0, 1, 0, 0, 1, 1, 1, 2, 3, -1, 2]);
    const y = [3, 5, 2, 4, 4, -1];
    const m = fitRidge(x, y, 6, 2, 1e-9);
    expect(m[0]).toBeCloseTo(2, 6);
    expect(m[1]).toBeCloseTo(-1, 6);
    expect(m[2]).toBeCloseTo(3, 6);
    expect(Array.from(predictRidge(m, x, 6, 2)).map((v) => Math.round(v * 1e6) / 1e6)).toEqual(y);
    expect(r2Score([1, 2, 3], [1, 2, 3])).toBe(1);
    expect(r2Score([2, 2, 2], [1, 2, 3])).toBe(0);
    // SS_res = 0.25 + 0 + 0.25, SS_tot = 2 → 1 − 0.25.
    expect(r2Score([1.5, 2, 2.5], [1, 2, 3])).toBeCloseTo(0.75, 12);
    expect(r2Score([4, 4], [4, 4])).toBe(1);
    // Order: rows 0 and 2 are apart (row 1 is not), row 0 predicted right, row 2 a tie.
    expect(orderAccuracy([0, 5, 9], [4, 5, 1], [0.1, 0.7, 3], [0.2, 0.2, 3], 2)).toBe(0.75);
    expect(orderAccuracy([1], [1], [0], [1], 1)).toBeNaN();
  });

  it('fits an MLP to a nonlinear map a linear reader cannot, deterministically for a seed', () => {
    const rng = new Rng(4);
    const n = 600;
    const x = Float64Array.from({ length: n * 2 }, () => 2 * rng.uniform() - 1);
    // y = x0² + |x1|: no linear part at all.
    const y = Float64Array.from({ length: n }, (_, i) => x[2 * i] ** 2 + Math.abs(x[2 * i + 1]));
    const opts = { hidden: 16, epochs: 150, batchSize: 32, lr: 1e-2, seed: 1 };
    const m = fitMlp(x, y, n, 2, 1, opts);
    expect(r2Score(predictMlp(m, x, n), y)).toBeGreaterThan(0.9);
    expect(r2Score(predictRidge(fitRidge(x, y, n, 2, 1e-6), x, n, 2), y)).toBeLessThan(0.05);
    expect(fitMlp(x, y, n, 2, 1, opts).params).toEqual(m.params);
  });

  const world = new TwoObjects();
  const codes = standardCodes(world);
  const run = (rep: RepresentationFn) => computeProbe(world, rep, new Rng(3), SPEC, { numTrain: 800, numTest: 400 });

  it('reads positions and identity from a disentangled code and from a rotated one alike', async () => {
    for (const rep of [codes.identity(), codes.rotation()]) {
      const s = await run(rep);
      expect(s.probe_r2_goal).toBeGreaterThan(0.99);
      expect(s.probe_r2_hazard).toBeGreaterThan(0.99);
      expect(s.probe_r2_min).toBe(Math.min(s.probe_r2_goal, s.probe_r2_hazard));
      expect(s.probe_identity_accuracy).toBeGreaterThan(0.97);
      expect(s.probe_linear_r2_goal).toBeGreaterThan(0.99);
      expect(s.probe_linear_identity_accuracy).toBeGreaterThan(0.97);
    }
  });

  it('gives a constant code R² 0 and identity 0.5, and an unordered code chance identity', async () => {
    const constant = await run(codes.constant());
    expect(constant.probe_r2_min).toBeLessThanOrEqual(0);
    expect(constant.probe_r2_min).toBeGreaterThan(-0.05);
    expect(Math.abs(constant.probe_identity_accuracy - 0.5)).toBeLessThan(0.1);
    // Where the two objects are, without saying which is which: sums and distances of their coordinates.
    const unordered: RepresentationFn = async (frames, n) => {
      const z = new Float32Array(n * 4);
      for (let i = 0; i < n; i++) {
        const [gx, gy, hx, hy] = [0, 1, 2, 3].map((k) => frames[i * 48 + k]);
        z.set([gx + hx, gy + hy, Math.abs(gx - hx), Math.abs(gy - hy)], i * 4);
      }
      return z;
    };
    const s = await run(unordered);
    for (const reader of ['probe_', 'probe_linear_']) {
      expect(s[`${reader}identity_accuracy`]).toBeGreaterThan(0.4);
      expect(s[`${reader}identity_accuracy`]).toBeLessThan(0.6);
      expect(s[`${reader}r2_goal`]).toBeLessThan(0.8);
    }
  });

  it('is a pure function of the two samples (same codes → same scores) and names a missing factor', () => {
    const rng = new Rng(1);
    const sample = (n: number) => {
      const factors = world.sampleFactors(n, rng);
      const codes = Float64Array.from(factors, (v) => v + 0.01 * rng.normal());
      return { codes, factors, numPoints: n, numLatents: 5, numFactors: 5 };
    };
    const train = sample(300);
    const test = sample(200);
    const a = probeFromCodes(train, test, world.factorNames, world.factorSizes, SPEC);
    expect(probeFromCodes(train, test, world.factorNames, world.factorSizes, SPEC)).toEqual(a);
    expect(a.probe_r2_goal_x).toBeGreaterThan(0.98);
    expect(a.probe_linear_r2_goal_x).toBeGreaterThan(0.99);
    expect(() => probeFromCodes(train, test, world.factorNames, world.factorSizes, { objects: ['agent'] })).toThrow(/no factor 'agent_x'/);
  });
});
