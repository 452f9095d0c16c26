import { describe, expect, it } from 'vitest';
import { Rng } from '../../../envs/core/rng.ts';
import { accuracyScore, fitLogisticRegression, predictLogisticRegression } from '../../../vision/metrics/logistic-regression.ts';

/** Gradient of Σ −log p(y|x) + ‖W‖²/(2C) at the model's parameters (multinomial, K ≥ 3). */
function gradientNorm(params: Float64Array, x: number[], y: number[], n: number, d: number, k: number, c: number): number {
  const g = new Float64Array(params.length);
  const logits = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < k; a++) {
      let s = params[a * (d + 1) + d];
      for (let j = 0; j < d; j++) s += params[a * (d + 1) + j] * x[i * d + j];
      logits[a] = s;
    }
    const mx = Math.max(...logits);
    const e = Array.from(logits, (v) => Math.exp(v - mx));
    const z = e.reduce((p, q) => p + q, 0);
    for (let a = 0; a < k; a++) {
      const r = e[a] / z - (y[i] === a ? 1 : 0);
      for (let j = 0; j < d; j++) g[a * (d + 1) + j] += r * x[i * d + j];
      g[a * (d + 1) + d] += r;
    }
  }
  for (let a = 0; a < k; a++) for (let j = 0; j < d; j++) g[a * (d + 1) + j] += params[a * (d + 1) + j] / c;
  return Math.max(...Array.from(g, Math.abs));
}

describe('logistic regression (sklearn defaults: C = 1, unpenalised intercept)', () => {
  it('intercept-only fits give the class log-odds / log-priors', () => {
    // Binary, features all 0: sigmoid(b) = 1/4 → b = log(1/3).
    const bin = fitLogisticRegression([0, 0, 0, 0], [0, 0, 0, 1], 4, 1);
    expect(bin.params[1]).toBeCloseTo(Math.log(1 / 3), 8);
    expect(bin.params[0]).toBe(0);
    // Three classes 2:1:1 → softmax(b) = priors.
    const multi = fitLogisticRegression([0, 0, 0, 0], [0, 0, 1, 2], 4, 1);
    const b = [multi.params[1], multi.params[3], multi.params[5]];
    const z = b.reduce((s, v) => s + Math.exp(v), 0);
    expect(Math.exp(b[0]) / z).toBeCloseTo(0.5, 8);
    expect(Math.exp(b[1]) / z).toBeCloseTo(0.25, 8);
    expect(Array.from(predictLogisticRegression(multi, [0, 0], 2))).toEqual([0, 0]);
  });

  it('reaches the regularised optimum (zero gradient) and separates clean classes', () => {
    const rng = new Rng(2);
    const n = 300;
    const d = 3;
    const k = 3;
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < n; i++) {
      const cls = i % k;
      y.push(cls);
      for (let j = 0; j < d; j++) x.push((j === cls ? 2 : 0) + 0.7 * rng.normal());
    }
    const model = fitLogisticRegression(x, y, n, d);
    expect(model.converged).toBe(true);
    expect(gradientNorm(model.params, x, y, n, d, k, 1)).toBeLessThan(1e-6);
    expect(accuracyScore(predictLogisticRegression(model, x, n), y)).toBeGreaterThan(0.8);
    // Well separated: perfect.
    const xs = x.map((v, i) => (Math.floor(i / d) % k === i % d ? v + 8 : v));
    const sep = fitLogisticRegression(xs, y, n, d);
    expect(accuracyScore(predictLogisticRegression(sep, xs, n), y)).toBe(1);
  });

  it('predicts only labels it has seen, keeping their original values', () => {
    const model = fitLogisticRegression([0, 1, 10, 11], [7, 7, 3, 3], 4, 1);
    expect(Array.from(model.classes)).toEqual([3, 7]);
    expect(Array.from(predictLogisticRegression(model, [0.5, 10.5], 2))).toEqual([7, 3]);
  });
});
