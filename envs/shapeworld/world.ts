/**
 * ShapeWorldEnv ('ShapeWorld-v0'): a 2D grid world seen as 64×64 RGB frames. An agent (white plus)
 * moves one cell per action on a gridSize×gridSize board (the source: 5×5 cells of 12 px filling the
 * frame; the variant `classic`: 8×8 cells of 8 px). A variant's `view` draws the board whole and
 * fixed ('top', the default) or agent-centred ('ego': a window of 2·gridSize − 1 cells around the
 * agent, off-board cells grey, no agent sprite; factors.ts says how positions read then). Reaching the goal shape gives +1, touching the hazard shape −1; both
 * terminate. Every other step costs `stepCost` (−0.01 by default). The registry adds a 50-step
 * TimeLimit (truncation). Actions: Discrete(5) — 0 noop, 1 up, 2 down, 3 left, 4 right; moving into
 * the edge leaves the agent in place. Distractor objects (in variants that have them) are passable
 * and do nothing.
 *
 * Each reset draws distinct cells for agent, goal, hazard and distractors (none on the agent's
 * start), and a colour, scale, orientation and background from the variant's lists. Every
 * observation comes with `info.factors` (ShapeWorldFactors: the factor indices of the frame).
 */
import { z } from 'zod';
import { Env, type ResetArgs, type ResetResult, type RgbFrame, type StepResult } from '../core/env.ts';
import { UserError } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';
import { Box } from '../core/spaces/box.ts';
import { Discrete } from '../core/spaces/discrete.ts';
import { F, FACTOR_NAMES, FRAME_BYTES, FRAME_SIZE, FactorSpace, NUM_FACTORS, cellToPosition, objectPosition, type BoardGeometry, type ShapeWorldFactors } from './factors.ts';
import { DISTRACTOR_STRIDE, Painter } from './painter.ts';
import { SHAPES } from './shapes.ts';
import { fieldPath, resolveVariant, type Variant, type VariantInput, type View } from './variants.ts';

export const ACTIONS = ['noop', 'up', 'down', 'left', 'right'] as const;
export const ACTION_DX = [0, 0, 0, -1, 1] as const;
export const ACTION_DY = [0, -1, 1, 0, 0] as const;

export const DEFAULT_STEP_COST = -0.01;
export const DEFAULT_GOAL_REWARD = 1;
export const DEFAULT_HAZARD_REWARD = -1;
/** The registry's time limit for ShapeWorld-v0. */
export const DEFAULT_MAX_EPISODE_STEPS = 50;

const OptionsSchema = z.strictObject({
  variant: z.union([z.string(), z.record(z.string(), z.unknown())]).default('source'),
  stepCost: z.number().min(-1).max(0).default(DEFAULT_STEP_COST),
  goalReward: z.number().min(0).max(100).default(DEFAULT_GOAL_REWARD),
  hazardReward: z.number().min(-100).max(0).default(DEFAULT_HAZARD_REWARD),
  seed: z.int().min(0).default(0),
});

export interface ShapeWorldOptions {
  /** A named variant, a variant JSON object or a validated Variant (default 'source'). */
  variant?: string | Variant | VariantInput;
  stepCost?: number;
  goalReward?: number;
  hazardReward?: number;
  /** Seed of the first episode when reset() is called without one (default 0). */
  seed?: number;
}

const cell = z.tuple([z.int().min(0), z.int().min(0)]);
const SceneSchema = z.strictObject({
  agent: cell,
  goal: cell,
  hazard: cell,
  distractors: z.array(cell).optional(),
  goalColor: z.int().min(0).optional(),
  hazardColor: z.int().min(0).optional(),
  distractorColors: z.array(z.int().min(0)).optional(),
  scale: z.int().min(0).optional(),
  orientation: z.int().min(0).optional(),
  background: z.int().min(0).optional(),
});

/**
 * A hand-built scene for `reset({options: {scene}})`: grid cells as [x, y] (0-based, x right,
 * y down) and, optionally, indices into the variant's lists; unspecified values are drawn at random.
 */
