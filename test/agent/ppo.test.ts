import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicyCheckpoint } from '../../agent/checkpoint.ts';
import { createFrontend } from '../../agent/frontends.ts';
import { computeGae } from '../../agent/gae.ts';
import { ActorCritic } from '../../agent/networks.ts';
import { Policy } from '../../agent/policy.ts';
import { collectRollout, trainAgent } from '../../agent/ppo.ts';
import { RolloutBuffer } from '../../agent/rollout.ts';
import { resolveTask, makeTaskEnvs } from '../../agent/tasks.ts';
import { Rng } from '../../envs/core/rng.ts';
import { registerTinyEnvs } from './tiny-envs.ts';

let tmp: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  registerTinyEnvs();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'darla-agent-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// Small, fast settings for the tiny envs.
const corridor = {
  env: 'test/Corridor-v0',
  frontend: 'state',
  numEnvs: 8,
  numSteps: 16,
  numMinibatches: 2,
  updateEpochs: 4,
  lr: 3e-3,
  evalInterval: 0,
  evalEpisodes: 8,
  hidden: [16, 16],
} as const;

describe('PPO learns tiny tasks', () => {
  it('solves a two-armed bandit', async () => {
    const r = await trainAgent({ env: 'test/Bandit-v0', frontend: 'state', numEnvs: 8, numSteps: 8, numMinibatches: 1, hidden: [8], lr: 3e-2, totalSteps: 320, evalEpisodes: 8 });
    expect(r.finalEval!.meanReturn).toBe(1);
  });

  // Its speed is measured by `darla bench agent` (ppo_env_steps_per_sec_*), not asserted here: a
  // wall-time bound is flaky on a loaded runner; vitest's timeout still stops a gross slowdown.
  it('solves a corridor (reach the end in the fewest steps)', async () => {
    const r = await trainAgent({ ...corridor, totalSteps: 2048 });
    // Four steps right: return 1 − 3·0.01.
    expect(r.finalEval!.successRate).toBe(1);
    expect(r.finalEval!.meanLength).toBe(4);
    expect(r.finalEval!.meanReturn).toBeCloseTo(0.97, 5);
  });

  it('A2C (same code, one epoch over one minibatch) solves the corridor too', async () => {
    const r = await trainAgent({ env: 'test/Corridor-v0', frontend: 'state', algo: 'a2c', numEnvs: 8, hidden: [16, 16], lr: 1e-2, totalSteps: 2000, evalInterval: 0, evalEpisodes: 8 });
    expect(r.config.numSteps).toBe(5);
    expect(r.config.updateEpochs).toBe(1);
    expect(r.finalEval!.successRate).toBe(1);
  });
});

describe('PPO bookkeeping', () => {
  it('is deterministic for a seed and different across seeds', async () => {
    const cfg = { ...corridor, totalSteps: 256 };
    const strip = (m: Record<string, unknown> | null) => Object.fromEntries(Object.entries(m ?? {}).filter(([k]) => k !== 'charts/SPS'));
    const a = await trainAgent({ ...cfg, seed: 3 });
    const b = await trainAgent({ ...cfg, seed: 3 });
    const c = await trainAgent({ ...cfg, seed: 4 });
    expect(strip(a.lastMetrics)).toEqual(strip(b.lastMetrics));
    expect(strip(a.lastMetrics)).not.toEqual(strip(c.lastMetrics));
  });

  it('keeps tf.memory().numTensors stable across updates', async () => {
    const counts: number[] = [];
    const r = await trainAgent({ ...corridor, totalSteps: 128 * 6 }, { onProgress: () => counts.push(tf.memory().numTensors) });
    expect(r.updates).toBe(6);
    expect(new Set(counts.slice(1)).size).toBe(1);
  });

  it('masks autoreset transitions out of the rollout and GAE', () => {
    // Corridor of length 2: every right move ends an episode, so autoresets are frequent.
    const task = resolveTask('test/Corridor-v0', 'source');
    const envs = makeTaskEnvs(task, 3);
    const frontend = createFrontend('state', { obsSpace: envs.singleObservationSpace });
    const net = new ActorCritic({ torso: 'mlp', inputSize: 5, hidden: [8], activation: 'tanh', numActions: 2 }, 1);
    const policy = new Policy(net, frontend);
    const T = 12;
    const buf = new RolloutBuffer(T, 3, frontend);
    const first = envs.reset({ seed: 0 });
    const state = { nextObs: frontend.allocate(3), currentObs: first.observations, globalStep: 0 };
    frontend.observe(first.observations, first.infos, 3, state.nextObs);
    collectRollout(policy, envs, buf, state, new Rng(0), task);
    let invalid = 0;
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < 3; i++) {
        const k = t * 3 + i;
        const prevEnded = t > 0 && (buf.terminated[k - 3] === 1 || buf.truncated[k - 3] === 1);
        // Exactly the step after an episode's end is an autoreset: masked, with reward 0.
        expect(buf.valid[k]).toBe(prevEnded ? 0 : 1);
        if (prevEnded) {
          invalid++;
          expect(buf.rewards[k]).toBe(0);
        }
      }
    }
    expect(invalid).toBeGreaterThan(0);
    expect(buf.validIndices().length).toBe(T * 3 - invalid);
    const { advantages } = computeGae({ ...buf, numSteps: T, numEnvs: 3, gamma: 0.99, lambda: 0.95 });
    for (let k = 0; k < T * 3; k++) if (buf.valid[k] === 0) expect(advantages[k]).toBe(0);
    policy.dispose();
    envs.close();
  });
});

