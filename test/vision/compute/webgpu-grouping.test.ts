/**
 * The WebGPU backprop-filter kernel's batch grouping (vision/compute/webgpu/grouping.ts): pure
 * arithmetic, so it runs everywhere — no adapter, no skip.
 */
import { describe, expect, it } from 'vitest';
import { imagesPerGroup, TARGET_ROWS_PER_GROUP } from '../../../vision/compute/webgpu/grouping.ts';

describe('imagesPerGroup', () => {
  it('groups whole images for the batched matmul (hand cases)', () => {
    expect(TARGET_ROWS_PER_GROUP).toBe(1024);
    expect(imagesPerGroup(64, 1024)).toBe(1); // one image already fills a group
    expect(imagesPerGroup(64, 4096)).toBe(1); // more than a group: still one image, never 0
    expect(imagesPerGroup(64, 16)).toBe(64); // 64·16 = 1024: the whole batch
    expect(imagesPerGroup(64, 64)).toBe(16);
    expect(imagesPerGroup(6, 200)).toBe(3); // 5 would fit 1024 rows but does not divide 6
    expect(imagesPerGroup(7, 200)).toBe(1); // a prime batch: no divisor between 1 and 5
    expect(imagesPerGroup(1, 1)).toBe(1);
  });

  it('always divides N and never exceeds the row target unless one image does', () => {
    for (let n = 1; n <= 70; n++) {
      for (const p of [1, 3, 16, 49, 200, 1024, 5000]) {
        const g = imagesPerGroup(n, p);
        expect(n % g).toBe(0);
        expect(g).toBeGreaterThanOrEqual(1);
        if (g > 1) expect(g * p).toBeLessThanOrEqual(TARGET_ROWS_PER_GROUP);
        // The largest such divisor: the next divisor up would overflow the target.
        for (let h = g + 1; h <= n; h++) if (n % h === 0) expect(h * p).toBeGreaterThan(TARGET_ROWS_PER_GROUP);
      }
    }
  });
});