export type Scene = z.input<typeof SceneSchema>;

function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = fieldPath([where, ...issue.path]);
  throw new UserError(`${field}: ${issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.join(', ')}` : issue.message}`, field);
}

export class ShapeWorldEnv extends Env<Uint8Array, number> {
  override readonly metadata = { renderModes: ['rgb_array'] as const, renderFps: 15 };
  readonly observationSpace = new Box(0, 255, [FRAME_SIZE, FRAME_SIZE, 3], 'uint8');
  readonly actionSpace = new Discrete(ACTIONS.length);
  readonly variant: Variant;
  readonly factorSpace: FactorSpace;
  readonly gridSize: number;
  /** Cell size and position mapping of the board (cells scale with the grid). */
  readonly board: BoardGeometry;
  readonly stepCost: number;
  readonly goalReward: number;
  readonly hazardReward: number;

  private readonly painter: Painter;
  private readonly rng: Rng;
  /** The current frame's factor indices (FACTOR_NAMES order). */
  private readonly factors = new Int32Array(NUM_FACTORS);
  /** Agent, goal, hazard cells: ax, ay, gx, gy, hx, hy. */
  private readonly cells = new Int32Array(6);
  /** Distractors for the painter: x, y (position values), colour index. */
  private readonly distractors: Int32Array;
  private readonly distractorCells: Int32Array;
  private readonly occupied: Uint8Array;
  private started = false;
  private done = false;

  constructor(options: ShapeWorldOptions = {}) {
    super();
    const o = parseOrThrow(OptionsSchema, options, 'options');
    this.variant = resolveVariant(o.variant as string | VariantInput);
    this.factorSpace = new FactorSpace([this.variant]);
    this.painter = new Painter(this.factorSpace);
    this.gridSize = this.variant.gridSize;
    this.board = this.factorSpace.board;
    this.stepCost = o.stepCost;
    this.goalReward = o.goalReward;
    this.hazardReward = o.hazardReward;
    this.rng = new Rng(o.seed);
    this.distractors = new Int32Array(this.variant.distractors.count * DISTRACTOR_STRIDE);
    this.distractorCells = new Int32Array(this.variant.distractors.count * 2);
    this.occupied = new Uint8Array(this.gridSize * this.gridSize);
  }

  reset(args: ResetArgs = {}): ResetResult<Uint8Array> {
    if (args.seed !== undefined) this.rng.reseed(args.seed);
    // A reset that throws (a bad scene) leaves the env needing a good reset.
    this.started = false;
    const scene = args.options?.scene;
    if (scene !== undefined) this.placeScene(parseOrThrow(SceneSchema, scene, 'options.scene'));
    else this.placeRandom();
    this.started = true;
    this.done = false;
    return { observation: this.observe(), info: this.info() };
  }

  step(action: number): StepResult<Uint8Array> {
    if (!this.started) throw new Error('ShapeWorld: step() called before reset()');
    if (this.done) throw new Error('ShapeWorld: step() called after the episode terminated; call reset()');
    if (!(Number.isInteger(action) && action >= 0 && action < ACTIONS.length)) {
      throw new Error(`ShapeWorld: action ${String(action)} is outside ${this.actionSpace}`);
    }
    const c = this.cells;
    const g = this.gridSize;
    const nx = c[0] + ACTION_DX[action];
    const ny = c[1] + ACTION_DY[action];
    if (nx >= 0 && nx < g && ny >= 0 && ny < g) {
      c[0] = nx;
      c[1] = ny;
      this.syncPositions();
    }
    let reward = this.stepCost;
    let terminated = false;
    if (c[0] === c[2] && c[1] === c[3]) {
      reward = this.goalReward;
      terminated = true;
    } else if (c[0] === c[4] && c[1] === c[5]) {
      reward = this.hazardReward;
      terminated = true;
    }
    this.done = terminated;
    return { observation: this.observe(), reward, terminated, truncated: false, info: this.info() };
  }

  /** The current frame (a fresh copy), when renderMode is 'rgb_array'. */
  render(): RgbFrame | null {
    if (this.renderMode !== 'rgb_array') return null;
    return { height: FRAME_SIZE, width: FRAME_SIZE, data: this.observe() };
  }

  /** Paints the current frame into out[offset .. offset + 64·64·3) without allocating. */
  renderInto(out: Uint8Array, offset = 0): void {
    this.painter.paint(this.factors, 0, this.distractors, this.variant.distractors.count, out, offset);
  }

  /** Writes the current factor indices (FACTOR_NAMES order) into out[offset ..]. */
  factorsInto(out: Int32Array, offset = 0): void {
    out.set(this.factors, offset);
  }

  /** Grid cells {agent, goal, hazard, distractors} as [x, y] (for planners, tests and the viewer). */
  get sceneCells(): { agent: [number, number]; goal: [number, number]; hazard: [number, number]; distractors: [number, number][] } {
    const c = this.cells;
    const d: [number, number][] = [];
    for (let i = 0; i < this.variant.distractors.count; i++) d.push([this.distractorCells[2 * i], this.distractorCells[2 * i + 1]]);
    return { agent: [c[0], c[1]], goal: [c[2], c[3]], hazard: [c[4], c[5]], distractors: d };
  }

  private observe(): Uint8Array {
    const out = new Uint8Array(FRAME_BYTES);
    this.renderInto(out, 0);
    return out;
  }

  private info(): { factors: ShapeWorldFactors; variant: string; positionValues: number; view: View } {
    const f = this.factors;
    const factors = {} as ShapeWorldFactors;
    for (let k = 0; k < NUM_FACTORS; k++) factors[FACTOR_NAMES[k]] = f[k];
    factors.goal_shape = SHAPES.indexOf(this.factorSpace.goalShape);
    factors.hazard_shape = SHAPES.indexOf(this.factorSpace.hazardShape);
    const shape = SHAPES.indexOf(this.factorSpace.distractorShape);
    factors.distractors = [];
    for (let i = 0; i < this.variant.distractors.count; i++) {
      const o = i * DISTRACTOR_STRIDE;
      factors.distractors.push({ x: this.distractors[o], y: this.distractors[o + 1], color: this.distractors[o + 2], shape });
    }
    return { factors, variant: this.variant.name, positionValues: this.board.positionValues, view: this.board.view };
  }

  private setCells(agent: readonly number[], goal: readonly number[], hazard: readonly number[]): void {
    const c = this.cells;
    c[0] = agent[0];
    c[1] = agent[1];
    c[2] = goal[0];
    c[3] = goal[1];
    c[4] = hazard[0];
    c[5] = hazard[1];
    this.syncPositions();
  }

  private setDistractor(i: number, x: number, y: number, color: number): void {
    this.distractorCells[2 * i] = x;
    this.distractorCells[2 * i + 1] = y;
    this.distractors[i * DISTRACTOR_STRIDE + 2] = color;
    this.syncPositions();
  }

  /**
   * The position factors (and the painter's distractor positions) from the cells: the agent's cell,
   * and the objects' cells ('top') or window cells around the agent ('ego', so they move when it does).
   */
  private syncPositions(): void {
    const b = this.board;
    const c = this.cells;
    const f = this.factors;
    f[F.agent_x] = cellToPosition(b, c[0]);
    f[F.agent_y] = cellToPosition(b, c[1]);
    f[F.goal_x] = objectPosition(b, c[2], c[0]);
    f[F.goal_y] = objectPosition(b, c[3], c[1]);
    f[F.hazard_x] = objectPosition(b, c[4], c[0]);
    f[F.hazard_y] = objectPosition(b, c[5], c[1]);
    for (let i = 0; i < this.variant.distractors.count; i++) {
      const o = i * DISTRACTOR_STRIDE;
      this.distractors[o] = objectPosition(b, this.distractorCells[2 * i], c[0]);
      this.distractors[o + 1] = objectPosition(b, this.distractorCells[2 * i + 1], c[1]);
    }
  }

  private drawAppearance(): void {
    const r = this.rng;
    const s = this.factorSpace;
    const f = this.factors;
    f[F.goal_color] = r.int(s.goalColors.length);
    f[F.hazard_color] = r.int(s.hazardColors.length);
    f[F.scale] = r.int(s.scales.length);
    f[F.orientation] = r.int(s.orientations.length);
    f[F.background] = r.int(s.backgrounds.length);
  }

  private placeRandom(): void {
    const r = this.rng;
    const g = this.gridSize;
    const occ = this.occupied;
    occ.fill(0);
    const draw = (): number => {
      let k = r.int(g * g);
      while (occ[k] === 1) k = r.int(g * g);
      occ[k] = 1;
      return k;
    };
    const a = draw();
    const gl = draw();
    const h = draw();
    this.setCells([a % g, Math.floor(a / g)], [gl % g, Math.floor(gl / g)], [h % g, Math.floor(h / g)]);
    for (let i = 0; i < this.variant.distractors.count; i++) {
      const d = draw();
      this.setDistractor(i, d % g, Math.floor(d / g), r.int(this.factorSpace.distractorColors.length));
    }
    this.drawAppearance();
  }

  private placeScene(scene: z.output<typeof SceneSchema>): void {
    const g = this.gridSize;
    const s = this.factorSpace;
    const where = (...p: (string | number)[]) => fieldPath(['options', 'scene', ...p]);
    const seen = new Map<number, string>();
    const claim = (xy: readonly number[], name: string) => {
      if (xy[0] >= g || xy[1] >= g) throw new UserError(`${name}: cell [${xy.join(', ')}] is outside the ${g}×${g} grid`, name);
      const k = xy[1] * g + xy[0];
      const other = seen.get(k);
      if (other !== undefined) throw new UserError(`${name}: cell [${xy.join(', ')}] is already taken by ${other}`, name);
      seen.set(k, name);
    };
    claim(scene.agent, where('agent'));
    claim(scene.goal, where('goal'));
    claim(scene.hazard, where('hazard'));
    const n = this.variant.distractors.count;
    const ds = scene.distractors;
    if (ds !== undefined && ds.length !== n) {
      throw new UserError(`${where('distractors')}: variant '${this.variant.name}' has ${n} distractors, got ${ds.length} cells`, where('distractors'));
    }
    ds?.forEach((d, i) => claim(d, where('distractors', i)));
    this.drawAppearance();
    const pick = (v: number | undefined, size: number, name: string, k: number) => {
      if (v === undefined) return;
      if (v >= size) throw new UserError(`${where(name)}: index ${v} is out of range (the variant has ${size} values)`, where(name));
      this.factors[k] = v;
    };
    pick(scene.goalColor, s.goalColors.length, 'goalColor', F.goal_color);
    pick(scene.hazardColor, s.hazardColors.length, 'hazardColor', F.hazard_color);
    pick(scene.scale, s.scales.length, 'scale', F.scale);
    pick(scene.orientation, s.orientations.length, 'orientation', F.orientation);
    pick(scene.background, s.backgrounds.length, 'background', F.background);
    this.setCells(scene.agent, scene.goal, scene.hazard);
    // Distractors not given are drawn at random on free cells.
    for (let i = 0; i < n; i++) {
      let x: number;
      let y: number;
      if (ds !== undefined) [x, y] = ds[i];
      else {
        let k = this.rng.int(g * g);
        while (seen.has(k)) k = this.rng.int(g * g);
        seen.set(k, `distractor ${i}`);
        x = k % g;
        y = Math.floor(k / g);
      }
      const colors = scene.distractorColors;
      let color = colors?.[i] ?? this.rng.int(s.distractorColors.length);
      if (colors !== undefined && colors.length !== n) {
        throw new UserError(`${where('distractorColors')}: expected ${n} colour indices, got ${colors.length}`, where('distractorColors'));
      }
      if (color >= s.distractorColors.length) throw new UserError(`${where('distractorColors', i)}: index ${color} is out of range`, where('distractorColors', i));
      color = color | 0;
      this.setDistractor(i, x, y, color);
    }
  }
}
