/**
 * Golden tests for "every metric scores only the factors that vary" (issue #22, "Measure what we
 * claim"): a world with a constant factor column must give exactly the scores of the same world
 * without that column, for MIG, DCI, BetaVAE and FactorVAE; DCI's entropy base is the number of
 * varying factors; the BetaVAE/FactorVAE fixed factor is never a constant one.
 */
import { describe, expect, it } from 'vitest';
import type { GroundTruthData } from '../../../envs/core/ground-truth.ts';
import { Rng } from '../../../envs/core/rng.ts';
import { UserError } from '../../../envs/core/errors.ts';
import { betaVaePoints, computeBetaVae } from '../../../vision/metrics/beta-vae.ts';
import { computeDci, dciDisentanglement, dciFromCodes } from '../../../vision/metrics/dci.ts';
import { computeFactorVae, factorVaeVotes } from '../../../vision/metrics/factor-vae.ts';
import { computeMig, migFromCodes } from '../../../vision/metrics/mig.ts';
import type { FactorCode } from '../../../vision/metrics/types.ts';
import { generateFactorCode, selectFactors, varyingFactors } from '../../../vision/metrics/utils.ts';
import { SyntheticWorld, linearRepresentation, randomRotation, selectionMatrix } from './synthetic.ts';

/**
 * `inner` with a constant factor (size 1, value 0) inserted at column `at`. Sampling draws exactly
 * what `inner` draws (the constant column takes no randomness) and rendering drops the column, so
 * the frames — and any representation's codes — are the inner world's, bit for bit.
 */
class WithConstantFactor implements GroundTruthData {
  readonly factorNames: readonly string[];
  readonly factorSizes: readonly number[];
  readonly observationShape: readonly [number, number, number];

  constructor(readonly inner: GroundTruthData, readonly at: number, name = 'constant') {
    this.factorNames = [...inner.factorNames.slice(0, at), name, ...inner.factorNames.slice(at)];
    this.factorSizes = [...inner.factorSizes.slice(0, at), 1, ...inner.factorSizes.slice(at)];
    this.observationShape = inner.observationShape;
  }

  sampleFactors(n: number, rng: Rng): Int32Array {
    return insertColumn(this.inner.sampleFactors(n, rng), n, this.inner.factorSizes.length, this.at);
  }

  render(factors: Int32Array, rng: Rng, out?: Uint8Array): Uint8Array {
    const f = this.factorSizes.length;
    const n = factors.length / f;
    const keep = Int32Array.from({ length: f - 1 }, (_, c) => (c < this.at ? c : c + 1));
    const innerFactors = new Int32Array(n * (f - 1));
    for (let i = 0; i < n; i++) for (let c = 0; c < f - 1; c++) innerFactors[i * (f - 1) + c] = factors[i * f + keep[c]];
    return this.inner.render(innerFactors, rng, out);
  }
}

function insertColumn(factors: Int32Array, n: number, f: number, at: number, value = 0): Int32Array {
  const out = new Int32Array(n * (f + 1));
  for (let i = 0; i < n; i++) {
    for (let c = 0; c <= f; c++) out[i * (f + 1) + c] = c < at ? factors[i * f + c] : c === at ? value : factors[i * f + c - 1];
  }
  return out;
}

function withConstantColumn(fc: FactorCode, at: number): FactorCode {
  return { ...fc, factors: insertColumn(fc.factors, fc.numPoints, fc.numFactors, at), numFactors: fc.numFactors + 1 };
}

const inner = new SyntheticWorld([6, 5, 4, 6]);
const f = inner.factorSizes.length;
const withConst = new WithConstantFactor(inner, 2);
/** A mixed code (half identity, half a rotation, noisy), so every score sits strictly inside (0, 1). */
function mixedCode(seed = 21) {
  const id = selectionMatrix([0, 1, 2, 3], f);
  const rot = randomRotation(f, 9);
  const a = id.map((v, i) => 0.7 * v + 0.5 * rot[i]);
  return linearRepresentation(inner, a, f, 0.3, seed);
}
const identityCode = (seed = 22) => linearRepresentation(inner, selectionMatrix([0, 1, 2, 3], f), f, 0.02, seed);

