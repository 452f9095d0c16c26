/**
 * Golden values for the β-VAE objectives (vision/vae/objectives.ts): every term on tiny tensors, by
 * hand where the numbers are round and against a short independent float64 computation written
 * here (plain loops, no tfjs) where they are not; every objective the CLI advertises (beta with its
 * warm-up, capacity with its C ramp, tcvae, the perceptual target) at chosen steps; the defaults.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { klPerLatent } from '../../vision/metrics/kl.ts';
import { defaultObjective, presetObjective, LONG_BETA } from '../../vision/vae/config.ts';
import type { BetaVae } from '../../vision/vae/model.ts';
import { betaAt, capacityAt, computeLoss, gaussianKl, reconstructionPerSample, type LossTerms, type Objective } from '../../vision/vae/objectives.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// ---- the tiny problem: N = 2 samples, L = 2 latents, 1×1×3 "images" --------------------------
const MU = [
  [0.5, -1],
  [0, 2],
];
const LOGVAR = [
  [0, Math.log(0.5)],
  [Math.log(2), -1],
];
const NOISE = [
  [1, 0],
  [-0.5, 2],
];
const X = [
  [0.2, 1, 0],
  [0.5, 0, 0.9],
];
// The decoder is linear: logits = z·W, W = [[1, 0, 1], [0, 1, −1]] → (z0, z1, z0 − z1).
const W = [
  [1, 0, 1],
  [0, 1, -1],
];

/** A stand-in for BetaVae: fixed encoder outputs and the linear decoder above. */
function fakeModel(likelihood: 'bernoulli' | 'gaussian'): BetaVae {
  const stub = {
    arch: { likelihood },
    encode: () => ({ mu: tf.tensor2d(MU), logvar: tf.tensor2d(LOGVAR) }),
    decode: (zs: tf.Tensor2D) => tf.reshape(tf.matMul(zs, tf.tensor2d(W)), [zs.shape[0], 1, 1, 3]) as tf.Tensor4D,
  };
  // computeLoss reads only arch.likelihood, encode and decode; the rest of BetaVae is not needed.
  return stub as unknown as BetaVae;
}

const xTensor = () => tf.tensor4d(X.flat(), [2, 1, 1, 3]);

// ---- the independent computation, float64 -------------------------------------------------
const sigmoid = (l: number) => 1 / (1 + Math.exp(-l));
const logsumexp = (xs: number[]) => {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((a, v) => a + Math.exp(v - m), 0));
};
const logNormal = (z: number, mu: number, lv: number) => -0.5 * (Math.log(2 * Math.PI) + lv + (z - mu) ** 2 / Math.exp(lv));

function reference(datasetSize: number) {
  const n = MU.length;
  const L = MU[0].length;
  const zs = MU.map((row, i) => row.map((m, j) => m + Math.exp(0.5 * LOGVAR[i][j]) * NOISE[i][j]));
  const logits = zs.map((z) => W[0].map((_, k) => z[0] * W[0][k] + z[1] * W[1][k]));
  const bern = logits.map((ls, i) => ls.reduce((a, l, k) => a - (X[i][k] * Math.log(sigmoid(l)) + (1 - X[i][k]) * Math.log(1 - sigmoid(l))), 0));
  const gauss = logits.map((ls, i) => ls.reduce((a, l, k) => a + 0.5 * (X[i][k] - sigmoid(l)) ** 2, 0));
  const klNd = MU.map((row, i) => row.map((m, j) => 0.5 * (m * m + Math.exp(LOGVAR[i][j]) - LOGVAR[i][j] - 1)));
  const klPerDim = [0, 1].map((j) => (klNd[0][j] + klNd[1][j]) / n);
  // β-TCVAE, minibatch-weighted sampling (Chen et al. 2018, §C.1): q(z) ≈ 1/(nN) Σ_j q(z|x_j).
  const logNM = Math.log(n * datasetSize);
  let mi = 0;
  let tc = 0;
  let dimKl = 0;
  for (let i = 0; i < n; i++) {
    let logqzx = 0;
    let logpz = 0;
    for (let d = 0; d < L; d++) {
      logqzx += logNormal(zs[i][d], MU[i][d], LOGVAR[i][d]);
      logpz += logNormal(zs[i][d], 0, 0);
    }
    const joint: number[] = [];
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let d = 0; d < L; d++) s += logNormal(zs[i][d], MU[j][d], LOGVAR[j][d]);
      joint.push(s);
    }
    const logqz = logsumexp(joint) - logNM;
    let logqzProd = 0;
    for (let d = 0; d < L; d++) logqzProd += logsumexp(MU.map((_, j) => logNormal(zs[i][d], MU[j][d], LOGVAR[j][d]))) - logNM;
    mi += (logqzx - logqz) / n;
    tc += (logqz - logqzProd) / n;
    dimKl += (logqzProd - logpz) / n;
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { bern: mean(bern), gauss: mean(gauss), bernPerSample: bern, klNd, klPerDim, kl: klPerDim[0] + klPerDim[1], mi, tc, dimKl };
}

