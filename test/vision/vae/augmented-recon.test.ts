/**
 * The augmented reconstruction term (vision/vae/augmented-recon.ts): kernel taps, the separable
 * per-channel blur, and the mixed loss against a direct computation written out here.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../vision/compute/backend.ts';
import { BlurSchema, augmentedReconstructionPerSample, blurImages, blurTaps } from '../../../vision/vae/augmented-recon.ts';
import { reconstructionPerSample } from '../../../vision/vae/objectives.ts';

const quiet = { log: () => {} };

/** Zero-padded 2-D blur of one channel of an h×w image by the outer product of taps (direct sum). */
function blur2d(img: number[][], taps: ArrayLike<number>): number[][] {
  const r = (taps.length - 1) / 2;
  return img.map((row, y) =>
    row.map((_, x) => {
      let s = 0;
      for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) s += (img[y + dy]?.[x + dx] ?? 0) * taps[dy + r] * taps[dx + r];
      return s;
    }),
  );
}

describe('augmented reconstruction', () => {
  it('Gaussian taps are truncated at 3σ and sum to 1; box taps are 1/width', () => {
    const g = blurTaps({ kernel: 'gaussian', sigma: 1, weight: 0.5 });
    expect(g.length).toBe(7);
    const z = 1 + 2 * (Math.exp(-0.5) + Math.exp(-2) + Math.exp(-4.5));
    expect(g[3]).toBeCloseTo(1 / z, 6);
    expect(g[2]).toBeCloseTo(Math.exp(-0.5) / z, 6);
    expect(g[0]).toBeCloseTo(g[6], 7);
    expect(Array.from(blurTaps({ kernel: 'box', width: 3, weight: 1 }))).toEqual([1 / 3, 1 / 3, 1 / 3].map(Math.fround));
  });

  it('refuses an even box, a weight outside [0, 1] and unknown keys', () => {
    expect(BlurSchema.safeParse({ kernel: 'box', width: 4, weight: 0.5 }).success).toBe(false);
    expect(BlurSchema.safeParse({ kernel: 'gaussian', sigma: 2, weight: 1.5 }).success).toBe(false);
    expect(BlurSchema.safeParse({ kernel: 'gaussian', sigma: 0, weight: 0.5 }).success).toBe(false);
    expect(BlurSchema.safeParse({ kernel: 'gaussian', sigma: 2, weight: 0.5, size: 3 }).success).toBe(false);
  });

  it('blurs each channel on its own: a point spreads into the kernel, other channels stay dark', async () => {
    await selectBackend('cpu', quiet);
    const data = new Float32Array(7 * 7 * 2);
    data[(3 * 7 + 3) * 2] = 1; // channel 0, centre
    const taps = blurTaps({ kernel: 'gaussian', sigma: 0.8, weight: 1 });
    const out = await blurImages(tf.tensor4d(data, [1, 7, 7, 2]), taps).array();
    const r = (taps.length - 1) / 2;
    for (let y = 0; y < 7; y++) {
      for (let x = 0; x < 7; x++) {
        const dy = y - 3;
        const dx = x - 3;
        const want = Math.abs(dy) <= r && Math.abs(dx) <= r ? taps[dy + r] * taps[dx + r] : 0;
        expect(out[0][y][x][0]).toBeCloseTo(want, 6);
        expect(out[0][y][x][1]).toBe(0);
      }
    }
  });

  for (const likelihood of ['bernoulli', 'gaussian'] as const) {
    it(`mixes (1 − w)·L(x̂, x) + w·L(K∗x̂, K∗x) (${likelihood}), written out by hand`, async () => {
      await selectBackend('cpu', quiet);
      const logitsRows = [
        [0.5, -1, 2, 0],
        [1.5, 0.25, -0.5, -2],
        [0, 1, -1, 3],
      ];
      const xRows = [
        [1, 0, 0.5, 0.25],
        [0, 1, 1, 0],
        [0.75, 0, 0, 1],
      ];
      const blur = { kernel: 'box' as const, width: 3, weight: 0.25 };
      const logits = tf.tensor4d(logitsRows.flat(), [1, 3, 4, 1]);
      const x = tf.tensor4d(xRows.flat(), [1, 3, 4, 1]);
      const plain = reconstructionPerSample(logits, x, likelihood);
      const got = (await augmentedReconstructionPerSample(plain, logits, x, likelihood, blur).data())[0];

      const sig = (l: number) => 1 / (1 + Math.exp(-l));
      const p = logitsRows.map((r) => r.map(sig));
      const term = (pred: number[][], target: number[][]) => {
        let s = 0;
        pred.forEach((row, i) =>
          row.forEach((q, j) => {
            const t = target[i][j];
            s += likelihood === 'bernoulli' ? -(t * Math.log(q) + (1 - t) * Math.log(1 - q)) : 0.5 * (q - t) ** 2;
          }),
        );
        return s;
      };
      const third = [1 / 3, 1 / 3, 1 / 3];
      const want = 0.75 * term(p, xRows) + 0.25 * term(blur2d(p, third), blur2d(xRows, third));
      expect(got).toBeCloseTo(want, 4);
      // With weight 0 it is the plain term.
      const w0 = (await augmentedReconstructionPerSample(plain, logits, x, likelihood, { ...blur, weight: 0 }).data())[0];
      expect(w0).toBeCloseTo(term(p, xRows), 4);
      tf.dispose([logits, x, plain]);
    });
  }
});