describe('varyingFactors / selectFactors (utils)', () => {
  it('keeps factors of size > 1 in a world, and columns with more than one value in a sample', () => {
    expect(Array.from(varyingFactors(new WithConstantFactor(inner, 0)))).toEqual([1, 2, 3, 4]);
    expect(Array.from(varyingFactors(withConst))).toEqual([0, 1, 3, 4]);
    expect(Array.from(varyingFactors(inner))).toEqual([0, 1, 2, 3]);
    // 3 rows × 3 factors: column 1 constant, column 2 varies only in the last row.
    const factors = Int32Array.from([0, 7, 1, 1, 7, 1, 2, 7, 0]);
    expect(Array.from(varyingFactors({ factors, numPoints: 3, numFactors: 3 }))).toEqual([0, 2]);
    expect(Array.from(varyingFactors({ factors: factors.subarray(0, 6), numPoints: 2, numFactors: 3 }))).toEqual([0]);
    expect(Array.from(varyingFactors({ factors: factors.subarray(0, 3), numPoints: 1, numFactors: 3 }))).toEqual([]);
  });

  it('selects factor columns and shares the codes', () => {
    const fc: FactorCode = { codes: Float64Array.from([1, 2, 3]), factors: Int32Array.from([0, 7, 1, 1, 7, 1, 2, 7, 0]), numPoints: 3, numLatents: 1, numFactors: 3 };
    const s = selectFactors(fc, [0, 2]);
    expect(Array.from(s.factors)).toEqual([0, 1, 1, 1, 2, 0]);
    expect(s.numFactors).toBe(2);
    expect(s.codes).toBe(fc.codes);
    expect(() => selectFactors(fc, [3])).toThrow(/out of/);
  });
});

