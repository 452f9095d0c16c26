/** The patch-means latent model: exact on flat patches, decode responds to z. */
import { describe, expect, it } from 'vitest';
import { PatchMeansModel } from '../../viewer/patch-model.ts';

describe('PatchMeansModel', () => {
  it('encodes flat patches exactly and decodes them back', async () => {
    const m = new PatchMeansModel(64, 64, 2);
    expect(m.latentDim).toBe(12);
    expect(m.latentLabels[0]).toBe('patch00.r');
    const frame = new Uint8Array(64 * 64 * 3);
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        const v = x < 32 ? 40 : 200;
        frame.set([v, 100, 255 - v], (y * 64 + x) * 3);
      }
    }
    const { mu, sigma } = await m.encode(frame, 1);
    expect(mu.length).toBe(12);
    expect(mu[0]).toBeCloseTo((40 / 255 - 0.5) * 4, 5);
    expect(mu[3]).toBeCloseTo((200 / 255 - 0.5) * 4, 5);
    expect(Math.max(...sigma)).toBeCloseTo(0.02, 5); // flat patches: the σ floor
    const back = await m.decode(mu, 1);
    // Corners sit at patch centres' side of the interpolation, so they come back exactly.
    expect([...back.subarray(0, 3)]).toEqual([40, 100, 215]);
    expect([...back.subarray((63 * 64 + 63) * 3, (63 * 64 + 63) * 3 + 3)]).toEqual([200, 100, 55]);
  });

  it('decodes a different image when one latent moves', async () => {
    const m = new PatchMeansModel();
    const z = new Float32Array(12);
    const a = await m.decode(z, 1);
    z[4] = 1.5;
    const b = await m.decode(z, 1);
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).not.toBe(0);
  });

  it('handles batches and checks sizes', async () => {
    const m = new PatchMeansModel();
    const { mu } = await m.encode(new Uint8Array(2 * 64 * 64 * 3).fill(255), 2);
    expect(mu.length).toBe(24);
    await expect(m.encode(new Uint8Array(10), 1)).rejects.toThrow(/expected/);
    await expect(m.decode(new Float32Array(5), 1)).rejects.toThrow(/expected/);
  });
});
