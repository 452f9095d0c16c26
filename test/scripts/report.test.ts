/**
 * The report's reading of the transfer table (scripts/pipeline/report.ts): a sentence comparing
 * DARLA's transfer ratio with the others' appears only for agents that solved the source world, and
 * says which way the numbers go when DARLA fails, wins, ties and loses.
 */
import { describe, expect, it } from 'vitest';
import { readingOfResults, SOLVED_SOURCE_SUCCESS } from '../../scripts/pipeline/report.ts';

type Row = Parameters<typeof readingOfResults>[1][number];

/** One deterministic row: an agent's success ratio on a variant (mean [lo, hi]) and its source success. */
function row(agent: string, variant: string, ratio: [number, number, number] | null, sourceSuccess: number): Row {
  return {
    agent,
    variant,
    mode: 'deterministic',
    sourceReturn: { mean: 1 },
    targetReturn: { mean: 1 },
    ratio: null,
    successRate: { mean: variant === 'source' ? sourceSuccess : sourceSuccess * (ratio?.[0] ?? 0) },
    successRatio: ratio === null ? null : { mean: ratio[0], lo: ratio[1], hi: ratio[2] },
    sourceSuccess: { mean: sourceSuccess },
    visionSaw: 'no',
    policySaw: 'no',
  };
}

/** A table: per agent, its source success and its color-shift success ratio. */
function table(agents: Record<string, { source: number; ratio: [number, number, number] }>): Row[] {
  return Object.entries(agents).flatMap(([agent, a]) => [row(agent, 'source', [1, 1, 1], a.source), row(agent, 'color-shift', a.ratio, a.source)]);
}

const noScores = { darla: null, entangled: null };
const colorShift = (rows: Row[]) => {
  const lines = readingOfResults(noScores, rows, []).filter((l) => l.startsWith('Zero-shot on color-shift'));
  expect(lines).toHaveLength(1);
  return lines[0];
};

describe('readingOfResults: the transfer verdict', () => {
  it('uses a 50% source-success bar', () => {
    expect(SOLVED_SOURCE_SUCCESS).toBe(0.5);
  });

  it('makes no comparison when DARLA did not solve the source world (the 6% case), whatever its ratio', () => {
    const line = colorShift(table({ darla: { source: 0.06, ratio: [0.9, 0.85, 0.95] }, pixels: { source: 0.95, ratio: [0.1, 0.05, 0.15] }, oracle: { source: 1, ratio: [0.5, 0.4, 0.6] } }));
    expect(line).not.toMatch(/DARLA keeps more/);
    expect(line).toMatch(/DARLA's ratio is not compared with the others': it did not solve the source world \(source success 6%, below 50%\)/);
    const all = readingOfResults(noScores, table({ darla: { source: 0.06, ratio: [0.9, 0.85, 0.95] }, pixels: { source: 0.95, ratio: [0.1, 0.05, 0.15] } }), []);
    expect(all.at(-1)).toMatch(/darla did not \(source success below 50%\)/);
  });

  it('says DARLA wins beyond the intervals, against every agent that solved the source — oracle included', () => {
    const line = colorShift(table({
      darla: { source: 0.9, ratio: [0.9, 0.85, 0.95] },
      pixels: { source: 0.95, ratio: [0.1, 0.05, 0.15] },
      entangled: { source: 0.2, ratio: [1.5, 1.4, 1.6] }, // did not solve the source: not a rival
      oracle: { source: 1, ratio: [0.5, 0.4, 0.6] },
    }));
    expect(line).toMatch(/Among the agents that solved the source world \(source success ≥ 50%\), DARLA keeps more of its source success on color-shift than every other \(pixels, oracle\), beyond the 95% intervals\./);
  });

  it('counts every agent that solved the source as a rival: oracle keeping more means no win', () => {
    const line = colorShift(table({ darla: { source: 0.9, ratio: [0.6, 0.5, 0.7] }, pixels: { source: 0.95, ratio: [0.1, 0.05, 0.15] }, oracle: { source: 1, ratio: [0.95, 0.9, 1] } }));
    expect(line).toMatch(/DARLA keeps less of its source success on color-shift than oracle\./);
    expect(line).not.toMatch(/keeps more/);
  });

  it('reads a tie as a tie, and an overlapping lead as only "on average"', () => {
    const tie = colorShift(table({ darla: { source: 0.9, ratio: [0.8, 0.6, 1] }, pixels: { source: 0.9, ratio: [0.81, 0.6, 1] } }));
    expect(tie).toMatch(/DARLA and pixels keep about the same share of their source success on color-shift\./);
    const overlap = colorShift(table({ darla: { source: 0.9, ratio: [0.8, 0.6, 1] }, pixels: { source: 0.9, ratio: [0.7, 0.5, 0.9] } }));
    expect(overlap).toMatch(/DARLA keeps more of its source success on color-shift than the others \(pixels\) on average, but its interval overlaps pixels's\./);
  });

  it('compares with nobody when no other agent solved the source', () => {
    const line = colorShift(table({ darla: { source: 0.9, ratio: [0.8, 0.7, 0.9] }, pixels: { source: 0.3, ratio: [0.2, 0.1, 0.3] } }));
    expect(line).toMatch(/No other agent solved the source world \(source success ≥ 50%\), so DARLA's ratio is compared with none\./);
  });

  it('falls back to the source row when a row does not carry its source success', () => {
    const rows = table({ darla: { source: 0.06, ratio: [0.9, 0.85, 0.95] }, pixels: { source: 0.95, ratio: [0.1, 0.05, 0.15] } }).map((r) => ({ ...r, sourceSuccess: undefined }));
    expect(colorShift(rows)).toMatch(/did not solve the source world \(source success 6%/);
  });
});
