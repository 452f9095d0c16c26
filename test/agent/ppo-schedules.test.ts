/**
 * PPO's schedules and guards, pinned by value: the learning-rate annealing at each update, the
 * targetKl early stop (counted in optimizer steps), and the non-finite guard that must refuse an
 * update before Adam touches the weights or its moments.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicyCheckpoint } from '../../agent/checkpoint.ts';
import { resolveAgentConfig } from '../../agent/config.ts';
import { createFrontend } from '../../agent/frontends.ts';
import { computeGae } from '../../agent/gae.ts';
import { ActorCritic } from '../../agent/networks.ts';
import { Policy } from '../../agent/policy.ts';
import { collectRollout, NonFiniteLossError, trainAgent, updateMinibatch } from '../../agent/ppo.ts';
import { RolloutBuffer } from '../../agent/rollout.ts';
import { makeTaskEnvs, resolveTask } from '../../agent/tasks.ts';
import { Rng } from '../../envs/core/rng.ts';
import type { MetricRecord } from '../../envs/util/run-dir.ts';
import { Adam } from '../../vision/train/adam.ts';
import { Env, type ResetArgs, type ResetResult, type StepResult } from '../../envs/core/env.ts';
import { register, registeredIds } from '../../envs/core/registry.ts';
import { Box, type BoxValue } from '../../envs/core/spaces/box.ts';
import { Discrete } from '../../envs/core/spaces/discrete.ts';
import { registerTinyEnvs } from './tiny-envs.ts';

/** Observes (1, 0) until its 20th step, then (1, +Inf): the loss stays finite, the gradient does not. */
class InfLaterEnv extends Env<BoxValue, number> {
  readonly observationSpace = new Box(-Infinity, Infinity, [2], 'float32');
  readonly actionSpace = new Discrete(2);
  private steps = 0;
  private obs(): Float32Array {
    return Float32Array.of(1, this.steps >= 20 ? Number.POSITIVE_INFINITY : 0);
  }
  reset(_args?: ResetArgs): ResetResult<BoxValue> {
    return { observation: this.obs(), info: {} };
  }
  step(action: number): StepResult<BoxValue> {
    this.steps++;
    return { observation: this.obs(), reward: action, terminated: this.steps % 4 === 0, truncated: false, info: {} };
  }
  render() {
    return null;
  }
}

let tmp: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  registerTinyEnvs();
  if (!registeredIds().includes('test/InfLater-v0')) register({ id: 'test/InfLater-v0', entryPoint: () => new InfLaterEnv() });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'darla-ppo-sched-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// 8 envs × 16 steps = 128 steps per update; 2 minibatches × 4 epochs = 8 optimizer steps per update.
const corridor = {
  env: 'test/Corridor-v0',
  frontend: 'state',
  numEnvs: 8,
  numSteps: 16,
  numMinibatches: 2,
  updateEpochs: 4,
  lr: 3e-3,
  evalInterval: 0,
  evalEpisodes: 2,
  hidden: [8],
} as const;

describe('learning-rate annealing', () => {
  it('sets lr·(1 − (u − 1)/U) at update u of U, and keeps lr when off', async () => {
    const lrs: number[] = [];
    await trainAgent({ ...corridor, totalSteps: 128 * 4 }, { onMetrics: (m: MetricRecord) => lrs.push(m['charts/learning_rate'] as number) });
    // U = 4: 3e-3 · [1, 3/4, 1/2, 1/4] — the last update still learns, none runs at lr 0.
    expect(lrs).toHaveLength(4);
    [3e-3, 2.25e-3, 1.5e-3, 0.75e-3].forEach((want, i) => expect(lrs[i]).toBeCloseTo(want, 15));
    const flat: number[] = [];
    await trainAgent({ ...corridor, totalSteps: 128 * 2, annealLr: false }, { onMetrics: (m: MetricRecord) => flat.push(m['charts/learning_rate'] as number) });
    expect(flat).toEqual([3e-3, 3e-3]);
  });
});

describe('targetKl early stop', () => {
  const optimizerSteps = async (name: string, targetKl: number | null): Promise<number> => {
    const dir = path.join(tmp, name);
    await trainAgent({ ...corridor, totalSteps: 128 * 2, targetKl }, { runDir: dir });
    return loadPolicyCheckpoint(dir).meta.optimizerStep;
  };

  it('finishes the epoch whose mean approx_kl exceeds the target, then stops the update', async () => {
    // No target: 2 updates × 4 epochs × 2 minibatches.
    expect(await optimizerSteps('no-target', null)).toBe(16);
    // A target no epoch can exceed: the same.
    expect(await optimizerSteps('loose-target', 1e6)).toBe(16);
    // A target every epoch exceeds (the second minibatch moves the policy): one epoch per update,
    // and the check comes after the whole epoch, not after its first minibatch.
    expect(await optimizerSteps('tight-target', 1e-12)).toBe(2 * 1 * 2);
  });
});

