/**
 * Golden tests for MIG's per-factor output (issue #22, "a single number hides where it comes from"):
 * each scored factor's gap and top latent beside the mean, and the task MIG over the task factors
 * that the world has and that vary.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../envs/core/rng.ts';
import { evaluateDisentanglement } from '../../../vision/metrics/index.ts';
import { computeMig, migFromCodes, migScores } from '../../../vision/metrics/mig.ts';
import { SyntheticWorld, linearRepresentation, selectionMatrix } from './synthetic.ts';

describe('MIG per factor: gap and top latent beside the mean', () => {
  // Balanced design over two binary factors: every (f0, f1) pair once.
  const factors = Int32Array.from([0, 0, 0, 1, 1, 0, 1, 1]);

  it('names the latent that carries each factor (latents swapped: factor 0 in z1, factor 1 in z0)', () => {
    // z0 = f1, z1 = f0, z2 constant.
    const codes = [0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0];
    const r = migFromCodes(codes, factors, 4, 3, 2);
    expect(Array.from(r.topLatentPerFactor)).toEqual([1, 0]);
    expect(r.gapPerFactor[0]).toBeCloseTo(1, 12);
    expect(r.gapPerFactor[1]).toBeCloseTo(1, 12);
    expect(migScores(r, ['a', 'b'])).toEqual({
      mig: r.mig,
      mig_num_factors: 2,
      mig_gap_a: r.gapPerFactor[0],
      mig_top_latent_a: 1,
      mig_gap_b: r.gapPerFactor[1],
      mig_top_latent_b: 0,
    });
  });

  it('gives a duplicated factor gap 0 (top latent: the lower index of the tie) and keeps the other\'s', () => {
    // Latents (f0, f0, f1).
    const dup = [0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 1, 1];
    const s = migScores(migFromCodes(dup, factors, 4, 3, 2), ['agent_x', 'background']);
    expect(s.mig_gap_agent_x).toBeCloseTo(0, 12);
    expect(s.mig_top_latent_agent_x).toBe(0);
    expect(s.mig_gap_background).toBeCloseTo(1, 12);
    expect(s.mig_top_latent_background).toBe(2);
    expect(s.mig).toBeCloseTo(0.5, 12);
  });

  it('task MIG: the mean gap over the task factors the world has; none named, no key', () => {
    const dup = [0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 1, 1];
    const r = migFromCodes(dup, factors, 4, 3, 2);
    // A mean of 0.5 carried by the background alone; the task factor's gap is 0.
    const s = migScores(r, ['agent_x', 'background'], ['agent_x', 'agent_y', 'goal_x']);
    expect(s.mig).toBeCloseTo(0.5, 12);
    expect(s.mig_task).toBeCloseTo(0, 12);
    expect(s.mig_task_num_factors).toBe(1);
    expect(migScores(r, ['agent_x', 'background'])).not.toHaveProperty('mig_task');
    expect(migScores(r, ['agent_x', 'background'], ['goal_x'])).not.toHaveProperty('mig_task');
    expect(() => migScores(r, ['agent_x'])).toThrow(/names/);
  });

  it('task MIG leaves out a task factor that is constant in the sample', () => {
    // Factor 1 constant: its gap is not scored and not part of the task mean.
    const fac = Int32Array.from([0, 4, 0, 4, 1, 4, 1, 4]);
    const codes = [0, 0, 0, 1, 1, 0, 1, 1];
    const s = migScores(migFromCodes(codes, fac, 4, 2, 2), ['goal_x', 'goal_y'], ['goal_x', 'goal_y']);
    expect(s.mig_task_num_factors).toBe(1);
    expect(s.mig_task).toBe(s.mig_gap_goal_x);
    expect(s).not.toHaveProperty('mig_gap_goal_y');
  });

  it('computeMig and evaluateDisentanglement report the per-factor scores and task MIG by name', async () => {
    const world = new SyntheticWorld([6, 5, 4]);
    // z0 = f2, z1 = f0, z2 = f0 again (two copies: f0's gap ≈ 0), f1 in no latent.
    const rep = () => linearRepresentation(world, selectionMatrix([2, 0, 0], 3), 3, 0.02, 3);
    const s = await computeMig(world, rep(), new Rng(1), { numTrain: 600, taskFactors: ['f0', 'f2'] });
    expect(s.mig_top_latent_f2).toBe(0);
    expect(s.mig_gap_f2).toBeGreaterThan(0.8);
    expect([1, 2]).toContain(s.mig_top_latent_f0);
    expect(s.mig_gap_f0).toBeLessThan(0.2);
    expect(s.mig_gap_f1).toBeLessThan(0.05);
    expect(s.mig).toBeCloseTo((s.mig_gap_f0 + s.mig_gap_f1 + s.mig_gap_f2) / 3, 12);
    expect(s.mig_task).toBeCloseTo((s.mig_gap_f0 + s.mig_gap_f2) / 2, 12);
    expect(s.mig_task_num_factors).toBe(2);
    const all = await evaluateDisentanglement(world, rep(), new Rng(2), { scale: 0.06, metrics: ['mig'], taskFactors: ['f2'] });
    expect(all.mig_task).toBe(all.mig_gap_f2);
    expect(all.mig_num_factors).toBe(3);
  });
});
