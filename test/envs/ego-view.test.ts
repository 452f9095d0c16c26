/**
 * The agent-centred view (`view: 'ego'`, the named variant source-ego): the window's geometry, what
 * the frame shows (off-board grey, objects at their offsets, no agent sprite), factors that move
 * with the agent, the factor dataset agreeing with the env, the oracle unchanged, and views kept apart.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../envs/core/rng.ts';
import { ShapeWorldDataset } from '../../envs/shapeworld/factor-dataset.ts';
import { F, FRAME_BYTES, NUM_FACTORS, ORACLE_FEATURE_SIZE, boardGeometry, objectCell, oracleFeatures, positionToPixel, type ShapeWorldFactors } from '../../envs/shapeworld/factors.ts';
import { OFF_BOARD } from '../../envs/shapeworld/painter.ts';
import { getVariant, parseVariantConfig, variantToJson } from '../../envs/shapeworld/variants.ts';
import { ShapeWorldEnv } from '../../envs/shapeworld/world.ts';

const pixel = (frame: Uint8Array, x: number, y: number) => Array.from(frame.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3));
const scene = (agent: [number, number], goal: [number, number], hazard: [number, number]) => ({ options: { scene: { agent, goal, hazard, background: 0, goalColor: 0, hazardColor: 0 } } });

describe('the agent-centred view', () => {
  it('shows a 5×5 board through a 9×9 window of 6-px cells; objects have 9 positions per axis', () => {
    const b = boardGeometry(5, 'ego');
    expect(b).toEqual({ gridSize: 5, view: 'ego', cellSize: 6, firstCentre: 8, positionValues: 5, objectPositionValues: 9 });
    expect(boardGeometry(5)).toEqual({ gridSize: 5, view: 'top', cellSize: 12, firstCentre: 8, positionValues: 5, objectPositionValues: 5 });
    const env = new ShapeWorldEnv({ variant: 'source-ego' });
    expect(env.factorSpace.factorSizes.slice(0, 7)).toEqual([5, 5, 9, 9, 3, 9, 9]);
  });

  it('draws the board around the agent: off-board grey, the goal at its offset, no agent sprite; factors follow the agent', () => {
    const env = new ShapeWorldEnv({ variant: 'source-ego' });
    const { observation, info } = env.reset(scene([0, 0], [4, 4], [0, 4]));
    const f = info.factors as ShapeWorldFactors;
    // Goal 4 cells right and down of the agent: window cell 4 + 4 = 8.
    expect([f.agent_x, f.agent_y, f.goal_x, f.goal_y, f.hazard_x, f.hazard_y]).toEqual([0, 0, 8, 8, 4, 8]);
    // From the top-left corner, the window's top-left quarter is off the board; the centre cell is the agent's (background).
    expect(pixel(observation, 10, 10)).toEqual([...OFF_BOARD]);
    expect(pixel(observation, 0, 0)).toEqual([...OFF_BOARD]);
    expect(pixel(observation, 31, 31)).toEqual([0, 0, 0]);
    const goalPx = positionToPixel(env.board, 8);
    expect(pixel(observation, goalPx, goalPx)).toEqual([0xe6, 0x19, 0x4b]);
    // No white agent marker anywhere.
    let white = 0;
    for (let i = 0; i < FRAME_BYTES; i += 3) if (observation[i] === 255 && observation[i + 1] === 255 && observation[i + 2] === 255) white++;
    expect(white).toBe(0);
    // A step right moves the world one cell left in the window.
    const next = env.step(4).info.factors as ShapeWorldFactors;
    expect([next.agent_x, next.goal_x, next.hazard_x]).toEqual([1, 7, 3]);
  });

  it('the factor dataset renders what the env renders for the same factors, and every sampled row is a legal board', () => {
    const ds = new ShapeWorldDataset('source-ego');
    const env = new ShapeWorldEnv({ variant: 'source-ego' });
    const rng = new Rng(5);
    const row = new Int32Array(NUM_FACTORS);
    for (let k = 0; k < 20; k++) {
      env.reset({ seed: k });
      for (let t = 0; t < 3; t++) if (env.step(1 + ((k + t) % 4)).terminated) break;
      env.factorsInto(row);
      const frame = new Uint8Array(FRAME_BYTES);
      env.renderInto(frame);
      expect(Buffer.from(ds.render(row, rng)).equals(Buffer.from(frame))).toBe(true);
    }
    const rows = ds.sampleFactors(2000, rng);
    const b = ds.space.board;
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const o = i * NUM_FACTORS;
      const ax = rows[o + F.agent_x];
      const ay = rows[o + F.agent_y];
      const cells = [
        [ax, ay],
        [objectCell(b, rows[o + F.goal_x], ax), objectCell(b, rows[o + F.goal_y], ay)],
        [objectCell(b, rows[o + F.hazard_x], ax), objectCell(b, rows[o + F.hazard_y], ay)],
      ];
      for (const [x, y] of cells) expect(x >= 0 && x < 5 && y >= 0 && y < 5).toBe(true);
      expect(new Set(cells.map(([x, y]) => y * 5 + x)).size).toBe(3);
      seen.add(rows[o + F.goal_x]);
    }
    // Every offset, −4 … +4, occurs.
    expect(seen.size).toBe(9);
    // A fixed extreme offset forces the agent to the far edge.
    const fixed = ds.sampleWithFixed(50, F.goal_x, 0, rng);
    for (let i = 0; i < 50; i++) expect(fixed[i * NUM_FACTORS + F.agent_x]).toBe(4);
  });

  it('gives the oracle the same features as the top view', () => {
    const top = new ShapeWorldEnv({ variant: 'source' });
    const ego = new ShapeWorldEnv({ variant: 'source-ego' });
    const s = scene([1, 3], [4, 0], [2, 2]);
    const a = new Float32Array(ORACLE_FEATURE_SIZE);
    const b = new Float32Array(ORACLE_FEATURE_SIZE);
    const ti = top.reset(s).info;
    const ei = ego.reset(s).info;
    expect(ei.view).toBe('ego');
    oracleFeatures(ti.factors as ShapeWorldFactors, 5, a, 0, 0, 'top');
    oracleFeatures(ei.factors as ShapeWorldFactors, 5, b, 0, 0, 'ego');
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('draws a 3×3 board agent-centred through a 5×5 window of 12-px cells, and passes the env checker', async () => {
    const { checkEnv } = await import('../../envs/core/check-env.ts');
    const small = parseVariantConfig({ ...variantToJson(getVariant('source-ego')), name: 'small-ego', gridSize: 3 });
    const env = new ShapeWorldEnv({ variant: small });
    expect(env.board).toMatchObject({ cellSize: 12, objectPositionValues: 5, positionValues: 3 });
    const f = env.reset(scene([2, 2], [0, 0], [1, 2])).info.factors as ShapeWorldFactors;
    expect([f.goal_x, f.goal_y, f.hazard_x, f.hazard_y]).toEqual([0, 0, 1, 2]);
    const env2 = new ShapeWorldEnv({ variant: small });
    env2.renderMode = 'rgb_array';
    const report = checkEnv(env2, { steps: 150 });
    expect(report.passed).toContain('step determinism');
    expect(report.warnings).toEqual([]);
    const ds = new ShapeWorldDataset(small);
    expect(ds.factorSizes.slice(0, 4)).toEqual([3, 3, 5, 5]);
    ds.sampleFactors(200, new Rng(1));
  });

  it('round-trips through JSON, writes no view for top variants, and keeps views apart', () => {
    const v = getVariant('source-ego');
    expect(parseVariantConfig(JSON.parse(JSON.stringify(variantToJson(v))))).toEqual(v);
    expect('view' in variantToJson(getVariant('source'))).toBe(false);
    expect(() => new ShapeWorldDataset(['source', 'source-ego'])).toThrow(/different views/);
    expect(() => parseVariantConfig({ ...variantToJson(getVariant('source')), name: 'x', view: 'side' })).toThrow(/view/);
  });
});
