import { describe, expect, it } from 'vitest';
import '../../envs/builtin.ts';
import { make } from '../../envs/core/registry.ts';
import { Rng } from '../../envs/core/rng.ts';
import { expertAction } from '../../envs/shapeworld/expert.ts';
import { F, FRAME_BYTES, NUM_FACTORS, ORACLE_FEATURE_SIZE, cellToPosition, factorsToArray, oracleFeatures, positionToPixel, type ShapeWorldFactors } from '../../envs/shapeworld/factors.ts';
import { ShapeWorldDataset } from '../../envs/shapeworld/factor-dataset.ts';
import { DEFAULT_STEP_COST, ShapeWorldEnv } from '../../envs/shapeworld/world.ts';
import { listVariants } from '../../envs/shapeworld/variants.ts';
import { sameBytes } from './helpers.ts';

const UP = 1;
const DOWN = 2;
const LEFT = 3;
const RIGHT = 4;

function scene(agent: [number, number], goal: [number, number], hazard: [number, number]) {
  return { options: { scene: { agent, goal, hazard } } };
}

describe('ShapeWorld rules on hand-built scenes', () => {
  it('gives +1 and terminates on the goal; costs 0.01 per other step', () => {
    const env = new ShapeWorldEnv();
    env.reset(scene([2, 2], [4, 2], [0, 0]));
    const a = env.step(RIGHT);
    expect(a).toMatchObject({ reward: DEFAULT_STEP_COST, terminated: false, truncated: false });
    expect(env.sceneCells.agent).toEqual([3, 2]);
    const b = env.step(RIGHT);
    expect(b).toMatchObject({ reward: 1, terminated: true, truncated: false });
    expect(() => env.step(0)).toThrow(/terminated/);
  });

  it('gives -1 and terminates on the hazard', () => {
    const env = new ShapeWorldEnv();
    env.reset(scene([4, 4], [0, 0], [4, 3]));
    expect(env.step(UP)).toMatchObject({ reward: -1, terminated: true });
  });

  it('keeps the agent in place at the edge and on noop', () => {
    const env = new ShapeWorldEnv();
    env.reset(scene([0, 4], [4, 0], [2, 2]));
    for (const a of [LEFT, DOWN, 0]) {
      expect(env.step(a).reward).toBe(DEFAULT_STEP_COST);
      expect(env.sceneCells.agent).toEqual([0, 4]);
    }
  });

  it('truncates at the 50-step time limit (registry), never terminating on its own', () => {
    const env = make<Uint8Array, number>('ShapeWorld-v0');
    env.reset(scene([0, 0], [4, 4], [4, 3]));
    for (let t = 1; t <= 50; t++) {
      const r = env.step(t % 2 === 0 ? UP : DOWN);
      expect(r.terminated).toBe(false);
      expect(r.truncated).toBe(t === 50);
    }
  });

  it('takes custom rewards and rejects bad scenes with the field', () => {
    const env = new ShapeWorldEnv({ stepCost: -0.1, goalReward: 2, hazardReward: -3 });
    env.reset(scene([1, 1], [2, 1], [1, 2]));
    expect(env.step(0).reward).toBeCloseTo(-0.1);
    expect(env.step(DOWN).reward).toBe(-3);
    expect(() => env.reset(scene([1, 1], [1, 1], [2, 2]))).toThrow(/options.scene.goal: cell \[1, 1\] is already taken/);
    expect(() => env.reset(scene([8, 1], [1, 1], [2, 2]))).toThrow(/options.scene.agent: cell \[8, 1\] is outside the 5×5 grid/);
    expect(() => env.reset({ options: { scene: { agent: [0, 0], goal: [1, 1], hazard: [2, 2], goalColor: 3 } } })).toThrow(/goalColor: index 3 is out of range/);
    expect(() => env.reset({ options: { scene: { agent: [0, 0], goal: [1, 1] } } })).toThrow(/options.scene.hazard/);
    expect(() => env.step(0)).toThrow(/before reset/);
    env.reset();
    expect(() => env.step(7)).toThrow(/outside Discrete\(5\)/);
  });
});

