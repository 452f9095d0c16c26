import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointDir, decodeCheckpoint, encodeCheckpoint, loadCheckpoint, saveCheckpoint, type Checkpoint } from '../../vision/checkpoint/format.ts';
import { UserError } from '../../envs/core/errors.ts';

function sample(step = 3): Checkpoint {
  const w = new Float32Array([1.5, -2.25, Math.PI, Number.MIN_VALUE, -0]);
  return {
    meta: { kind: 'vae', arch: { latents: 10, filters: [32, 64] }, step, rng: [1, 2, 3, 4] },
    arrays: {
      'model/w': { dtype: 'float32', shape: [5], data: w },
      'counts': { dtype: 'int32', shape: [2, 2], data: new Int32Array([1, -2, 3, 2 ** 31 - 1]) },
    },
  };
}

describe('checkpoint format', () => {
  it('round-trips arrays bit-exactly with their meta', () => {
    const back = decodeCheckpoint(encodeCheckpoint(sample()));
    expect(back.meta).toEqual(sample().meta);
    const a = back.arrays['model/w'].data as Float32Array;
    expect(Buffer.from(a.buffer)).toEqual(Buffer.from(sample().arrays['model/w'].data.buffer));
    expect(Array.from(back.arrays.counts.data)).toEqual([1, -2, 3, 2 ** 31 - 1]);
    expect(back.arrays.counts.shape).toEqual([2, 2]);
  });

  it('refuses corrupt, truncated and foreign files with a UserError', () => {
    const bytes = encodeCheckpoint(sample());
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 3] ^= 0xff;
    expect(() => decodeCheckpoint(flipped)).toThrow(/checksum/);
    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 8))).toThrow(/truncated/);
    expect(() => decodeCheckpoint(Buffer.from('hello world, not a checkpoint'))).toThrow(UserError);
  });

  it('refuses another kind or architecture, naming both', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-'));
    const file = path.join(dir, 'a.ckpt');
    saveCheckpoint(file, sample());
    expect(() => loadCheckpoint(file, { kind: 'ppo' })).toThrow(/'vae' checkpoint, expected 'ppo'/);
    expect(() => loadCheckpoint(file, { arch: { latents: 12, filters: [32, 64] } })).toThrow(/different architecture/);
    expect(loadCheckpoint(file, { kind: 'vae', arch: { filters: [32, 64], latents: 10 } }).meta.step).toBe(3);
    fs.rmSync(dir, { recursive: true });
  });

  it('keeps the newest checkpoints and points latest at the last one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckptdir-'));
    const cd = new CheckpointDir(dir, 2);
    for (const step of [10, 20, 30]) cd.save(sample(step));
    expect(cd.list().map((f) => path.basename(f))).toEqual(['step-000000020.ckpt', 'step-000000030.ckpt']);
    expect(loadCheckpoint(cd.latest()!).meta.step).toBe(30);
    expect(fs.readdirSync(dir).some((f) => f.endsWith('.tmp'))).toBe(false);
    fs.rmSync(dir, { recursive: true });
  });
});
