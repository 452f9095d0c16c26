/**
 * The MIG cross-check cases: inputs generated deterministically here (seeded), fed once to an
 * independent reference (scripts/crosscheck/mig.py, numpy, disentanglement_lib's formulas) whose
 * numbers are committed in test/fixtures/mig-crosscheck.json; mig.test.ts recomputes the same
 * inputs and compares. Cases: the hand design (a 3-class unequal factor and a latent that splits a
 * binary one), unequal random factors with merged/split/mixed latents, codes on the histogram's
 * bin edges, a constant latent, and the synthetic world's standard codes as the metric tests use them.
 */
import { Rng } from '../../../envs/core/rng.ts';
import { generateFactorCode } from '../../../vision/metrics/utils.ts';
import type { RepresentationFn } from '../../../vision/metrics/types.ts';
import { SyntheticWorld, standardCodes } from './synthetic.ts';

export interface MigCase {
  name: string;
  codes: number[];
  factors: number[];
  n: number;
  d: number;
  f: number;
  numBins: number;
}

/**
 * The hand design, 8 rows. f0 ∈ {0,0,0,0,1,1,2,2} (p = ½, ¼, ¼: H = 1.5 ln 2), f1 alternating 0/1
 * (H = ln 2), independent of f0. z0 copies f0; z1 merges f0's classes 1 and 2 (I = ln 2); z2 splits
 * f1's class 1 into two values (H(z2) = 1.5 ln 2 > H(f1), I(z2; f1) = ln 2, I(z2; f0) = ¼ ln 2).
 * Gaps: f0 (1.5 − 1)/1.5 = ⅓, f1 (ln 2 − 0)/ln 2 = 1; MIG = ⅔.
 */
export const HAND_CASE: MigCase = {
  name: 'hand-3class-and-split',
  n: 8,
  d: 3,
  f: 2,
  numBins: 20,
  factors: [0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 1, 1, 2, 0, 2, 1],
  codes: [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 1, 1, 0, 1, 1, 1, 2, 1, 0, 2, 1, 2],
};

function unequalRandom(): MigCase {
  const rng = new Rng(20);
  const n = 400;
  const codes: number[] = [];
  const factors: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    const f0 = u < 0.6 ? 0 : u < 0.9 ? 1 : 2; // three unequal classes
    const f1 = rng.int(5);
    const f2 = rng.int(2);
    factors.push(f0, f1, f2);
    codes.push(
      f0 + 0.3 * rng.normal(), // f0, noisy
      Math.floor(f1 / 2) + 0.1 * rng.normal(), // f1 with classes merged pairwise
      f0 + f1 + 0.5 * rng.normal(), // a mix
      f2 === 0 ? 0.05 * rng.normal() : 1 + rng.int(3) + 0.05 * rng.normal(), // f2's class 1 split three ways
      rng.normal(), // noise
    );
  }
  return { name: 'unequal-random', n, d: 5, f: 3, numBins: 20, codes, factors };
}

/**
 * Codes 0..20 on the 20-bin edges: a value on an edge goes up, the maximum joins the last bin, so 19
 * and 20 share a bin — and f0 tells them apart (classes 1 and 2), which it does not for 0 and 1.
 */
function onEdges(): MigCase {
  const n = 63;
  const codes: number[] = [];
  const factors: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = i % 21;
    codes.push(v, (i * 7) % 21);
    factors.push(v < 10 ? 0 : v < 20 ? 1 : 2, i % 2);
  }
  return { name: 'bin-edges', n, d: 2, f: 2, numBins: 20, codes, factors };
}

/** One latent constant (numpy widens its range to ± 0.5: one bin), 10 bins. */
function constantLatent(): MigCase {
  const rng = new Rng(21);
  const n = 200;
  const codes: number[] = [];
  const factors: number[] = [];
  for (let i = 0; i < n; i++) {
    const f0 = rng.int(4);
    factors.push(f0);
    codes.push(3.5, f0 + 0.4 * rng.normal(), rng.normal());
  }
  return { name: 'constant-latent', n, d: 3, f: 1, numBins: 10, codes, factors };
}

/** The synthetic world's standard codes, sampled exactly as mig.test.ts's computeMig calls do. */
export const SYNTHETIC_CODES = ['identity', 'rotation', 'duplicate', 'ignoreLast'] as const;
export const SYNTHETIC_SEED = 7;
export const SYNTHETIC_NUM_TRAIN = 1000;

async function synthetic(which: (typeof SYNTHETIC_CODES)[number]): Promise<MigCase> {
  const world = new SyntheticWorld();
  const rep: RepresentationFn = standardCodes(world)[which]();
  const fc = await generateFactorCode(world, rep, SYNTHETIC_NUM_TRAIN, new Rng(SYNTHETIC_SEED));
  return { name: `synthetic-${which}`, n: fc.numPoints, d: fc.numLatents, f: fc.numFactors, numBins: 20, codes: Array.from(fc.codes), factors: Array.from(fc.factors) };
}

export async function migCrosscheckCases(): Promise<MigCase[]> {
  const out = [HAND_CASE, unequalRandom(), onEdges(), constantLatent()];
  for (const which of SYNTHETIC_CODES) out.push(await synthetic(which));
  return out;
}
