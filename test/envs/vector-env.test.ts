import { describe, expect, it } from 'vitest';
import '../../envs/builtin.ts';
import { make } from '../../envs/core/registry.ts';
import { Rng } from '../../envs/core/rng.ts';
import { SyncVectorEnv, makeVec } from '../../envs/core/sync-vector-env.ts';
import { FRAME_BYTES } from '../../envs/shapeworld/factors.ts';
import { sameBytes } from './helpers.ts';

describe('SyncVectorEnv (next-step autoreset)', () => {
  it('stacks observations contiguously and seeds env i with seed + i', () => {
    const vec = makeVec<Uint8Array>('ShapeWorld-v0', 4);
    expect(vec.obsSize).toBe(FRAME_BYTES);
    expect(vec.autoresetMode).toBe('next-step');
    const { observations, infos } = vec.reset({ seed: 10 });
    expect(observations).toBeInstanceOf(Uint8Array);
    expect(observations.length).toBe(4 * FRAME_BYTES);
    for (let i = 0; i < 4; i++) {
      const single = make<Uint8Array, number>('ShapeWorld-v0').reset({ seed: 10 + i });
      expect(sameBytes(observations.subarray(i * FRAME_BYTES, (i + 1) * FRAME_BYTES), single.observation)).toBe(true);
      expect(infos[i]).toEqual(single.info);
    }
  });

  it('returns the true last transition, then an autoreset step that a learner masks out', () => {
    const n = 8;
    const vec = makeVec<Uint8Array>('ShapeWorld-v0', n, { maxEpisodeSteps: 5 });
    // Shadow envs stepped by hand with the same seeds and actions.
    const shadows = Array.from({ length: n }, () => make<Uint8Array, number>('ShapeWorld-v0', { maxEpisodeSteps: 5 }));
    vec.reset({ seed: 100 });
    shadows.forEach((e, i) => e.reset({ seed: 100 + i }));
    const pending = new Uint8Array(n);
    const rng = new Rng(1);
    const actions = new Int32Array(n);
    let ends = 0;
    let masked = 0;
    for (let t = 0; t < 60; t++) {
      for (let i = 0; i < n; i++) actions[i] = rng.int(5);
      const r = vec.step(actions);
      for (let i = 0; i < n; i++) {
        const obs = r.observations.subarray(i * FRAME_BYTES, (i + 1) * FRAME_BYTES);
        if (pending[i]) {
          // The action was ignored: this is the reset observation, reward 0, no flags.
          const s = shadows[i].reset();
          expect(r.autoreset[i]).toBe(1);
          expect([r.rewards[i], r.terminations[i], r.truncations[i]]).toEqual([0, 0, 0]);
          expect(sameBytes(obs, s.observation)).toBe(true);
          pending[i] = 0;
          masked++;
          continue;
        }
        const s = shadows[i].step(actions[i]);
        expect(r.autoreset[i]).toBe(0);
        expect(sameBytes(obs, s.observation)).toBe(true);
        expect(r.rewards[i]).toBeCloseTo(s.reward, 6);
        expect(r.terminations[i]).toBe(s.terminated ? 1 : 0);
        expect(r.truncations[i]).toBe(s.truncated ? 1 : 0);
        expect(r.infos[i]).toEqual(s.info);
        if (s.terminated || s.truncated) {
          pending[i] = 1;
          ends++;
        }
      }
    }
    expect(ends).toBeGreaterThan(20);
    expect(masked).toBeGreaterThan(20);
  });

  it('works over float observations (CartPole) with Float32Array batches', () => {
    const vec = makeVec<Float32Array>('CartPole-v1', 3);
    const { observations } = vec.reset({ seed: 0 });
    expect(observations).toBeInstanceOf(Float32Array);
    expect(observations.length).toBe(12);
    let sawEnd = false;
    let sawAutoreset = false;
    for (let t = 0; t < 100; t++) {
      const r = vec.step(Int32Array.of(1, 1, 1));
      for (let i = 0; i < 3; i++) {
        sawEnd ||= r.terminations[i] === 1;
        if (r.autoreset[i] === 1) {
          sawAutoreset = true;
          // The reset state is uniform in [-0.05, 0.05].
          for (let k = 0; k < 4; k++) expect(Math.abs(r.observations[i * 4 + k])).toBeLessThanOrEqual(0.05);
        }
      }
    }
    expect(sawEnd && sawAutoreset).toBe(true);
  });

  it('validates usage', () => {
    const vec = makeVec('CartPole-v1', 2);
    expect(() => vec.step(Int32Array.of(0, 0))).toThrow(/before reset/);
    vec.reset();
    expect(() => vec.step(Int32Array.of(0))).toThrow(/expected 2 actions/);
    expect(() => vec.step(Int32Array.of(0, 7))).toThrow(/outside Discrete\(2\)/);
    vec.close();
    vec.close();
    expect(() => vec.reset()).toThrow(/closed/);
    expect(() => new SyncVectorEnv([])).toThrow();
    expect(() => new SyncVectorEnv([() => make('CartPole-v1'), () => make('ShapeWorld-v0')] as never)).toThrow(/share/);
  });
});
