import { describe, expect, it } from 'vitest';
import '../../envs/builtin.ts';
import { UserError } from '../../envs/core/errors.ts';
import { deregister, make, parseEnvId, register, registeredIds, spec } from '../../envs/core/registry.ts';
import { TimeLimit } from '../../envs/core/wrappers/time-limit.ts';
import { Autoreset, RecordEpisodeStatistics } from '../../envs/core/wrappers/index.ts';
import { ShapeWorldEnv } from '../../envs/shapeworld/world.ts';
import { CartPoleEnv } from '../../envs/classic/cartpole.ts';

describe('registry', () => {
  it('registers the built-in envs', () => {
    expect(registeredIds()).toEqual(expect.arrayContaining(['CartPole-v1', 'ShapeWorld-v0']));
  });

  it('validates ids like Gymnasium', () => {
    expect(parseEnvId('ShapeWorld-v0')).toEqual({ namespace: null, name: 'ShapeWorld', version: 0 });
    expect(parseEnvId('darla/Shape.World-v12')).toEqual({ namespace: 'darla', name: 'Shape.World', version: 12 });
    for (const bad of ['ShapeWorld', 'ShapeWorld-v', 'ShapeWorld-vX', 'Shape World-v0', '-v0', 'a/b/c-v0']) {
      expect(() => parseEnvId(bad), bad).toThrow(UserError);
    }
    expect(() => register({ id: 'NoVersion', entryPoint: () => new CartPoleEnv() })).toThrow(/malformed/);
  });

  it('make applies the spec time limit, kwargs and renderMode, and reaches the bare env through unwrapped', () => {
    const env = make('ShapeWorld-v0', { kwargs: { variant: 'color-shift' }, renderMode: 'rgb_array' });
    expect(env).toBeInstanceOf(TimeLimit);
    expect((env as TimeLimit<unknown, unknown>).maxEpisodeSteps).toBe(50);
    expect(env.specId).toBe('ShapeWorld-v0');
    expect(env.renderMode).toBe('rgb_array');
    const bare = env.unwrapped as ShapeWorldEnv;
    expect(bare).toBeInstanceOf(ShapeWorldEnv);
    expect(bare.variant.name).toBe('color-shift');
    expect(bare.renderMode).toBe('rgb_array');
    expect((make('CartPole-v1') as TimeLimit<unknown, unknown>).maxEpisodeSteps).toBe(500);
    expect(make('CartPole-v1', { maxEpisodeSteps: null })).toBeInstanceOf(CartPoleEnv);
    const full = make('CartPole-v1', { recordEpisodeStatistics: true, autoreset: true });
    expect(full).toBeInstanceOf(Autoreset);
    expect((full as Autoreset<unknown, unknown>).env).toBeInstanceOf(RecordEpisodeStatistics);
  });

  it('rejects unknown ids with the known ones, or the registered versions', () => {
    expect(() => make('Nope-v0')).toThrow(/unknown env 'Nope-v0'.*CartPole-v1.*ShapeWorld-v0/);
    expect(() => make('ShapeWorld-v3')).toThrow(/registered versions: ShapeWorld-v0/);
    expect(() => make('ShapeWorld-v0', { kwargs: { variant: 'nope' } })).toThrow(/unknown variant 'nope'; known variants: source/);
    expect(() => make('ShapeWorld-v0', { kwargs: { stepCost: 2 } })).toThrow(/options.stepCost/);
    expect(() => make('ShapeWorld-v0', { kwargs: { colour: 1 } })).toThrow(/unknown key/);
    expect(() => make('ShapeWorld-v0', { maxEpisodeSteps: 0 })).toThrow(/maxEpisodeSteps/);
  });

  it('refuses to register an id twice unless overriding, and deregisters', () => {
    const s = { id: 'Tmp-v0', entryPoint: () => new CartPoleEnv() };
    register(s);
    expect(() => register(s)).toThrow(/already registered/);
    register({ ...s, maxEpisodeSteps: 3 }, { override: true });
    expect(spec('Tmp-v0').maxEpisodeSteps).toBe(3);
    expect(deregister('Tmp-v0')).toBe(true);
    expect(registeredIds()).not.toContain('Tmp-v0');
  });
});
