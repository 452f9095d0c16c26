import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../envs/core/rng.ts';
import { UserError } from '../../../envs/core/errors.ts';
import { computeMig, migFromCodes } from '../../../vision/metrics/mig.ts';
import type { RepresentationFn } from '../../../vision/metrics/types.ts';
import { SyntheticWorld, standardCodes } from './synthetic.ts';
import { HAND_CASE, migCrosscheckCases, SYNTHETIC_NUM_TRAIN, SYNTHETIC_SEED } from './mig-cases.ts';

/** Numbers from the independent reference (scripts/crosscheck/mig.py, numpy), made once and committed. */
interface CrosscheckRow {
  name: string;
  n: number;
  d: number;
  f: number;
  numBins: number;
  codesSum: number;
  factorsSum: number;
  mig: number;
  gapPerFactor: number[];
  entropy: number[];
  mutualInfo: number[];
}
const TABLE = JSON.parse(fs.readFileSync(new URL('../../fixtures/mig-crosscheck.json', import.meta.url), 'utf8')) as { command: string; cases: CrosscheckRow[] };
const tableRow = (name: string) => {
  const row = TABLE.cases.find((c) => c.name === name);
  if (row === undefined) throw new Error(`test/fixtures/mig-crosscheck.json has no case ${name}; remake it with: ${TABLE.command}`);
  return row;
};

describe('MIG (Chen et al. 2018; disentanglement_lib compute_mig)', () => {
  // A balanced design: every (f0, f1) pair once, so factors are exactly independent in the sample.
  const factors = Int32Array.from([0, 0, 0, 1, 1, 0, 1, 1]);

  it('is 1 for a code that copies each factor, and loses a factor\'s gap when its latent is duplicated', () => {
    const copy = [0, 0, 0, 1, 1, 0, 1, 1];
    expect(migFromCodes(copy, factors, 4, 2, 2).mig).toBeCloseTo(1, 12);
    // Latents (f0, f0, f1): factor 0's two best latents tie (gap 0), factor 1 keeps gap 1 → 0.5.
    const dup = [0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 1, 1];
    const r = migFromCodes(dup, factors, 4, 3, 2);
    expect(r.mig).toBeCloseTo(0.5, 12);
    expect(r.mutualInfo.length).toBe(3 * 2);
    expect(r.entropy[0]).toBeCloseTo(Math.LN2, 12);
    expect(() => migFromCodes([0, 1, 2, 3], factors, 4, 1, 2)).toThrow(UserError);
  });

  it('divides each gap by the factor\'s entropy: a 3-class unequal factor, and a latent that splits a binary one', () => {
    // HAND_CASE (mig-cases.ts): f0 has classes ½, ¼, ¼ (H = 1.5 ln 2); z0 copies it, z1 merges its
    // classes 1 and 2 (I = ln 2). f1 is binary (H = ln 2); z2 splits its class 1 in two, so
    // H(z2) = 1.5 ln 2 ≠ H(f1) while I(z2; f1) = ln 2. Gaps ⅓ and 1: MIG ⅔. Dividing by the
    // latent's entropy would give ½, by log(classes) 0.658, by nothing 0.52.
    const { codes: c, factors: v, n, d, f } = HAND_CASE;
    const r = migFromCodes(c, Int32Array.from(v), n, d, f);
    const ln2 = Math.LN2;
    expect(Array.from(r.entropy)).toEqual([expect.closeTo(1.5 * ln2, 12), expect.closeTo(ln2, 12)]);
    // I(z_j; f_k), [latents, factors]: z2 also carries ¼ ln 2 about f0 (f0 = 0 has more rows).
    const want = [1.5 * ln2, 0, ln2, 0, 0.25 * ln2, ln2];
    want.forEach((w, i) => expect(r.mutualInfo[i]).toBeCloseTo(w, 12));
    expect(r.gapPerFactor[0]).toBeCloseTo(1 / 3, 12);
    expect(r.gapPerFactor[1]).toBeCloseTo(1, 12);
    expect(r.mig).toBeCloseTo(2 / 3, 12);
  });

  it('matches the committed numbers of an independent implementation on every cross-check case', async () => {
    const cases = await migCrosscheckCases();
    expect(cases.map((c) => c.name)).toEqual(TABLE.cases.map((c) => c.name));
    for (const c of cases) {
      const row = tableRow(c.name);
      // The same inputs as the reference saw (else: remake the table with row.command).
      expect([c.n, c.d, c.f, c.numBins], c.name).toEqual([row.n, row.d, row.f, row.numBins]);
      expect(c.codes.reduce((a, b) => a + b, 0), c.name).toBeCloseTo(row.codesSum, 6);
      expect(c.factors.reduce((a, b) => a + b, 0), c.name).toBe(row.factorsSum);
      const r = migFromCodes(c.codes, Int32Array.from(c.factors), c.n, c.d, c.f, c.numBins);
      expect(r.mig, c.name).toBeCloseTo(row.mig, 10);
      row.gapPerFactor.forEach((g, k) => expect(r.gapPerFactor[k], `${c.name} gap ${k}`).toBeCloseTo(g, 10));
      row.entropy.forEach((h, k) => expect(r.entropy[k], `${c.name} H ${k}`).toBeCloseTo(h, 10));
      row.mutualInfo.forEach((m, i) => expect(r.mutualInfo[i], `${c.name} I ${i}`).toBeCloseTo(m, 10));
    }
  });

  const world = new SyntheticWorld();
  const codes = standardCodes(world);
  const run = (rep: RepresentationFn) => computeMig(world, rep, new Rng(SYNTHETIC_SEED), { numTrain: SYNTHETIC_NUM_TRAIN });

  it('separates identity (near 1), rotation (low) and constant (0) codes — at the reference\'s values', async () => {
    const identity = (await run(codes.identity())).mig;
    const rotation = (await run(codes.rotation())).mig;
    const constant = (await run(codes.constant())).mig;
    // Not 1: with 1000 samples the other latents' plug-in MI with a factor is small but positive.
    expect(identity).toBeCloseTo(tableRow('synthetic-identity').mig, 10); // 0.974
    expect(rotation).toBeCloseTo(tableRow('synthetic-rotation').mig, 10); // 0.167
    expect(rotation).toBeLessThan(identity - 0.5);
    expect(constant).toBe(0);
  });

  it('drops by one factor\'s share (1/F) for a duplicated latent or an ignored factor — at the reference\'s values', async () => {
    const identity = (await run(codes.identity())).mig;
    const f = world.factorSizes.length;
    const duplicate = (await run(codes.duplicate())).mig;
    const ignoreLast = (await run(codes.ignoreLast())).mig;
    expect(duplicate).toBeCloseTo(tableRow('synthetic-duplicate').mig, 10); // 0.782
    expect(ignoreLast).toBeCloseTo(tableRow('synthetic-ignoreLast').mig, 10); // 0.777
    expect(duplicate).toBeCloseTo((identity * (f - 1)) / f, 2);
    expect(ignoreLast).toBeCloseTo((identity * (f - 1)) / f, 2);
  });
});