describe('a constant factor changes no score (issue #22)', () => {
  it('MIG: the same mean and per-factor gaps, and no gap for the constant factor', async () => {
    const a = await computeMig(inner, mixedCode(), new Rng(4), { numTrain: 800 });
    const b = await computeMig(withConst, mixedCode(), new Rng(4), { numTrain: 800 });
    expect(a.mig).toBeGreaterThan(0.05);
    expect(b.mig).toBe(a.mig);
    expect(b.mig_num_factors).toBe(f);
    expect(b.mig_gap_constant).toBeUndefined();
    expect(b.mig_top_latent_constant).toBeUndefined();
    for (const name of inner.factorNames) {
      expect(b[`mig_gap_${name}`]).toBe(a[`mig_gap_${name}`]);
      expect(b[`mig_top_latent_${name}`]).toBe(a[`mig_top_latent_${name}`]);
    }
  });

  it('DCI from codes: identical scores, importance [latents × varying factors], entropy base = varying factors', async () => {
    const rng = new Rng(6);
    const rep = mixedCode();
    const train = await generateFactorCode(inner, rep, 400, rng);
    const test = await generateFactorCode(inner, rep, 200, rng);
    const without = dciFromCodes(train, test, new Rng(8));
    const withC = dciFromCodes(withConstantColumn(train, 1), withConstantColumn(test, 1), new Rng(8));
    expect(without.disentanglement).toBeGreaterThan(0.05);
    expect(without.disentanglement).toBeLessThan(0.95);
    expect(withC.disentanglement).toBe(without.disentanglement);
    expect(withC.completeness).toBe(without.completeness);
    expect(withC.informativeness_train).toBe(without.informativeness_train);
    expect(withC.informativeness_test).toBe(without.informativeness_test);
    expect(withC.num_factors).toBe(f);
    expect(Array.from(withC.factors)).toEqual([0, 2, 3, 4]);
    expect(withC.importance.length).toBe(f * f);
    expect(Array.from(withC.importance)).toEqual(Array.from(without.importance));
    // The entropy base is F = 4 varying factors, not the 5 columns.
    expect(withC.disentanglement).toBe(dciDisentanglement(withC.importance, f, f));
    // An accuracy of 1 for the constant factor would have raised informativeness; it is not there.
    expect(withC.informativeness_test).toBeLessThan(1);
  });

  it('DCI on a world: identical to the world without the constant factor', async () => {
    const sizes = { numTrain: 300, numTest: 150 };
    const a = await computeDci(inner, mixedCode(), new Rng(3), sizes);
    const b = await computeDci(withConst, mixedCode(), new Rng(3), sizes);
    expect(b).toEqual(a);
    expect(b.num_factors).toBe(f);
  });

  it('DCI: a sample in which every factor is constant is refused, not scored', () => {
    const fc: FactorCode = { codes: Float64Array.from([0, 1, 1, 0]), factors: Int32Array.from([3, 0, 3, 0]), numPoints: 2, numLatents: 2, numFactors: 2 };
    expect(() => dciFromCodes(fc, fc, new Rng(1))).toThrow(UserError);
  });

  it('BetaVAE: identical scores, and the fixed factor is never the constant one', async () => {
    const sizes = { numTrain: 150, numEval: 100, batchSize: 16 };
    const a = await computeBetaVae(inner, mixedCode(), new Rng(2), sizes);
    const b = await computeBetaVae(withConst, mixedCode(), new Rng(2), sizes);
    expect(a.eval_accuracy).toBeGreaterThan(0.3);
    expect(b).toEqual(a);
    expect(b.num_factors).toBe(f);
    const pts = await betaVaePoints(withConst, identityCode(), 8, 200, new Rng(5));
    const seen = new Set(Array.from(pts.labels));
    expect(seen.has(2)).toBe(false);
    expect([...seen].sort()).toEqual([0, 1, 3, 4]);
    // The identity code is scored 1.0 although the world has a constant factor (not capped at 4/5).
    const id = await computeBetaVae(withConst, identityCode(), new Rng(2), sizes);
    expect(id.eval_accuracy).toBe(1);
  });

  it('FactorVAE: identical scores, no vote for the constant factor, identity code at 1.0', async () => {
    const sizes = { numTrain: 200, numEval: 150, numVarianceEstimate: 400, batchSize: 16 };
    const a = await computeFactorVae(inner, mixedCode(), new Rng(2), sizes);
    const b = await computeFactorVae(withConst, mixedCode(), new Rng(2), sizes);
    expect(a.eval_accuracy).toBeGreaterThan(0.3);
    expect(b).toEqual(a);
    expect(b.num_factors).toBe(f);
    const ones = new Float64Array(f).fill(1);
    const votes = await factorVaeVotes(withConst, identityCode(), 16, 200, new Rng(5), ones, new Uint8Array(f).fill(1));
    let constantVotes = 0;
    let total = 0;
    for (let j = 0; j < f; j++) constantVotes += votes[2 * f + j];
    for (const v of votes) total += v;
    expect(total).toBe(200);
    expect(constantVotes).toBe(0);
    const id = await computeFactorVae(withConst, identityCode(), new Rng(2), sizes);
    expect(id.eval_accuracy).toBe(1);
  });

  it('migFromCodes: a constant column gets NaN gap and latent −1 and leaves the mean alone', () => {
    const factors = Int32Array.from([0, 0, 0, 1, 1, 0, 1, 1]);
    const codes = [0, 0, 0, 1, 1, 0, 1, 1];
    const plain = migFromCodes(codes, factors, 4, 2, 2);
    const withC = migFromCodes(codes, insertColumn(factors, 4, 2, 0, 5), 4, 2, 3);
    expect(withC.mig).toBe(plain.mig);
    expect(Number.isNaN(withC.gapPerFactor[0])).toBe(true);
    expect(withC.topLatentPerFactor[0]).toBe(-1);
    expect(Array.from(withC.factors)).toEqual([1, 2]);
  });
});
