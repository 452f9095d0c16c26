import { describe, expect, it } from 'vitest';
import { Rng } from '../../../envs/core/rng.ts';
import { fitGradientBoosting, predictGradientBoosting } from '../../../vision/metrics/gradient-boosting.ts';
import { accuracyScore } from '../../../vision/metrics/logistic-regression.ts';

describe('gradient boosting (sklearn GradientBoostingClassifier defaults)', () => {
  it('binary stump: prior init, split at the midpoint, Newton leaf Σg/Σp(1−p)', () => {
    const m = fitGradientBoosting([0, 1, 2, 3], [0, 0, 1, 1], 4, 1, new Rng(1), { numEstimators: 1, maxDepth: 1 });
    expect(m.init[0]).toBe(0); // log(2/2)
    const t = m.trees[0];
    expect(t.feature[0]).toBe(0);
    expect(t.threshold[0]).toBe(1.5);
    // g = y − ½ = ∓½, p(1 − p) = ¼ → leaves ∓(1 / 0.5) = ∓2.
    expect(t.value[t.left[0]]).toBeCloseTo(-2, 12);
    expect(t.value[t.right[0]]).toBeCloseTo(2, 12);
    expect(Array.from(predictGradientBoosting(m, [0, 1, 2, 3], 4))).toEqual([0, 0, 1, 1]);
    expect(Array.from(m.featureImportances)).toEqual([1]);
  });

  it('multinomial stump: best split by squared error, leaf (K−1)/K · Σg / Σp(1−p)', () => {
    const m = fitGradientBoosting([0, 1, 2], [0, 1, 2], 3, 1, new Rng(1), { numEstimators: 1, maxDepth: 1 });
    expect(m.trees.length).toBe(3);
    const t0 = m.trees[0]; // class 0: g = (2/3, −1/3, −1/3), p(1 − p) = 2/9 each
    expect(t0.threshold[0]).toBe(0.5);
    expect(t0.value[t0.left[0]]).toBeCloseTo(2, 12); // (2/3)(2/3)/(2/9)
    expect(t0.value[t0.right[0]]).toBeCloseTo(-1, 12); // (2/3)(−2/3)/(4/9)
  });

  it('attributes importance to the informative feature, none to constant ones', () => {
    const rng = new Rng(4);
    const n = 400;
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < n; i++) {
      const c = rng.int(4);
      y.push(c);
      x.push(rng.normal(), c + 0.1 * rng.normal(), 5);
    }
    const m = fitGradientBoosting(x, y, n, 3, new Rng(1));
    expect(m.featureImportances[1]).toBeGreaterThan(0.95);
    expect(m.featureImportances[2]).toBe(0);
    expect(m.featureImportances.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(accuracyScore(predictGradientBoosting(m, x, n), y)).toBe(1);
  });

  it('needs both features for XOR and shares importance between exact duplicates', () => {
    const rng = new Rng(5);
    const n = 400;
    const xor: number[] = [];
    const dup: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < n; i++) {
      const a = rng.int(2);
      const b = rng.int(2);
      y.push(a ^ b);
      xor.push(a + 0.1 * rng.uniform(), b + 0.1 * rng.uniform());
      const v = a + 2 * b + 0.1 * rng.uniform();
      dup.push(v, v);
    }
    const mx = fitGradientBoosting(xor, y, n, 2, new Rng(1));
    expect(accuracyScore(predictGradientBoosting(mx, xor, n), y)).toBe(1);
    expect(Math.min(...mx.featureImportances)).toBeGreaterThan(0.2);
    const md = fitGradientBoosting(dup, y, n, 2, new Rng(1));
    expect(Math.min(...md.featureImportances)).toBeGreaterThan(0.25);
  });

  it('is deterministic for a seed, and a single class yields zero importances', () => {
    const x = [0, 1, 2, 3, 4, 5];
    const y = [0, 1, 2, 0, 1, 2];
    const a = fitGradientBoosting(x, y, 6, 1, new Rng(9), { numEstimators: 5 });
    const b = fitGradientBoosting(x, y, 6, 1, new Rng(9), { numEstimators: 5 });
    expect(Array.from(predictGradientBoosting(a, x, 6))).toEqual(Array.from(predictGradientBoosting(b, x, 6)));
    const one = fitGradientBoosting(x, [4, 4, 4, 4, 4, 4], 6, 1, new Rng(1));
    expect(Array.from(one.featureImportances)).toEqual([0]);
    expect(Array.from(predictGradientBoosting(one, [9], 1))).toEqual([4]);
  });
});
