import { describe, expect, it } from 'vitest';
import { blit } from '../../envs/shapeworld/painter.ts';
import { SHAPES, agentMarker, shapeSprite, type Sprite } from '../../envs/shapeworld/shapes.ts';

describe('sprites', () => {
  it('gives every shape a distinct, non-empty, cached mask that rotation changes', () => {
    const masks = SHAPES.map((s) => shapeSprite(s, 8, 0));
    for (const m of masks) {
      expect(m.w * m.h).toBeGreaterThan(0);
      expect(m.w).toBeLessThanOrEqual(10);
    }
    for (let i = 0; i < masks.length; i++) {
      for (let j = i + 1; j < masks.length; j++) expect(Buffer.from(masks[i].alpha).equals(Buffer.from(masks[j].alpha)), `${SHAPES[i]} vs ${SHAPES[j]}`).toBe(false);
    }
    expect(shapeSprite('heart', 8, 0)).toBe(masks[2]);
    const up = shapeSprite('triangle', 8, 0);
    const right = shapeSprite('triangle', 8, 90);
    expect(Buffer.from(up.alpha).equals(Buffer.from(right.alpha))).toBe(false);
    // A square is symmetric under a quarter turn.
    expect(Array.from(shapeSprite('square', 8, 90).alpha)).toEqual(Array.from(masks[0].alpha));
    const area = (s: Sprite) => s.alpha.reduce((a, b) => a + b, 0) / 255;
    expect(area(shapeSprite('ellipse', 10, 0))).toBeGreaterThan(area(shapeSprite('ellipse', 5, 0)) * 3);
    expect(agentMarker(8).fill.w).toBe(10);
    expect(agentMarker(12).fill.w).toBe(12);
    expect(agentMarker(12)).toBe(agentMarker(16));
  });
});

describe('blit', () => {
  it('blends with exact integer rounding', () => {
    const sprite: Sprite = { dx0: 0, dy0: 0, w: 3, h: 1, alpha: Uint8Array.of(255, 128, 0) };
    const frame = new Uint8Array(64 * 64 * 3).fill(10);
    blit(frame, 0, sprite, 5, 5, 200, 100, 0);
    const o = (5 * 64 + 5) * 3;
    expect(Array.from(frame.subarray(o, o + 9))).toEqual([200, 100, 0, Math.round((200 * 128 + 10 * 127) / 255), Math.round((100 * 128 + 10 * 127) / 255), Math.round((10 * 127) / 255), 10, 10, 10]);
  });

  it('clips at every edge without touching memory outside the frame', () => {
    const sprite = shapeSprite('square', 12, 0);
    const buf = new Uint8Array(3 * 64 * 64 * 3).fill(7);
    const frame = 64 * 64 * 3;
    for (const [x, y] of [
      [0, 0],
      [64, 64],
      [-3, 30],
      [30, 67],
    ]) {
      blit(buf, frame, sprite, x, y, 255, 255, 255);
    }
    expect(buf.subarray(0, frame).every((v) => v === 7)).toBe(true);
    expect(buf.subarray(2 * frame).every((v) => v === 7)).toBe(true);
    expect(buf.subarray(frame, 2 * frame).some((v) => v === 255)).toBe(true);
  });
});
