import { describe, expect, it } from 'vitest';
import '../../envs/builtin.ts';
import { checkEnv, EnvCheckError } from '../../envs/core/check-env.ts';
import { Env, type ResetArgs, type ResetResult, type RgbFrame, type StepResult } from '../../envs/core/env.ts';
import { make, registeredIds } from '../../envs/core/registry.ts';
import { Rng } from '../../envs/core/rng.ts';
import { Box } from '../../envs/core/spaces/box.ts';
import { Discrete } from '../../envs/core/spaces/discrete.ts';
import { listVariants } from '../../envs/shapeworld/variants.ts';

describe('checkEnv on every registered env and every named variant', () => {
  for (const id of registeredIds()) {
    it(`passes for ${id}`, () => {
      const report = checkEnv(make(id, { renderMode: 'rgb_array' }));
      expect(report.passed).toEqual(['spaces', 'reset', 'reset determinism', 'step', 'step determinism', 'render', 'close twice']);
    });
  }
  for (const v of listVariants()) {
    it(`passes for ShapeWorld-v0 variant '${v.name}'`, () => {
      const report = checkEnv(make('ShapeWorld-v0', { kwargs: { variant: v.name }, renderMode: 'rgb_array' }), { steps: 150 });
      expect(report.passed).toContain('step determinism');
      expect(report.warnings).toEqual([]);
    });
  }
});

/** A deliberately broken env; each flag breaks one rule the checker must catch. */
class Broken extends Env<Float32Array, number> {
  readonly observationSpace = new Box(0, 1, [2]);
  readonly actionSpace = new Discrete(2);
  private rng = new Rng(0);
  private unseeded = new Rng(Date.now());
  constructor(private readonly flaw: 'outside' | 'unseeded' | 'reward' | 'render' | 'close' | 'flags') {
    super();
    this.renderMode = 'rgb_array';
  }
  reset(args: ResetArgs = {}): ResetResult<Float32Array> {
    if (args.seed !== undefined) this.rng.reseed(args.seed);
    const r = this.flaw === 'unseeded' ? this.unseeded : this.rng;
    return { observation: Float32Array.of(r.uniform(), r.uniform()), info: {} };
  }
  step(_action: number): StepResult<Float32Array> {
    const obs = Float32Array.of(this.rng.uniform(), this.flaw === 'outside' ? 2 : 0.5);
    const reward = this.flaw === 'reward' ? NaN : 0;
    const terminated = (this.flaw === 'flags' ? 1 : false) as boolean;
    return { observation: obs, reward, terminated, truncated: false, info: {} };
  }
  render(): RgbFrame | null {
    return { height: 4, width: 4, data: new Uint8Array(this.flaw === 'render' ? 16 : 48) };
  }
  override close(): void {
    if (this.flaw === 'close') throw new Error('already closed');
  }
}

describe('checkEnv catches broken envs', () => {
  const cases: [ConstructorParameters<typeof Broken>[0], RegExp][] = [
    ['outside', /\[step\] step\(\) observation Float32Array\(2\) at step 0 is not inside/],
    ['unseeded', /\[reset determinism\] reset\(\{seed: 123\}\) twice gave different observations/],
    ['reward', /reward must be a finite number/],
    ['flags', /terminated must be a boolean/],
    ['render', /render\(\) data has 16 bytes, expected 4×4×3 = 48/],
    ['close', /\[close twice\] threw Error: already closed/],
  ];
  for (const [flaw, message] of cases) {
    it(`reports '${flaw}'`, () => {
      let err: unknown;
      try {
        checkEnv(new Broken(flaw));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(EnvCheckError);
      expect((err as EnvCheckError).message).toMatch(message);
    });
  }

  it('reports bad spaces and a step that is not reproducible', () => {
    class Unrepeatable extends Broken {
      private n = 0;
      override step(a: number): StepResult<Float32Array> {
        const r = super.step(a);
        r.reward = this.n++;
        return r;
      }
    }
    expect(() => checkEnv(new Unrepeatable('unseeded'), { skipRender: true })).toThrow(/step determinism/);
    const noSpace = new Broken('outside') as unknown as { observationSpace: unknown };
    Object.defineProperty(noSpace, 'observationSpace', { value: { shape: [1] } });
    expect(() => checkEnv(noSpace as never)).toThrow(/observationSpace has no sample\(\) method/);
  });
});
