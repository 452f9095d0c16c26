/**
 * Integration tests for β-VAE pretraining on a tiny architecture (wasm backend, seconds): the loss
 * goes down, tensors do not leak across steps, a killed run resumes bit-exactly, NaN stops training
 * with the last good checkpoint kept, and bad inputs are refused before anything is written.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../vision/compute/backend.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { PretrainConfigSchema, type PretrainConfig } from '../../vision/vae/config.ts';
import { pretrain } from '../../vision/vae/pretrain.ts';
import { loadVae } from '../../vision/vae/load.ts';
import { CheckpointDir, loadCheckpoint } from '../../vision/checkpoint/format.ts';
import { BetaVae } from '../../vision/vae/model.ts';
import { VaeTrainer, NonFiniteLossError } from '../../vision/vae/trainer.ts';
import { framesToTensor } from '../../vision/vae/frames.ts';
import { buildPretrainFrames } from '../../vision/vae/data.ts';
import { checkResumable } from '../../scripts/run-pretrain.ts';
import { UserError } from '../../envs/core/errors.ts';
import { variantDefinitions } from '../../envs/shapeworld/variant-arg.ts';

const TINY: PretrainConfig = PretrainConfigSchema.parse({
  arch: { latents: 4, imageSize: 64, channels: 3, convFilters: [4, 4, 8, 8], hidden: 16, likelihood: 'bernoulli' },
  objective: { kind: 'beta', beta: 4 },
  data: { variants: ['source'], randomPolicyFrames: 96, factorFrames: 96 },
  steps: 30,
  batchSize: 16,
  lr: 3e-3,
  logEvery: 5,
  checkpointEvery: 10,
  metricsScale: 0.01,
});

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'pretrain-'));

beforeAll(async () => {
  await selectBackend('wasm', { threads: 1 });
});

describe('pretraining (tiny β-VAE on the shape world)', () => {
  it('decreases the loss and writes metrics and checkpoints', async () => {
    const dir = tmp();
    const r = await pretrain(TINY, { runDir: dir, seed: 1, quiet: true });
    const m = r.runDir.readMetrics();
    expect(m.map((x) => x.step)).toEqual([5, 10, 15, 20, 25, 30]);
    expect(m[m.length - 1].loss as number).toBeLessThan((m[0].loss as number) * 0.8);
    expect(r.finished).toBe(true);
    const { model, info } = loadVae(dir);
    expect(info.step).toBe(30);
    expect(info.seenVariants).toEqual(['source']);
    expect(model.arch).toEqual(TINY.arch);
    model.dispose();
    r.release();
  });

  it('records the variants it saw by name and definition, never a file path (issue 21.6)', async () => {
    const dir = tmp();
    const file = path.join(dir, 'mine.json');
    fs.writeFileSync(file, JSON.stringify({ extends: 'source', name: 'mine', background: ['#ffffff'], heldOut: ['background'] }));
    const r = await pretrain({ ...TINY, steps: 2, data: { ...TINY.data, variants: ['source', file] } }, { runDir: path.join(dir, 'run'), seed: 1, quiet: true });
    r.release();
    const { model, info } = loadVae(path.join(dir, 'run'));
    model.dispose();
    expect(info.seenVariants).toEqual(['source', 'mine']);
    expect(info.seenDefinitions).toEqual(variantDefinitions(['source', file]));
  });

  it("trains DARLA's perceptual target: a DAE first, then the β-VAE in its code (resumable)", async () => {
    const dir = tmp();
    const cfg = PretrainConfigSchema.parse({ ...TINY, steps: 12, target: { kind: 'dae', bottleneck: 8, steps: 10, maskRate: 0.3 } });
    const before = tf.memory().numTensors;
    const r = await pretrain(cfg, { runDir: dir, seed: 4, quiet: true });
    expect(r.finished).toBe(true);
    expect(fs.existsSync(path.join(dir, 'dae', 'latest'))).toBe(true);
    const m = r.runDir.readMetrics();
    expect(m[m.length - 1].recon as number).toBeLessThan(m[0].recon as number);
    r.release();
    // Running again loads the finished DAE instead of retraining it.
    const again = await pretrain(cfg, { runDir: dir, seed: 4, quiet: true, resume: true });
    expect(again.step).toBe(12);
    again.release();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('does not grow tf.memory().numTensors across steps', async () => {
    const model = new BetaVae(TINY.arch, 3);
    const trainer = new VaeTrainer(model, { kind: 'capacity', gamma: 100, cMax: 5, rampSteps: 10 }, { lr: 1e-3, seed: 3 });
    const data = buildPretrainFrames({ variants: ['source'], randomPolicyFrames: 64, factorFrames: 0 }, 3, { evalFrames: 8 });
    const x = framesToTensor(data.frames, 16);
    await trainer.trainStep(x);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await trainer.trainStep(x);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    trainer.dispose();
    model.dispose();
  });

  it('resumes a killed run bit-exactly', async () => {
    const straight = tmp();
    const killed = tmp();
    const a = await pretrain(TINY, { runDir: straight, seed: 7, quiet: true });
    const partial = await pretrain(TINY, { runDir: killed, seed: 7, quiet: true, stopAfter: 12 });
    expect(partial.finished).toBe(false);
    // A kill between checkpoints loses the steps after the last one (10); metrics after it are dropped.
    fs.rmSync(new CheckpointDir(path.join(killed, 'checkpoints')).fileFor(12));
    fs.writeFileSync(path.join(killed, 'checkpoints', 'latest'), 'step-000000010.ckpt\n');
    const b = await pretrain(TINY, { runDir: killed, seed: 7, quiet: true, resume: true });
    expect(b.finished).toBe(true);
    const wa = loadCheckpoint(new CheckpointDir(path.join(straight, 'checkpoints')).latest()!);
    const wb = loadCheckpoint(new CheckpointDir(path.join(killed, 'checkpoints')).latest()!);
    for (const name of Object.keys(wa.arrays)) {
      expect(Buffer.from(wb.arrays[name].data.buffer).equals(Buffer.from(wa.arrays[name].data.buffer)), name).toBe(true);
    }
    const strip = (ms: { step: number; time?: unknown; img_per_sec?: unknown }[]) => ms.map(({ time: _t, img_per_sec: _i, ...rest }) => rest);
    expect(strip(b.runDir.readMetrics())).toEqual(strip(a.runDir.readMetrics()));
    for (const r of [a, partial, b]) r.release();
  });

  it('stops on a non-finite loss and keeps the last good checkpoint', async () => {
    const dir = tmp();
    const bad = { ...TINY, lr: 1e6, steps: 40, checkpointEvery: 1 };
    let error: unknown;
    try {
      await pretrain(bad, { runDir: dir, seed: 2, quiet: true });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(NonFiniteLossError);
    const latest = new CheckpointDir(path.join(dir, 'checkpoints')).latest()!;
    const ckpt = loadCheckpoint(latest);
    for (const a of Object.values(ckpt.arrays)) expect(a.data.every((v) => Number.isFinite(v))).toBe(true);
    expect(ckpt.meta.step).toBe((error as NonFiniteLossError).step - 1);
  });

  it('refuses to resume a run of another architecture, overwriting nothing', async () => {
    const dir = tmp();
    const r = await pretrain({ ...TINY, steps: 5 }, { runDir: dir, seed: 1, quiet: true });
    r.release();
    const before = fs.readFileSync(path.join(dir, 'config.json'), 'utf8');
    const other = { ...TINY, arch: { ...TINY.arch, latents: 6 } };
    expect(() => checkResumable(dir, other)).toThrow(UserError);
    expect(() => checkResumable(dir, other)).toThrow(/latents: checkpoint 4, requested 6/);
    await expect(pretrain(other, { runDir: dir, seed: 1, quiet: true })).rejects.toThrow(/--resume|--fresh/);
    expect(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).toBe(before);
  });
});
