import { describe, expect, it } from 'vitest';
import { Env, type ResetArgs, type ResetResult, type RgbFrame, type StepResult } from '../../envs/core/env.ts';
import { Box } from '../../envs/core/spaces/box.ts';
import { Discrete } from '../../envs/core/spaces/discrete.ts';
import { Autoreset, FrameStack, ObservationWrapper, RecordEpisodeStatistics, TimeLimit, type EpisodeStats } from '../../envs/core/wrappers/index.ts';

/** A counter env: the observation is [t]; reward = action; terminates when t reaches `end`. */
class Counter extends Env<Float32Array, number> {
  readonly observationSpace = new Box(0, 100, [1]);
  readonly actionSpace = new Discrete(3);
  t = 0;
  resets = 0;
  closes = 0;
  constructor(readonly end = 1000) {
    super();
  }
  reset(_args?: ResetArgs): ResetResult<Float32Array> {
    this.t = 0;
    this.resets++;
    return { observation: Float32Array.of(0), info: { resets: this.resets } };
  }
  step(action: number): StepResult<Float32Array> {
    this.t++;
    return { observation: Float32Array.of(this.t), reward: action, terminated: this.t >= this.end, truncated: false, info: {} };
  }
  render(): RgbFrame | null {
    return null;
  }
  override close(): void {
    this.closes++;
  }
}

describe('TimeLimit', () => {
  it('truncates on the step that reaches the limit, and refuses steps before reset or after the end', () => {
    const env = new TimeLimit(new Counter(), 3);
    expect(() => env.step(0)).toThrow(/reset/);
    env.reset();
    expect(env.step(1).truncated).toBe(false);
    expect(env.step(1).truncated).toBe(false);
    const last = env.step(1);
    expect(last.truncated).toBe(true);
    expect(last.terminated).toBe(false);
    expect(() => env.step(0)).toThrow(/reset/);
    env.reset();
    expect(env.elapsedSteps).toBe(0);
  });

  it('reports terminated and truncated together when both happen on the same step (as Gymnasium)', () => {
    const env = new TimeLimit(new Counter(2), 2);
    env.reset();
    env.step(0);
    const r = env.step(0);
    expect([r.terminated, r.truncated]).toEqual([true, true]);
  });
});

describe('RecordEpisodeStatistics', () => {
  it('adds info.episode = {r, l, t} on the last step only and keeps queues', () => {
    const env = new RecordEpisodeStatistics(new TimeLimit(new Counter(), 4), 2);
    for (let ep = 0; ep < 3; ep++) {
      env.reset();
      for (let i = 0; i < 3; i++) expect(env.step(2).info.episode).toBeUndefined();
      const r = env.step(1);
      const e = r.info.episode as EpisodeStats;
      expect(e.r).toBe(7);
      expect(e.l).toBe(4);
      expect(e.t).toBeGreaterThanOrEqual(0);
    }
    expect(env.returnQueue).toEqual([7, 7]);
    expect(env.lengthQueue).toEqual([4, 4]);
  });
});

describe('FrameStack', () => {
  it('stacks the last k observations oldest first, padding with the reset observation', () => {
    const env = new FrameStack(new Counter(), 3);
    expect(env.observationSpace.shape).toEqual([3, 1]);
    expect(Array.from(env.reset().observation)).toEqual([0, 0, 0]);
    expect(Array.from(env.step(0).observation)).toEqual([0, 0, 1]);
    expect(Array.from(env.step(0).observation)).toEqual([0, 1, 2]);
    const r = env.step(0);
    expect(Array.from(r.observation)).toEqual([1, 2, 3]);
    expect(env.observationSpace.contains(r.observation)).toBe(true);
    const z = new FrameStack(new Counter(), 2, 'zero');
    z.reset();
    expect(Array.from(z.step(0).observation)).toEqual([0, 1]);
  });
});

describe('Autoreset', () => {
  it('returns the true final step, then on the next step resets with reward 0 and info.autoreset', () => {
    const inner = new Counter(2);
    const env = new Autoreset(inner);
    env.reset();
    env.step(1);
    const last = env.step(1);
    expect(last.terminated).toBe(true);
    expect(Array.from(last.observation)).toEqual([2]);
    const next = env.step(2);
    expect(next).toMatchObject({ reward: 0, terminated: false, truncated: false });
    expect(next.info.autoreset).toBe(true);
    expect(Array.from(next.observation)).toEqual([0]);
    expect(inner.resets).toBe(2);
    expect(env.step(1).info.autoreset).toBeUndefined();
  });
});

describe('Wrapper / ObservationWrapper', () => {
  class Doubled extends ObservationWrapper<Float32Array, number, Float32Array> {
    readonly space = new Box(0, 200, [1]);
    override get observationSpace(): Box<'float32'> {
      return this.space;
    }
    observation(obs: Float32Array): Float32Array {
      return Float32Array.of(obs[0] * 2);
    }
  }

  it('transforms reset and step observations, forwards the rest, closes the inner env once', () => {
    const inner = new Counter();
    const env = new Doubled(new TimeLimit(inner, 10));
    expect(Array.from(env.reset().observation)).toEqual([0]);
    env.step(0);
    expect(Array.from(env.step(0).observation)).toEqual([4]);
    expect(env.actionSpace).toBe(inner.actionSpace);
    expect(env.unwrapped).toBe(inner);
    env.close();
    env.close();
    expect(inner.closes).toBe(1);
  });
});