describe('non-finite guard', () => {
  it('throws NonFiniteLossError before Adam runs: weights, moments and step count unchanged', () => {
    // An Inf observation saturates tanh: the loss stays finite, but dL/dW = x·0 = Inf·0 = NaN.
    const task = resolveTask('test/Corridor-v0', 'source');
    const envs = makeTaskEnvs(task, 2);
    const frontend = createFrontend('state', { obsSpace: envs.singleObservationSpace });
    const cfg = resolveAgentConfig({ ...corridor, numEnvs: 2, numSteps: 4 });
    const net = new ActorCritic({ torso: 'mlp', inputSize: 5, hidden: [4], activation: 'tanh', numActions: 2 }, 1);
    const policy = new Policy(net, frontend);
    const optimizer = new Adam(net.params, { lr: 1e-2, eps: cfg.adamEps, maxGradNorm: cfg.maxGradNorm });
    const buf = new RolloutBuffer(4, 2, frontend);
    const first = envs.reset({ seed: 0 });
    const state = { nextObs: frontend.allocate(2), currentObs: first.observations, globalStep: 0 };
    frontend.observe(first.observations, first.infos, 2, state.nextObs);
    collectRollout(policy, envs, buf, state, new Rng(0), task);
    buf.values.set(policy.values(state.nextObs, 2), 4 * 2);
    const { advantages, returns } = computeGae({ ...buf, numSteps: 4, numEnvs: 2, gamma: 0.99, lambda: 0.95 });
    const mbIdx = buf.validIndices();

    // One good step first, so Adam's moments and step count are not trivially zero.
    const good = updateMinibatch(net, optimizer, frontend, buf, mbIdx, advantages, returns, cfg, 1);
    expect(Number.isFinite(good.gradNorm)).toBe(true);
    expect(optimizer.t).toBe(1);
    const weightsBefore = net.params.map(([, v]) => Array.from(v.dataSync()));
    const stateBefore = optimizer.getState();
    const moments = (s: typeof stateBefore) => Object.keys(s.arrays).sort().map((k) => Array.from(s.arrays[k].data));

    (buf.obs as Float32Array)[mbIdx[0] * 5] = Number.POSITIVE_INFINITY;
    expect(() => updateMinibatch(net, optimizer, frontend, buf, mbIdx, advantages, returns, cfg, 2)).toThrow(NonFiniteLossError);
    expect(() => updateMinibatch(net, optimizer, frontend, buf, mbIdx, advantages, returns, cfg, 2)).toThrow(/gradient norm at update 2/);
    expect(net.params.map(([, v]) => Array.from(v.dataSync()))).toEqual(weightsBefore);
    expect(optimizer.t).toBe(1);
    const stateAfter = optimizer.getState();
    expect(moments(stateAfter)).toEqual(moments(stateBefore));
    for (const w of weightsBefore) expect(w.every(Number.isFinite)).toBe(true);

    // A non-finite loss (NaN observation) is refused the same way.
    (buf.obs as Float32Array)[mbIdx[0] * 5] = Number.NaN;
    expect(() => updateMinibatch(net, optimizer, frontend, buf, mbIdx, advantages, returns, cfg, 3)).toThrow(/non-finite PPO loss at update 3/);
    expect(net.params.map(([, v]) => Array.from(v.dataSync()))).toEqual(weightsBefore);
    optimizer.dispose();
    policy.dispose();
    envs.close();
  });

  it('stops trainAgent with NonFiniteLossError and keeps the last good checkpoint', async () => {
    // 2 envs × 8 steps per update (autoreset steps included): each env's 20th step comes in update 3
    // or 4; every update before it is checkpointed.
    const dir = path.join(tmp, 'inf-later');
    const cfg = { env: 'test/InfLater-v0', frontend: 'state', numEnvs: 2, numSteps: 8, numMinibatches: 1, updateEpochs: 1, hidden: [4], totalSteps: 16 * 6, evalInterval: 0, evalEpisodes: 1, checkpointInterval: 1 };
    const err = await trainAgent(cfg, { runDir: dir }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    const failedAt = Number(/at update (\d+)/.exec((err as Error).message)?.[1]);
    expect(failedAt).toBeGreaterThanOrEqual(3);
    expect(failedAt).toBeLessThanOrEqual(4);
    const ckpt = loadPolicyCheckpoint(dir);
    expect(ckpt.meta.update).toBe(failedAt - 1);
    for (const [name, a] of Object.entries(ckpt.arrays)) expect(Array.from(a.data).every(Number.isFinite), name).toBe(true);
  });
});
