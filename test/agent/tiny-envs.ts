/**
 * Tiny envs for the agent's tests, implementing the Env contract with flat float32 observations:
 * - Bandit: one step; action 1 pays +1, action 0 pays 0; then the episode terminates.
 * - Corridor: a line of `length` cells, start at cell 0; actions 0 left / 1 right; reaching the
 *   last cell pays +1 and terminates; every other step costs 0.01. Observation: one-hot cell.
 * Registered as 'test/Bandit-v0' and 'test/Corridor-v0' (Corridor with an 8-step TimeLimit, so
 * truncations happen too).
 */
import { Env, type ResetArgs, type ResetResult, type StepResult } from '../../envs/core/env.ts';
import { register, registeredIds } from '../../envs/core/registry.ts';
import { Box, type BoxValue } from '../../envs/core/spaces/box.ts';
import { Discrete } from '../../envs/core/spaces/discrete.ts';

export class BanditEnv extends Env<BoxValue, number> {
  readonly observationSpace = new Box(0, 1, [1], 'float32');
  readonly actionSpace = new Discrete(2);
  reset(_args?: ResetArgs): ResetResult<BoxValue> {
    return { observation: Float32Array.of(1), info: {} };
  }
  step(action: number): StepResult<BoxValue> {
    return { observation: Float32Array.of(1), reward: action === 1 ? 1 : 0, terminated: true, truncated: false, info: {} };
  }
  render() {
    return null;
  }
}

export class CorridorEnv extends Env<BoxValue, number> {
  readonly observationSpace: Box;
  readonly actionSpace = new Discrete(2);
  private pos = 0;
  constructor(readonly length = 5) {
    super();
    this.observationSpace = new Box(0, 1, [length], 'float32');
  }
  private obs(): Float32Array {
    const o = new Float32Array(this.length);
    o[this.pos] = 1;
    return o;
  }
  reset(_args?: ResetArgs): ResetResult<BoxValue> {
    this.pos = 0;
    return { observation: this.obs(), info: {} };
  }
  step(action: number): StepResult<BoxValue> {
    this.pos = Math.max(0, Math.min(this.length - 1, this.pos + (action === 1 ? 1 : -1)));
    const done = this.pos === this.length - 1;
    return { observation: this.obs(), reward: done ? 1 : -0.01, terminated: done, truncated: false, info: { is_success: done } };
  }
  render() {
    return null;
  }
}

export function registerTinyEnvs(): void {
  const have = new Set(registeredIds());
  if (!have.has('test/Bandit-v0')) register({ id: 'test/Bandit-v0', entryPoint: () => new BanditEnv() });
  if (!have.has('test/Corridor-v0')) {
    register({ id: 'test/Corridor-v0', entryPoint: (kw) => new CorridorEnv((kw.length as number | undefined) ?? 5), maxEpisodeSteps: 8 });
  }
}