describe('policy checkpoints', () => {
  it('round-trip the weights, optimizer state, step and RNG bit-exactly', async () => {
    const dir = path.join(tmp, 'roundtrip');
    const r = await trainAgent({ ...corridor, totalSteps: 128 * 2, checkpointInterval: 1 }, { runDir: dir, keepPolicy: true });
    const ckpt = loadPolicyCheckpoint(dir);
    expect(ckpt.meta.update).toBe(2);
    expect(ckpt.meta.step).toBe(256);
    expect(ckpt.meta.optimizerStep).toBe(2 * 4 * 2);
    expect(ckpt.meta.frontend.kind).toBe('state');
    expect(ckpt.meta.task.env).toBe('test/Corridor-v0');
    for (const [name, v] of r.policy!.net.params) {
      expect(Array.from(ckpt.arrays[`policy/${name}`].data)).toEqual(Array.from(v.dataSync()));
      expect(ckpt.arrays[`adam/m/${name}`].shape).toEqual([...v.shape]);
    }
    expect(ckpt.meta.rng.action).toHaveLength(4);
    r.policy!.dispose();
    expect(fs.existsSync(path.join(dir, 'report.md'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'images', 'learning_curve.svg'))).toBe(true);
  });

  it('resumes a killed run from its last checkpoint and logs each update once', async () => {
    const dir = path.join(tmp, 'resume');
    const cfg = { ...corridor, totalSteps: 128 * 4, checkpointInterval: 2 };
    await expect(
      trainAgent(cfg, {
        runDir: dir,
        onProgress: (p) => {
          if (p.update === 3) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    // Update 3 was logged but not checkpointed: the resumed run drops and redoes it.
    const r = await trainAgent(cfg, { runDir: dir, resume: true });
    expect(r.updates).toBe(4);
    const updates = fs
      .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { update: number }).update);
    expect(updates).toEqual([1, 2, 3, 4]);
    expect(loadPolicyCheckpoint(dir).meta.optimizerStep).toBe(4 * 4 * 2);
    // A different config cannot resume this run.
    await expect(trainAgent({ ...cfg, lr: 1e-3 }, { runDir: dir, resume: true })).rejects.toThrow(/config or seed differs/);
  });
});

describe('config validation', () => {
  it('rejects unknown keys, bad values and a latent front-end without a VAE', async () => {
    await expect(trainAgent({ ...corridor, totalSteps: 256, learningRate: 1 })).rejects.toThrow(/learningRate|Unrecognized/);
    await expect(trainAgent({ ...corridor, totalSteps: 256, gamma: 2 })).rejects.toThrow(/gamma/);
    await expect(trainAgent({ env: 'ShapeWorld-v0', frontend: 'darla' })).rejects.toThrow(/--vae/);
    await expect(trainAgent({ ...corridor, totalSteps: 10 })).rejects.toThrow(/totalSteps/);
    await expect(trainAgent({ ...corridor, env: 'Nope-v0', totalSteps: 256 })).rejects.toThrow(/unknown env/);
  });
});