function run(objective: Objective, step: number, likelihood: 'bernoulli' | 'gaussian' = 'bernoulli') {
  const terms: LossTerms = computeLoss(fakeModel(likelihood), objective, xTensor(), tf.tensor2d(NOISE), step);
  const read = (t: tf.Tensor | undefined) => (t === undefined ? undefined : t.dataSync()[0]);
  const out = { loss: read(terms.loss)!, recon: read(terms.recon)!, kl: read(terms.kl)!, klPerDim: Array.from(terms.klPerDim.dataSync()), mi: read(terms.mi), tc: read(terms.tc), dimKl: read(terms.dimKl) };
  tf.dispose([terms.loss, terms.recon, terms.kl, terms.klPerDim, terms.mi, terms.tc, terms.dimKl].filter((t) => t !== undefined) as tf.Tensor[]);
  return out;
}

// float32 arithmetic against float64: 5 decimals on terms of order 1.
const DIGITS = 5;

describe('reconstruction terms', () => {
  it('Bernoulli: ln 2 per pixel at logit 0, whatever x; −ln σ(l) at x = 1; −ln(1 − σ(l)) at x = 0', () => {
    const l = tf.tensor4d([0, 0, 0, 2, -3, 0], [2, 1, 1, 3]);
    const x = tf.tensor4d([0, 0.3, 1, 1, 0, 0.5], [2, 1, 1, 3]);
    const r = reconstructionPerSample(l, x, 'bernoulli').dataSync();
    expect(r[0]).toBeCloseTo(3 * Math.LN2, 6);
    // −ln σ(2) + −ln(1 − σ(−3)) + ln 2 = ln(1 + e^−2) + ln(1 + e^−3) + ln 2
    expect(r[1]).toBeCloseTo(Math.log(1 + Math.exp(-2)) + Math.log(1 + Math.exp(-3)) + Math.LN2, 6);
    tf.dispose([l, x]);
  });

  it('Gaussian: ½(x − σ(l))² summed over pixels, per sample (unit variance, constants dropped)', () => {
    const l = tf.tensor4d([0, 0, 0, 0, 0, 0], [2, 1, 1, 3]);
    const x = tf.tensor4d([0.5, 1, 0, 0.5, 0.5, 0.1], [2, 1, 1, 3]);
    const r = reconstructionPerSample(l, x, 'gaussian').dataSync();
    expect(r[0]).toBeCloseTo(0.5 * (0 + 0.25 + 0.25), 6); // 0.25
    expect(r[1]).toBeCloseTo(0.5 * 0.16, 6); // 0.08
    tf.dispose([l, x]);
  });

  it('matches the independent computation: summed over pixels, averaged over the batch', () => {
    const ref = reference(1);
    const b = run({ kind: 'beta', beta: 0 }, 0, 'bernoulli');
    const g = run({ kind: 'beta', beta: 0 }, 0, 'gaussian');
    expect(b.recon).toBeCloseTo(ref.bern, DIGITS);
    expect(g.recon).toBeCloseTo(ref.gauss, DIGITS);
    // β = 0: the loss is the reconstruction alone.
    expect(b.loss).toBeCloseTo(ref.bern, DIGITS);
  });
});

