import { describe, expect, it } from 'vitest';
import '../../envs/builtin.ts';
import { CartPoleEnv, THETA_THRESHOLD_RADIANS, X_THRESHOLD } from '../../envs/classic/cartpole.ts';
import { make } from '../../envs/core/registry.ts';

describe('CartPole-v1', () => {
  it("follows Gymnasium's dynamics from the resting state", () => {
    const env = new CartPoleEnv();
    env.reset();
    env.state.fill(0);
    // Gymnasium: from zeros, push right → x_dot = 0.19512196, theta_dot = -0.29268292 (force 10, tau 0.02).
    const r = env.step(1);
    expect(r.observation[0]).toBe(0);
    expect(r.observation[1]).toBeCloseTo(0.19512195, 7);
    expect(r.observation[2]).toBe(0);
    expect(r.observation[3]).toBeCloseTo(-0.29268293, 7);
    expect(r.reward).toBe(1);
    // Euler: the next positions use these velocities.
    const r2 = env.step(0);
    expect(r2.observation[0]).toBeCloseTo(0.02 * 0.19512195, 7);
    expect(r2.observation[2]).toBeCloseTo(0.02 * -0.29268293, 7);
  });

  it('terminates past the position and angle thresholds, with reward 1 on that step', () => {
    const env = new CartPoleEnv();
    env.reset();
    env.state.set([X_THRESHOLD - 1e-4, 1, 0, 0]);
    const a = env.step(1);
    expect(a.terminated).toBe(true);
    expect(a.reward).toBe(1);
    expect(() => env.step(0)).toThrow(/terminated/);
    env.reset();
    env.state.set([0, 0, -THETA_THRESHOLD_RADIANS + 1e-4, -1]);
    expect(env.step(0).terminated).toBe(true);
    env.reset();
    env.state.set([0, 0, THETA_THRESHOLD_RADIANS - 0.01, 0]);
    expect(env.step(0).terminated).toBe(false);
  });

  it('starts uniformly in [-0.05, 0.05], is seeded, and truncates at 500 steps through the registry', () => {
    const env = make<Float32Array, number>('CartPole-v1');
    const a = env.reset({ seed: 5 }).observation;
    expect(Array.from(a).every((x) => Math.abs(x) <= 0.05)).toBe(true);
    expect(env.reset({ seed: 5 }).observation).toEqual(a);
    expect(() => env.reset({ options: { low: 1, high: 0 } })).toThrow(/low/);
    env.reset({ seed: 0 });
    // Balance with a simple angle controller until the time limit.
    let obs = env.reset({ seed: 0 }).observation;
    let steps = 0;
    for (;;) {
      const r = env.step(obs[2] + 0.5 * obs[3] > 0 ? 1 : 0);
      steps++;
      obs = r.observation;
      if (r.terminated || r.truncated) {
        expect(r.truncated).toBe(true);
        break;
      }
    }
    expect(steps).toBe(500);
  });
});
