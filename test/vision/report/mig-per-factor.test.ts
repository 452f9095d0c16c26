/**
 * Golden tests for MIG per factor where people read it (issue #22): the Markdown rows of vision.md and
 * the pipeline report, the terminal line of `darla evaluate-vision`, and the pipeline's reading.
 */
import { describe, expect, it } from 'vitest';
import { RunDir } from '../../../envs/util/run-dir.ts';
import { readingOfResults } from '../../../scripts/pipeline/report.ts';
import { migPerFactorMarkdown, migPerFactorText } from '../../../vision/report/mig-per-factor.ts';
import { ShapeWorldDataset } from '../../../envs/shapeworld/factor-dataset.ts';
import { shapeWorldTaskFactors, visionMarkdown } from '../../../vision/vae/evaluate.ts';

// Scores as MIG writes them (factor order kept), a background-carried mean like the shipped encoder's.
const darla = {
  mig: 0.2,
  mig_num_factors: 3,
  mig_gap_agent_x: 0.01,
  mig_top_latent_agent_x: 3,
  mig_gap_goal_x: 0.002,
  mig_top_latent_goal_x: 3,
  mig_gap_background: 0.588,
  mig_top_latent_background: 7,
  mig_task: 0.006,
  mig_task_num_factors: 2,
};
const entangled = { mig: 0.05, mig_num_factors: 3, mig_gap_agent_x: 0.1, mig_top_latent_agent_x: 0, mig_gap_background: 0.04, mig_top_latent_background: 1, mig_task: 0.1 };
const task = ['agent_x', 'agent_y', 'goal_x'];

describe('MIG per factor in reports', () => {
  it('Markdown: one row per factor with gap and top latent, task factors marked, task MIG and mean last', () => {
    expect(migPerFactorMarkdown([{ label: 'DARLA', scores: darla }, { label: 'entangled', scores: entangled }], task)).toEqual([
      '| factor | DARLA: gap (top latent) | entangled: gap (top latent) |',
      '|---|---|---|',
      '| agent_x (task) | 0.010 (z3) | 0.100 (z0) |',
      '| goal_x (task) | 0.002 (z3) | n/a |',
      '| background | 0.588 (z7) | 0.040 (z1) |',
      '| **task MIG** (mean over the task factors) | **0.006** | **0.100** |',
      '| MIG (mean over all 3 / 3 varying factors) | 0.200 | 0.050 |',
    ]);
  });

  it('Markdown: nothing for scores written before per-factor MIG existed', () => {
    expect(migPerFactorMarkdown([{ label: 'DARLA', scores: { mig: 0.1 } }, { label: 'entangled', scores: null }], task)).toEqual([]);
  });

  it('terminal line: factors in order, task factors starred', () => {
    expect(migPerFactorText(darla, task)).toBe('MIG per factor (gap, top latent; * task factor): agent_x* 0.010 z3 · goal_x* 0.002 z3 · background 0.588 z7');
    expect(migPerFactorText({ mig: 0.1 }, task)).toBe('');
  });

  it('vision.md: task MIG beside the mean and the per-factor table', () => {
    const md = visionMarkdown(
      'Vision',
      new RunDir('/tmp/none'),
      { scores: darla, klPerDim: [1, 2], latentOrder: [1, 0], taskFactors: task },
      { traversals: '/tmp/none/images/t.png', reconstructions: '/tmp/none/images/r.png', klBars: '/tmp/none/images/k.svg' },
      {},
    );
    expect(md).toContain('| MIG (mean over the varying factors) | 0.200 |');
    expect(md).toContain("| task MIG (mean over the objects' positions) | 0.006 |");
    expect(md).toContain('| factor | MIG: gap (top latent) |');
    expect(md).toContain('| background | 0.588 (z7) |');
    expect(md).toContain('| agent_x (task) | 0.010 (z3) |');
  });

  it('pipeline reading: names the task MIG of both encoders and the factor with the largest gap', () => {
    const lines = readingOfResults({ darla, entangled }, [], []);
    expect(lines).toContain(
      "Over the task factors alone (the objects' positions, what the policy needs), MIG is 0.006 for DARLA and 0.100 for the β = 1 baseline; the largest single factor gap is background 0.588 (DARLA) and agent_x 0.100 (baseline).",
    );
    expect(readingOfResults({ darla: { mig: 0.1 }, entangled: { mig: 0.05 } }, [], []).some((l) => l.includes('task factors'))).toBe(false);
  });

  it('the shape world\'s task factors are the objects\' positions the probe reads', () => {
    expect(shapeWorldTaskFactors(new ShapeWorldDataset('source'))).toEqual(['agent_x', 'agent_y', 'goal_x', 'goal_y', 'hazard_x', 'hazard_y']);
  });
});