describe('ShapeWorld determinism, factors and rendering', () => {
  it('is deterministic for a seed, differs across seeds, and continues the stream without one', () => {
    const run = (seed: number) => {
      const env = new ShapeWorldEnv({ variant: 'distractor' });
      const frames = [env.reset({ seed }).observation];
      const rng = new Rng(seed);
      for (let t = 0; t < 30; t++) {
        const r = env.step(rng.int(5));
        frames.push(r.observation);
        if (r.terminated) frames.push(env.reset().observation);
      }
      return frames;
    };
    const a = run(3);
    const b = run(3);
    expect(a.length).toBe(b.length);
    a.forEach((f, i) => expect(sameBytes(f, b[i])).toBe(true));
    expect(sameBytes(a[0], run(4)[0])).toBe(false);
  });

  it('draws distinct cells with nothing on the agent start, and factors inside their ranges', () => {
    for (const v of listVariants()) {
      const env = new ShapeWorldEnv({ variant: v });
      for (let s = 0; s < 50; s++) {
        const { info } = env.reset({ seed: s });
        const c = env.sceneCells;
        const cells = [c.agent, c.goal, c.hazard, ...c.distractors].map(([x, y]) => y * env.gridSize + x);
        expect(new Set(cells).size).toBe(cells.length);
        const f = info.factors as ShapeWorldFactors;
        const row = factorsToArray(f);
        env.factorSpace.factorSizes.forEach((size, k) => expect(row[k]).toBeLessThan(size));
        expect(f.agent_x).toBe(cellToPosition(env.board, c.agent[0]));
        expect(f.distractors.length).toBe(v.distractors.count);
      }
    }
  });

  it('renders exactly what the factor dataset renders for the same factors (no-distractor variants)', () => {
    for (const v of listVariants().filter((x) => x.distractors.count === 0)) {
      const env = new ShapeWorldEnv({ variant: v });
      const ds = new ShapeWorldDataset(v);
      const rng = new Rng(0);
      let { observation } = env.reset({ seed: 9 });
      for (let t = 0; t < 40; t++) {
        const row = new Int32Array(NUM_FACTORS);
        env.factorsInto(row);
        expect(sameBytes(ds.render(row, rng), observation)).toBe(true);
        const r = env.step(rng.int(5));
        observation = r.observation;
        if (r.terminated) observation = env.reset().observation;
      }
    }
  });

  it('draws the same agent marker in every top-view variant', () => {
    const patch = (obs: Uint8Array, cx: number, cy: number) => {
      const out: number[] = [];
      for (let y = cy - 3; y < cy + 3; y++) for (let x = cx - 1; x < cx + 1; x++) out.push(...obs.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3));
      return out;
    };
    for (const v of listVariants().filter((x) => x.view === 'top')) {
      const env = new ShapeWorldEnv({ variant: v });
      const { observation } = env.reset(scene([2, 2], [4, 4], [0, 4]));
      // The plus's vertical bar (2 px wide, 6 px tall around the centre of cell (2, 2)) is white.
      const c = positionToPixel(env.board, cellToPosition(env.board, 2));
      expect(new Set(patch(observation, c, c))).toEqual(new Set([255]));
      expect(env.render()).toBeNull();
      env.renderMode = 'rgb_array';
      const frame = env.render();
      expect(frame && sameBytes(frame.data, observation)).toBe(true);
    }
  });

  it('makes the observation a fresh frame each step, inside the observation space', () => {
    const env = new ShapeWorldEnv();
    const a = env.reset({ seed: 1 }).observation;
    const b = env.step(0).observation;
    expect(a).not.toBe(b);
    expect(a.length).toBe(FRAME_BYTES);
    expect(env.observationSpace.contains(b)).toBe(true);
  });

  it('is solvable: the planning expert always wins; a random agent sometimes does', () => {
    const env = make<Uint8Array, number>('ShapeWorld-v0', { kwargs: { variant: 'distractor' } });
    const bare = env.unwrapped as ShapeWorldEnv;
    let expertWins = 0;
    for (let ep = 0; ep < 200; ep++) {
      env.reset({ seed: ep });
      for (;;) {
        const r = env.step(expertAction(bare.sceneCells, bare.gridSize));
        if (r.terminated || r.truncated) {
          if (r.reward === 1) expertWins++;
          break;
        }
      }
    }
    expect(expertWins).toBe(200);
    const rng = new Rng(0);
    let randomWins = 0;
    for (let ep = 0; ep < 300; ep++) {
      env.reset({ seed: 1000 + ep });
      for (;;) {
        const r = env.step(rng.int(5));
        if (r.terminated || r.truncated) {
          if (r.reward === 1) randomWins++;
          break;
        }
      }
    }
    expect(randomWins).toBeGreaterThan(15);
    expect(randomWins).toBeLessThan(200);
  });

  it('gives the oracle normalised positions and displacements', () => {
    const env = new ShapeWorldEnv();
    const last = env.gridSize - 1;
    const { info } = env.reset(scene([0, 0], [last, 0], [0, last]));
    const out = new Float32Array(ORACLE_FEATURE_SIZE + 2);
    expect(info.positionValues).toBe(env.board.positionValues);
    oracleFeatures(info.factors as ShapeWorldFactors, info.positionValues as number, out, 2);
    expect(Array.from(out.subarray(2))).toEqual([0, 0, 1, 0, 0, 1, 1, 0, 0, 1]);
    const row = factorsToArray(info.factors as ShapeWorldFactors);
    const out2 = new Float32Array(ORACLE_FEATURE_SIZE);
    oracleFeatures(row, env.board.positionValues, out2);
    expect(Array.from(out2)).toEqual(Array.from(out.subarray(2)));
    expect(row[F.goal_x]).toBe(env.board.positionValues - 1);
  });
});
