import { describe, expect, it } from 'vitest';
import { Box, Dict, Discrete, MultiDiscrete } from '../../envs/core/spaces/index.ts';

describe('Box', () => {
  it('samples inside its bounds and contains only the right dtype and length', () => {
    const b = new Box(-1, [2, 3, 4, 5, 6, 7], [2, 3], 'float32');
    b.seed(1);
    for (let i = 0; i < 200; i++) expect(b.contains(b.sample())).toBe(true);
    expect(b.contains(new Float32Array(6))).toBe(true);
    expect(b.contains(new Float64Array(6))).toBe(false);
    expect(b.contains(new Float32Array(5))).toBe(false);
    expect(b.contains(Float32Array.of(0, 0, 0, 0, 0, 7.5))).toBe(false);
    expect(b.contains(Float32Array.of(NaN, 0, 0, 0, 0, 0))).toBe(false);
    expect(b.contains([0, 0, 0, 0, 0, 0])).toBe(false);
    expect(b.toString()).toBe('Box(-1, [2,3,4,5,…], [2,3], float32)');
  });

  it('samples unbounded and half-bounded float dimensions, and integer boxes inclusively', () => {
    const b = new Box([-Infinity, 0, -Infinity], [Infinity, Infinity, 0], [3]);
    b.seed(2);
    for (let i = 0; i < 100; i++) {
      const x = b.sample();
      expect(Number.isFinite(x[0])).toBe(true);
      expect(x[1]).toBeGreaterThanOrEqual(0);
      expect(x[2]).toBeLessThanOrEqual(0);
    }
    expect(b.isBounded()).toBe(false);
    const u = new Box(0, 2, [1000], 'uint8');
    u.seed(3);
    const s = u.sample();
    expect(s).toBeInstanceOf(Uint8Array);
    expect(new Set(s)).toEqual(new Set([0, 1, 2]));
  });

  it('casts float32 bounds so a float32 value equal to a bound is inside', () => {
    const b = new Box(-4.8, 4.8, [1], 'float32');
    expect(b.contains(Float32Array.of(4.8))).toBe(true);
    expect(b.contains(Float32Array.of(-4.8))).toBe(true);
  });

  it('is reproducible after seed() and rejects malformed bounds', () => {
    const b = new Box(0, 1, [4]);
    b.seed(9);
    const a = b.sample();
    b.seed(9);
    expect(b.sample()).toEqual(a);
    expect(() => new Box(1, 0, [1])).toThrow(/exceeds/);
    expect(() => new Box(0, 1.5, [1], 'uint8')).toThrow(/integers/);
    expect(() => new Box(0, 300, [1], 'uint8')).toThrow(/lie in/);
    expect(() => new Box(0, [1, 2], [3])).toThrow(/elements/);
  });
});

describe('Discrete', () => {
  it('samples 0..n-1 (or from start) and contains integers in range only', () => {
    const d = new Discrete(5);
    d.seed(0);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) seen.add(d.sample());
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(d.contains(4)).toBe(true);
    expect(d.contains(5)).toBe(false);
    expect(d.contains(1.5)).toBe(false);
    expect(d.contains('1')).toBe(false);
    const s = new Discrete(3, -1);
    expect(s.contains(-1)).toBe(true);
    expect(s.contains(2)).toBe(false);
    expect(s.toString()).toBe('Discrete(3, start=-1)');
  });

  it('samples only unmasked values', () => {
    const d = new Discrete(5);
    d.seed(4);
    const mask = Uint8Array.of(0, 1, 0, 1, 0);
    for (let i = 0; i < 100; i++) expect([1, 3]).toContain(d.sample(mask));
    expect(d.sample(new Uint8Array(5))).toBe(0);
    expect(() => d.sample(new Uint8Array(4))).toThrow();
  });
});

describe('MultiDiscrete', () => {
  it('samples each dimension within its own range', () => {
    const m = new MultiDiscrete([2, 3, 4]);
    m.seed(5);
    for (let i = 0; i < 100; i++) expect(m.contains(m.sample())).toBe(true);
    expect(m.contains(Int32Array.of(1, 2, 4))).toBe(false);
    expect(m.contains(Int32Array.of(1, 2))).toBe(false);
    expect(m.contains(Int32Array.of(-1, 0, 0))).toBe(false);
    expect(m.shape).toEqual([3]);
  });
});

describe('Dict', () => {
  it('samples objects with exactly its keys, reproducibly after seed()', () => {
    const d = new Dict({ pos: new Box(0, 1, [2]), act: new Discrete(3) });
    d.seed(6);
    const a = d.sample();
    d.seed(6);
    expect(d.sample()).toEqual(a);
    expect(d.contains(a)).toBe(true);
    expect(d.contains({ pos: a.pos })).toBe(false);
    expect(d.contains({ ...a, extra: 1 })).toBe(false);
    expect(d.contains({ pos: a.pos, act: 3 })).toBe(false);
    expect(d.contains(null)).toBe(false);
    expect(d.toString()).toBe('Dict(act: Discrete(3), pos: Box(0, 1, [2], float32))');
  });
});
