/** The page's pure data helpers: rings, chart coordinates, RGB → RGBA. */
import { describe, expect, it } from 'vitest';
import { LatentHistory, Ring, checksum, fmt, niceRange, polylinePoints, rgbToRgba, toPixel } from '../../viewer/client/history.ts';

describe('Ring', () => {
  it('keeps the newest `capacity` values in order', () => {
    const r = new Ring(3);
    for (const x of [1, 2, 3, 4, 5]) r.push(x);
    expect(r.toArray()).toEqual([3, 4, 5]);
    expect(r.last()).toBe(5);
    expect(r.extent()).toEqual([3, 5]);
    r.clear();
    expect(r.length).toBe(0);
    expect(r.extent()).toEqual([0, 0]);
  });

  it('LatentHistory follows the latent count', () => {
    const h = new LatentHistory(4);
    h.push([1, 2]);
    h.push([3, 4]);
    expect(h.rings.map((r) => r.toArray())).toEqual([[1, 3], [2, 4]]);
    h.push([5, 6, 7]);
    expect(h.rings.length).toBe(3);
  });
});

describe('chart coordinates', () => {
  it('puts the newest value at the right edge and maps [lo, hi] bottom to top', () => {
    expect(polylinePoints([0, 10], 0, 0, 100, 50, 0, 10, 2)).toEqual([0, 50, 100, 0]);
    // A short history in a long window starts partway across.
    expect(polylinePoints([5], 0, 0, 100, 50, 0, 10, 11)).toEqual([100, 25]);
  });

  it('clamps and pads', () => {
    expect(toPixel(10, 0, 1, 0, 100)).toBe(100);
    expect(toPixel(-1, 0, 1, 0, 100)).toBe(0);
    expect(niceRange(2, 2)).toEqual([1.5, 2.5]);
    expect(niceRange(0, 10)).toEqual([-0.5, 10.5]);
  });
});

describe('pixels and labels', () => {
  it('expands RGB to opaque RGBA', () => {
    expect([...rgbToRgba(Uint8Array.from([1, 2, 3, 4, 5, 6]))]).toEqual([1, 2, 3, 255, 4, 5, 6, 255]);
  });
  it('checksums tell images apart', () => {
    expect(checksum(Uint8Array.from([1, 2]))).not.toBe(checksum(Uint8Array.from([2, 1])));
  });
  it('formats numbers compactly', () => {
    expect(fmt(1234.5)).toBe('1235');
    expect(fmt(-0.01)).toBe('-0.0100');
    expect(fmt(null)).toBe('–');
    expect(fmt(1e-5)).toBe('1.00e-5');
  });
});
