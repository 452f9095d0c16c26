/**
 * Shipped vision (vision/vae/shipped.ts): a finished pretraining run exported as a weights-only
 * model with provenance loads back with the same fingerprint and encodes identically; a tampered
 * checkpoint or a world that changed since it trained is refused with advice; and the long recipe
 * does not depend on its planned length (a run stopped at step N equals a run of N steps).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../vision/compute/backend.ts';
import { LONG_BETA, LONG_WARMUP_STEPS, PretrainConfigSchema, longPretrainConfig, lrAt, presetObjective } from '../../vision/vae/config.ts';
import { pretrain } from '../../vision/vae/pretrain.ts';
import { loadVae } from '../../vision/vae/load.ts';
import { encodeFrames } from '../../vision/vae/frames.ts';
import { sampleFrames } from '../../vision/vae/evaluate.ts';
import { exportShippedVision, loadShippedVision, type Provenance } from '../../vision/vae/shipped.ts';
import { UserError } from '../../envs/core/errors.ts';
import { CheckpointDir, loadCheckpoint } from '../../vision/checkpoint/format.ts';
import { RunDir } from '../../envs/util/run-dir.ts';

const TINY = PretrainConfigSchema.parse({
  arch: { latents: 4, imageSize: 64, channels: 3, convFilters: [4, 4, 8, 8], hidden: 16, likelihood: 'bernoulli' },
  objective: { kind: 'beta', beta: 4 },
  data: { variants: ['source', 'color-shift'], randomPolicyFrames: 64, factorFrames: 64 },
  steps: 6,
  batchSize: 16,
  lr: 3e-3,
  logEvery: 2,
  checkpointEvery: 3,
  metricsScale: 0.01,
});

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'shipped-'));
const INFO = { kind: 'darla' as const, command: 'darla pretrain --preset long --seed 0', hours: 0.01, backend: 'wasm', machine: 'test', trainedAt: '2026-12-03' };

beforeAll(async () => {
  await selectBackend('wasm', { threads: 1 });
});

describe('shipped vision', () => {
  it('exports a run as weights + provenance that load back identically, and refuses tampering and stale worlds', async () => {
    const run = tmp();
    const r = await pretrain(TINY, { runDir: run, seed: 3, quiet: true });
    r.release();
    const root = tmp();
    const p = exportShippedVision(run, path.join(root, 'darla'), INFO);
    expect(p.steps).toBe(6);
    expect(p.seed).toBe(3);
    expect(Object.keys(p.variants)).toEqual(['source', 'color-shift']);
    // Weights only: the shipped checkpoint holds no optimizer moments, so it is about a third of the run's.
    const shippedCkpt = path.join(root, 'darla', 'checkpoints', fs.readFileSync(path.join(root, 'darla', 'checkpoints', 'latest'), 'utf8').trim());
    const runCkpt = path.join(run, 'checkpoints', fs.readFileSync(path.join(run, 'checkpoints', 'latest'), 'utf8').trim());
    expect(fs.statSync(shippedCkpt).size).toBeLessThan(fs.statSync(runCkpt).size / 2);
    for (const f of ['config.json', 'metrics.jsonl', 'provenance.json']) expect(fs.existsSync(path.join(root, 'darla', f)), f).toBe(true);

    const shipped = loadShippedVision('darla', root);
    expect(shipped?.provenance.fingerprint).toBe(p.fingerprint);
    expect(loadShippedVision('entangled', root)).toBeNull();
    const frames = sampleFrames('source', 4, 1);
    const a = loadVae(run);
    const b = loadVae(path.join(root, 'darla'));
    expect(b.info.fingerprint).toBe(a.info.fingerprint);
    expect(Array.from((await encodeFrames(b.model, frames, 4)).mu)).toEqual(Array.from((await encodeFrames(a.model, frames, 4)).mu));
    a.model.dispose();
    b.model.dispose();

    // A provenance that does not match the weights, or a world that changed since: refused, with what to do.
    const file = path.join(root, 'darla', 'provenance.json');
    const good = JSON.parse(fs.readFileSync(file, 'utf8')) as Provenance;
    fs.writeFileSync(file, JSON.stringify({ ...good, fingerprint: '0123456789abcdef' }));
    expect(() => loadShippedVision('darla', root)).toThrow(/has weights .* but its provenance records 0123456789abcdef.*--train-vision/);
    const stale = { ...good, variants: { ...good.variants, source: { ...(good.variants.source as object), background: ['#123456'] } } };
    fs.writeFileSync(file, JSON.stringify(stale));
    let err: unknown;
    try {
      loadShippedVision('darla', root);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/saw variant\(s\) source as they were defined when it trained, and they have changed since; retrain it \(darla pretrain --preset long --seed 0\) or run the pipeline with --train-vision/);

    // An architecture the code no longer builds (here a decoder kind it does not know): refused, naming the command.
    fs.writeFileSync(file, JSON.stringify(good));
    const ckpts = new CheckpointDir(path.join(root, 'darla', 'checkpoints'));
    const saved = loadCheckpoint(ckpts.latest()!);
    ckpts.save({ meta: { ...saved.meta, arch: { ...(saved.meta.arch as object), decoder: 'mlp' } }, arrays: saved.arrays });
    expect(() => loadShippedVision('darla', root)).toThrow(/architecture this version no longer builds .*retrain it \(darla pretrain --preset long --seed 0\)/);
  });

  it('uses a long recipe whose schedule does not depend on its planned length', async () => {
    const long = longPretrainConfig();
    expect(long.objective).toEqual({ kind: 'beta', beta: LONG_BETA, warmupSteps: LONG_WARMUP_STEPS });
    expect(longPretrainConfig(12_345).objective).toEqual(long.objective);
    expect(presetObjective('long', 'beta', 50_000)).toEqual(long.objective);
    expect([0, 5999, 6000, 12_000].map((t) => lrAt(long, t))).toEqual([2e-3, 2e-3, 1e-3, 5e-4]);
    // Stopping a 12-step run after 6 steps gives the weights of a 6-step run, bit for bit (β warm-up
    // and lr decay included).
    const cfg = { ...TINY, objective: { kind: 'beta' as const, beta: 4, warmupSteps: 4 }, lrDecay: { every: 3, factor: 0.5 } };
    const full = tmp();
    const stopped = await pretrain({ ...cfg, steps: 12 }, { runDir: full, seed: 5, quiet: true, stopAfter: 6 });
    stopped.release();
    expect(new RunDir(full).readMetrics().map((m) => m.lr)).toEqual([3e-3, 1.5e-3, 1.5e-3]);
    const short = tmp();
    (await pretrain({ ...cfg, steps: 6 }, { runDir: short, seed: 5, quiet: true })).release();
    const [a, b] = [loadVae(full), loadVae(short)];
    expect(a.info.fingerprint).toBe(b.info.fingerprint);
    a.model.dispose();
    b.model.dispose();
  });
});
