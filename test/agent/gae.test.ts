import { describe, expect, it } from 'vitest';
import { computeGae, explainedVariance, normalizeAdvantages } from '../../agent/gae.ts';

describe('computeGae', () => {
  it('matches a hand-computed rollout with a termination, a truncation and their autoreset steps', () => {
    // One env, T = 6, γ = 0.9, λ = 0.5.
    // t=0 normal, t=1 TERMINATES, t=2 autoreset (masked), t=3 normal, t=4 TRUNCATED (bootstrap from
    // values[5] = V(true final obs)), t=5 autoreset (masked); values[6] is the rollout bootstrap (unused).
    const gamma = 0.9;
    const lambda = 0.5;
    const rewards = Float32Array.of(1, 2, 99, 0.5, 1, 99);
    const values = Float32Array.of(0.5, 1, 7, 0.25, 0.5, 2, 3);
    const terminated = Uint8Array.of(0, 1, 0, 0, 0, 0);
    const truncated = Uint8Array.of(0, 0, 0, 0, 1, 0);
    const valid = Uint8Array.of(1, 1, 0, 1, 1, 0);
    const { advantages, returns } = computeGae({ numSteps: 6, numEnvs: 1, rewards, values, terminated, truncated, valid, gamma, lambda });

    // t=4 (truncated): δ = 1 + 0.9·2 − 0.5 = 2.3; the chain stops: A = 2.3.
    // t=3: δ = 0.5 + 0.9·0.5 − 0.25 = 0.7; A = 0.7 + 0.45·2.3 = 1.735.
    // t=1 (terminated): δ = 2 − 1 = 1 (no bootstrap); A = 1.
    // t=0: δ = 1 + 0.9·1 − 0.5 = 1.4; A = 1.4 + 0.45·1 = 1.85.
    const expected = [1.85, 1, 0, 1.735, 2.3, 0];
    expected.forEach((a, t) => expect(advantages[t]).toBeCloseTo(a, 6));
    expect(returns[0]).toBeCloseTo(1.85 + 0.5, 6);
    expect(returns[3]).toBeCloseTo(1.735 + 0.25, 6);
    expect(returns[4]).toBeCloseTo(2.3 + 0.5, 6);
    expect(returns[2]).toBe(0);
    expect(returns[5]).toBe(0);
  });

  it('bootstraps the last step from values[T] and keeps envs independent (time-major layout)', () => {
    // Two envs, T = 2. Env 0 never ends; env 1 terminates at t = 0, autoresets at t = 1.
    const { advantages } = computeGae({
      numSteps: 2,
      numEnvs: 2,
      rewards: Float32Array.of(1, 5, 1, 0),
      values: Float32Array.of(0, 0, 0, 9, 10, 9),
      terminated: Uint8Array.of(0, 1, 0, 0),
      truncated: Uint8Array.of(0, 0, 0, 0),
      valid: Uint8Array.of(1, 1, 1, 0),
      gamma: 1,
      lambda: 1,
    });
    // Env 0: t=1 δ = 1 + 10 − 0 = 11; t=0 δ = 1 + 0 − 0 = 1, A = 1 + 11 = 12.
    expect(advantages[2]).toBeCloseTo(11, 6);
    expect(advantages[0]).toBeCloseTo(12, 6);
    // Env 1: terminated at t=0: A = 5 − 0 = 5, not touched by V at t=1 (9) or the bootstrap (9).
    expect(advantages[1]).toBeCloseTo(5, 6);
    expect(advantages[3]).toBe(0);
  });

  it('ignores whatever an autoreset transition holds', () => {
    const base = {
      numSteps: 3,
      numEnvs: 1,
      terminated: Uint8Array.of(1, 0, 0),
      truncated: Uint8Array.of(0, 0, 0),
      valid: Uint8Array.of(1, 0, 1),
      gamma: 0.99,
      lambda: 0.95,
    };
    const a = computeGae({ ...base, rewards: Float32Array.of(1, 0, 1), values: Float32Array.of(0.1, 0.2, 0.3, 0.4) });
    const b = computeGae({ ...base, rewards: Float32Array.of(1, -50, 1), values: Float32Array.of(0.1, 123, 0.3, 0.4) });
    expect(Array.from(b.advantages)).toEqual(Array.from(a.advantages));
    expect(a.advantages[1]).toBe(0);
  });

  it('rejects mis-sized inputs', () => {
    expect(() =>
      computeGae({
        numSteps: 2,
        numEnvs: 1,
        rewards: new Float32Array(2),
        values: new Float32Array(2),
        terminated: new Uint8Array(2),
        truncated: new Uint8Array(2),
        valid: new Uint8Array(2),
        gamma: 1,
        lambda: 1,
      }),
    ).toThrow(/values/);
  });
});

describe('normalizeAdvantages and explainedVariance', () => {
  it('normalises with the unbiased std', () => {
    const out = normalizeAdvantages(Float32Array.of(1, 2, 3));
    // mean 2, unbiased std 1
    expect(Array.from(out).map((x) => Number(x.toFixed(6)))).toEqual([-1, 0, 1]);
  });
  it('explained variance is 1 for perfect values and 0 for the mean', () => {
    expect(explainedVariance([1, 2, 3], [1, 2, 3])).toBeCloseTo(1, 9);
    expect(explainedVariance([2, 2, 2], [1, 2, 3])).toBeCloseTo(0, 9);
    expect(Number.isNaN(explainedVariance([1, 1], [2, 2]))).toBe(true);
  });
});
