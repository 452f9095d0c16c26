import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../envs/core/rng.ts';
import { collectFrames } from '../../envs/shapeworld/collect.ts';
import { F, FACTOR_NAMES, FRAME_BYTES, NUM_FACTORS } from '../../envs/shapeworld/factors.ts';
import { ShapeWorldDataset, framesToTfDataset } from '../../envs/shapeworld/factor-dataset.ts';
import { getVariant } from '../../envs/shapeworld/variants.ts';
import { sameBytes } from './helpers.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('ShapeWorldDataset (GroundTruthData)', () => {
  it('has 11 small factors, sampled near uniformly with no two objects overlapping', () => {
    const ds = new ShapeWorldDataset();
    expect(ds.factorNames).toEqual(FACTOR_NAMES);
    // The 5×5 source: a position per cell (5 per axis), one scale, one orientation.
    expect(ds.factorSizes).toEqual([5, 5, 5, 5, 3, 5, 5, 3, 1, 1, 3]);
    expect(ds.observationShape).toEqual([64, 64, 3]);
    const n = 20_000;
    const f = ds.sampleFactors(n, new Rng(1));
    for (let k = 0; k < NUM_FACTORS; k++) {
      const counts = new Array(ds.factorSizes[k]).fill(0);
      for (let i = 0; i < n; i++) counts[f[i * NUM_FACTORS + k]]++;
      const expected = n / ds.factorSizes[k];
      for (const c of counts) expect(Math.abs(c - expected) / expected, FACTOR_NAMES[k]).toBeLessThan(0.25);
    }
    // Every object has its own cell.
    const apart = (i: number, a: number, b: number) =>
      f[i * NUM_FACTORS + a] !== f[i * NUM_FACTORS + b] || f[i * NUM_FACTORS + a + 1] !== f[i * NUM_FACTORS + b + 1];
    for (let i = 0; i < n; i++) {
      expect(apart(i, F.agent_x, F.goal_x) && apart(i, F.agent_x, F.hazard_x) && apart(i, F.goal_x, F.hazard_x)).toBe(true);
    }
  });

  it('unions the value lists of several variants', () => {
    const ds = new ShapeWorldDataset(['source', 'color-shift', 'scale-shift', 'background-shift']);
    expect(ds.factorSizes[F.goal_color]).toBe(6);
    expect(ds.factorSizes[F.scale]).toBe(3);
    expect(ds.factorSizes[F.background]).toBe(6);
    expect(Math.max(...ds.factorSizes)).toBeLessThanOrEqual(32);
    expect(() => new ShapeWorldDataset(['source', { ...getVariant('source'), name: 'x', goal: { shape: 'disc', colors: [[1, 2, 3]] } }])).toThrow(/disagree/);
    expect(() => new ShapeWorldDataset(['source', 'classic'])).toThrow(/different boards/);
  });

  it('holds one factor fixed and renders deterministically into a caller buffer', () => {
    const ds = new ShapeWorldDataset();
    const f = ds.sampleWithFixed(50, F.goal_x, 3, new Rng(2));
    for (let i = 0; i < 50; i++) expect(f[i * NUM_FACTORS + F.goal_x]).toBe(3);
    expect(new Set(Array.from({ length: 50 }, (_, i) => f[i * NUM_FACTORS + F.agent_x])).size).toBe(5);
    const buf = new Uint8Array(51 * FRAME_BYTES);
    const out = ds.render(f, new Rng(0), buf);
    expect(out).toBe(buf);
    expect(sameBytes(ds.render(f, new Rng(99)), buf.subarray(0, 50 * FRAME_BYTES))).toBe(true);
    const P = ds.space.board.positionValues;
    expect(() => ds.sampleWithFixed(1, F.goal_x, P, new Rng(0))).toThrow(new RegExp(`goal_x takes values 0..${P - 1}`));
    expect(() => ds.render(Int32Array.of(1, 2, 3), new Rng(0))).toThrow(/multiple of 11/);
    const bad = ds.sampleFactors(1, new Rng(0));
    bad[F.background] = 3;
    expect(() => ds.render(bad, new Rng(0))).toThrow(/background = 3/);
    expect(() => ds.render(f, new Rng(0), new Uint8Array(FRAME_BYTES))).toThrow(/room for 1 frames/);
  });

  it('moves the pixels that belong to a factor, one cell per position', () => {
    const ds = new ShapeWorldDataset();
    const row = ds.sampleFactors(1, new Rng(3));
    row[F.goal_x] = 1;
    row[F.goal_y] = 2;
    row[F.agent_x] = 0;
    row[F.agent_y] = 0;
    row[F.hazard_x] = 4;
    row[F.hazard_y] = 4;
    const a = ds.render(row, new Rng(0));
    row[F.goal_x] = 2; // one position = one 12-px cell
    const b = ds.render(row, new Rng(0));
    let changed = 0;
    let minX = 64;
    let maxX = -1;
    for (let p = 0; p < 64 * 64; p++) {
      if (a[p * 3] !== b[p * 3] || a[p * 3 + 1] !== b[p * 3 + 1] || a[p * 3 + 2] !== b[p * 3 + 2]) {
        changed++;
        minX = Math.min(minX, p % 64);
        maxX = Math.max(maxX, p % 64);
      }
    }
    expect(changed).toBeGreaterThan(4);
    // Goal centre moves from pixel 8 + 12 = 20 to 32: only the two cells' pixels change.
    expect(minX).toBeGreaterThanOrEqual(20 - 6);
    expect(maxX).toBeLessThan(32 + 6);
  });

  it('adds distractors from the rng only in variants that have them', () => {
    const ds = new ShapeWorldDataset(['distractor']);
    const f = ds.sampleFactors(4, new Rng(5));
    expect(sameBytes(ds.render(f, new Rng(1)), ds.render(f, new Rng(1)))).toBe(true);
    expect(sameBytes(ds.render(f, new Rng(1)), ds.render(f, new Rng(2)))).toBe(false);
  });

  it('serves a seeded tf.data dataset of float32 [64, 64, 3] frames in [0, 1] without leaking tensors', async () => {
    const ds = new ShapeWorldDataset();
    const before = tf.memory().numTensors;
    const take = async (seed: number) => {
      const data = ds.toTfDataset({ seed, numFrames: 10, chunk: 4 });
      const sums: number[] = [];
      await data.forEachAsync((x) => {
        expect(x.shape).toEqual([64, 64, 3]);
        expect(x.dtype).toBe('float32');
        const stats = tf.tidy(() => tf.stack([tf.min(x), tf.max(x), tf.sum(x)]));
        const [lo, hi, s] = stats.dataSync();
        stats.dispose();
        expect(lo).toBeGreaterThanOrEqual(0);
        expect(hi).toBeLessThanOrEqual(1);
        sums.push(s);
        x.dispose();
      });
      return sums;
    };
    const a = await take(7);
    expect(a.length).toBe(10);
    expect(await take(7)).toEqual(a);
    expect(await take(8)).not.toEqual(a);
    expect(tf.memory().numTensors).toBe(before);
    // A second pass over the same dataset draws new frames (reproducibly).
    const data = ds.toTfDataset({ seed: 1, numFrames: 3 });
    const pass = async () => (await data.map((x: tf.Tensor3D) => tf.tidy(() => tf.sum(x))).toArray()).map((t) => {
      const v = t.dataSync()[0];
      t.dispose();
      return v;
    });
    const p1 = await pass();
    const p2 = await pass();
    expect(p1).not.toEqual(p2);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('frame collection', () => {
  it('rolls a random policy across variants and returns frames with union-space factors', () => {
    const c = collectFrames({ variants: ['source', 'color-shift', 'distractor'], numFrames: 600, seed: 4 });
    expect(c.count).toBe(600);
    expect(c.frames.length).toBe(600 * FRAME_BYTES);
    expect(c.factors.length).toBe(600 * NUM_FACTORS);
    expect(new Set(c.variantIndex)).toEqual(new Set([0, 1, 2]));
    expect(c.space.factorSizes[F.goal_color]).toBe(6);
    for (let i = 0; i < c.count; i++) {
      for (let k = 0; k < NUM_FACTORS; k++) expect(c.factors[i * NUM_FACTORS + k]).toBeLessThan(c.space.factorSizes[k]);
      // color-shift frames use the colour-shift goal colours (indices 3..5 of the union).
      if (c.variantIndex[i] === 1) expect(c.factors[i * NUM_FACTORS + F.goal_color]).toBeGreaterThanOrEqual(3);
    }
    // Re-rendering the source frames from their factors gives the same pixels.
    const ds = new ShapeWorldDataset(['source', 'color-shift']);
    for (let i = 0; i < 60; i++) {
      if (c.variantIndex[i] !== 0) continue;
      const frame = ds.render(c.factors.slice(i * NUM_FACTORS, (i + 1) * NUM_FACTORS), new Rng(0));
      expect(sameBytes(frame, c.frames.subarray(i * FRAME_BYTES, (i + 1) * FRAME_BYTES))).toBe(true);
    }
    const again = collectFrames({ variants: ['source', 'color-shift', 'distractor'], numFrames: 600, seed: 4 });
    expect(sameBytes(again.frames, c.frames)).toBe(true);
  });

  it('uses a given policy, and shuffles collected frames into a seeded tf dataset', async () => {
    const c = collectFrames({ variants: ['source'], numFrames: 40, seed: 0, policy: () => 0 });
    // A noop policy never ends an episode early: 40 frames = one reset + 39 steps.
    expect(c.episodes).toBe(1);
    const before = tf.memory().numTensors;
    const data = framesToTfDataset(c.frames, c.count, { seed: 3 });
    const xs = await data.toArray();
    expect(xs.length).toBe(40);
    xs.forEach((x) => x.dispose());
    expect(tf.memory().numTensors).toBe(before);
  });
});