describe('Gaussian KL', () => {
  it('is ½(μ² + σ² − log σ² − 1) per sample and latent (hand values)', () => {
    // (μ, σ²) = (0, 1) → 0; (1, 1) → ½; (0, 2) → ½(1 − ln 2); (0.5, 1) → 0.125; (−1, ½) → ½(1 + ½ + ln 2 − 1)
    const kl = gaussianKl(tf.tensor2d([[0, 1, 0], [0.5, -1, 0]]), tf.tensor2d([[0, 0, Math.log(2)], [0, Math.log(0.5), 0]])).arraySync();
    const want = [
      [0, 0.5, 0.5 * (1 - Math.LN2)],
      [0.125, 0.5 * (0.5 + Math.LN2), 0],
    ];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) expect(kl[i][j]).toBeCloseTo(want[i][j], 6);
  });

  it('is summed over latents and averaged over the batch in every objective', () => {
    const ref = reference(1);
    const r = run({ kind: 'beta', beta: 1 }, 0);
    r.klPerDim.forEach((v, j) => expect(v).toBeCloseTo(ref.klPerDim[j], DIGITS));
    expect(r.kl).toBeCloseTo(ref.kl, DIGITS);
    // By hand: sample 0: 0.125 + ½(1 + ½ − ln ½ − 1); sample 1: ½(2 − ln 2 − 1) + ½(4 + e^−1 + 1 − 1).
    const hand = (0.125 + 0.5 * (0.5 + Math.LN2) + 0.5 * (1 - Math.LN2) + 0.5 * (4 + Math.exp(-1))) / 2;
    expect(r.kl).toBeCloseTo(hand, DIGITS);
  });

  it('is the one definition: the metrics’ array version (vision/metrics/kl.ts) gives the same numbers', () => {
    const tfKl = tf.tidy(() => tf.mean(gaussianKl(tf.tensor2d(MU), tf.tensor2d(LOGVAR)), 0).arraySync() as number[]);
    const arrKl = klPerLatent(MU.flat(), LOGVAR.flat(), 2, 2);
    tfKl.forEach((v, j) => expect(v).toBeCloseTo(arrKl[j], 6));
  });
});

