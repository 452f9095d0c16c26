import { describe, expect, it } from 'vitest';
import { Rng, mixSeed } from '../../envs/core/rng.ts';

describe('Rng', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 8 }, () => a.nextU32());
    expect(Array.from({ length: 8 }, () => b.nextU32())).toEqual(xs);
    expect(Array.from({ length: 8 }, () => c.nextU32())).not.toEqual(xs);
  });

  it('resumes bit-exactly from a saved state, normals included', () => {
    const a = new Rng(7);
    a.normal();
    const state = a.getState();
    const after = [a.normal(), a.uniform(), a.int(10)];
    const b = new Rng(0);
    b.setState(state);
    expect([b.normal(), b.uniform(), b.int(10)]).toEqual(after);
  });

  it('draws unbiased integers and sane normals', () => {
    const r = new Rng(1);
    const counts = new Array(5).fill(0);
    for (let i = 0; i < 50_000; i++) counts[r.int(5)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < 50_000; i++) {
      const z = r.normal();
      s += z;
      s2 += z * z;
    }
    expect(Math.abs(s / 50_000)).toBeLessThan(0.02);
    expect(Math.abs(s2 / 50_000 - 1)).toBeLessThan(0.03);
  });

  it('permutes, and mixes seeds into distinct streams', () => {
    const p = new Rng(3).permutation(100);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(mixSeed(1, 2)).not.toBe(mixSeed(2, 1));
    expect(() => new Rng(0).int(0)).toThrow();
    expect(() => new Rng(0).setState([1, 2, 3] as never)).toThrow();
  });
});