describe('objectives the CLI advertises', () => {
  it('beta: recon + β(step)·KL, β warmed up linearly from 0', () => {
    const ref = reference(1);
    const obj = { kind: 'beta', beta: 4, warmupSteps: 100 } as const;
    expect([0, 25, 50, 100, 250].map((s) => betaAt(obj, s))).toEqual([0, 1, 2, 4, 4]);
    expect(betaAt({ kind: 'beta', beta: 4 }, 0)).toBe(4);
    expect(betaAt({ kind: 'beta', beta: 4, warmupSteps: 0 }, 0)).toBe(4);
    expect(run(obj, 25).loss).toBeCloseTo(ref.bern + 1 * ref.kl, DIGITS - 1);
    expect(run(obj, 250).loss).toBeCloseTo(ref.bern + 4 * ref.kl, DIGITS - 1);
    expect(run({ kind: 'beta', beta: 4 }, 0, 'gaussian').loss).toBeCloseTo(ref.gauss + 4 * ref.kl, DIGITS - 1);
  });

  it('capacity: recon + γ·|KL − C(step)|, C linear from 0 to C_max over rampSteps, then held', () => {
    const ref = reference(1);
    const obj = { kind: 'capacity', gamma: 10, cMax: 5, rampSteps: 1000 } as const;
    expect([0, 100, 500, 1000, 5000].map((s) => capacityAt(obj, s))).toEqual([0, 0.5, 2.5, 5, 5]);
    // KL ≈ 1.60: below C late in the ramp, above it early — the absolute value matters both ways.
    expect(ref.kl).toBeGreaterThan(0.5);
    expect(ref.kl).toBeLessThan(5);
    expect(run(obj, 100).loss).toBeCloseTo(ref.bern + 10 * (ref.kl - 0.5), DIGITS - 1);
    expect(run(obj, 5000).loss).toBeCloseTo(ref.bern + 10 * (5 - ref.kl), DIGITS - 1);
    expect(run(obj, 0).loss).toBeCloseTo(ref.bern + 10 * ref.kl, DIGITS - 1);
  });

  it('tcvae: MI, TC and dimension-wise KL by minibatch-weighted sampling, weighted α, β, γ', () => {
    for (const datasetSize of [1, 50_000]) {
      const ref = reference(datasetSize);
      const r = run({ kind: 'tcvae', alpha: 1, beta: 6, gamma: 2, datasetSize }, 0);
      expect(r.mi!).toBeCloseTo(ref.mi, 4);
      expect(r.tc!).toBeCloseTo(ref.tc, 4);
      expect(r.dimKl!).toBeCloseTo(ref.dimKl, 4);
      expect(r.loss).toBeCloseTo(ref.bern + 1 * ref.mi + 6 * ref.tc + 2 * ref.dimKl, 3);
      // The decomposition sums to the sampled KL estimate mean_i[log q(z_i|x_i) − log p(z_i)].
      expect(r.mi! + r.tc! + r.dimKl!).toBeCloseTo(ref.mi + ref.tc + ref.dimKl, 4);
    }
    // log(nN) lowers log q(z) and each log q(z_d) alike: MI rises by log N, TC by (L − 1)·log N, and
    // the dimension-wise KL falls by L·log N (so the sum, the sampled KL, does not move).
    const a = reference(1);
    const b = reference(50_000);
    expect(b.mi - a.mi).toBeCloseTo(Math.log(50_000), 9);
    expect(b.tc - a.tc).toBeCloseTo((2 - 1) * Math.log(50_000), 9);
    expect(a.dimKl - b.dimKl).toBeCloseTo(2 * Math.log(50_000), 9);
  });

  it('the perceptual target: ‖J(sigmoid(logits)) − J(x)‖² summed over features, batch-averaged', () => {
    const ref = reference(1);
    // J sums the three pixels into one feature and doubles the first into another.
    const J = { features: (x: tf.Tensor4D) => tf.tidy(() => tf.stack([tf.sum(tf.reshape(x, [x.shape[0], 3]), 1), tf.mul(2, tf.reshape(x, [x.shape[0], 3]).slice([0, 0], [-1, 1]).squeeze([1]))], 1) as tf.Tensor2D) };
    const terms = computeLoss(fakeModel('bernoulli'), { kind: 'beta', beta: 2 }, xTensor(), tf.tensor2d(NOISE), 0, J);
    const zs = MU.map((row, i) => row.map((m, j) => m + Math.exp(0.5 * LOGVAR[i][j]) * NOISE[i][j]));
    const xhat = zs.map((z) => [sigmoid(z[0]), sigmoid(z[1]), sigmoid(z[0] - z[1])]);
    const want = (xhat.map((xh, i) => (xh[0] + xh[1] + xh[2] - X[i][0] - X[i][1] - X[i][2]) ** 2 + (2 * xh[0] - 2 * X[i][0]) ** 2).reduce((a, v) => a + v, 0)) / 2;
    expect(terms.recon.dataSync()[0]).toBeCloseTo(want, DIGITS);
    expect(terms.loss.dataSync()[0]).toBeCloseTo(want + 2 * ref.kl, DIGITS - 1);
    tf.dispose([terms.loss, terms.recon, terms.kl, terms.klPerDim]);
  });

  it('has the documented defaults and schedules (beta warm-up 40%, capacity γ 1000, C_max 25, ramp 80% ≤ 100k)', () => {
    expect(defaultObjective('beta', 3000)).toEqual({ kind: 'beta', beta: 4, warmupSteps: 1200 });
    expect(defaultObjective('capacity', 3000)).toEqual({ kind: 'capacity', gamma: 1000, cMax: 25, rampSteps: 2400 });
    expect(defaultObjective('capacity', 1_000_000)).toMatchObject({ rampSteps: 100_000 });
    expect(defaultObjective('tcvae', 3000)).toEqual({ kind: 'tcvae', alpha: 1, beta: 6, gamma: 1, datasetSize: 50_000 });
    const long = presetObjective('long', 'beta', 1_000_000);
    expect(long).toMatchObject({ kind: 'beta', beta: LONG_BETA });
    const beta = defaultObjective('beta', 3000) as Extract<Objective, { kind: 'beta' }>;
    expect(betaAt(beta, 600)).toBe(2);
    const cap = defaultObjective('capacity', 3000) as Extract<Objective, { kind: 'capacity' }>;
    expect(capacityAt(cap, 1200)).toBe(12.5);
  });
});
