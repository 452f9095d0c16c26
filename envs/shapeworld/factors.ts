/**
 * The shape world's ground-truth generative factors and their value tables.
 *
 * Eleven discrete factors, in this order: agent_x, agent_y, goal_x, goal_y, goal_color, hazard_x,
 * hazard_y, hazard_color, scale, orientation, background. The board's cells scale with the grid
 * (`boardGeometry`: a 5×5 board has 12-px cells, an 8×8 board 8-px cells; the board is centred in
 * the 64×64 frame). A position is a cell: position p puts an object's centre at the centre of
 * column (or row) p, so a 5×5 board has 5 position values per axis — the positions the agent ever
 * sees. (The first world used 2-px sub-cell positions; a β-VAE trained for hours on them still
 * placed objects only roughly: docs/vision.md.) In a variant's agent-centred view (`view: 'ego'`)
 * the agent's factors stay its cell, and the goal's and hazard's positions are where they appear in
 * the window: their offset from the agent plus gridSize − 1 (2·gridSize − 1 values per axis) — the
 * relative positions the policy needs. Categorical factors index the value lists of a
 * FactorSpace — the variant's own lists, or for several variants the union of their lists in order
 * of first appearance.
 */
import { UserError } from '../core/errors.ts';
import type { ShapeName } from './shapes.ts';
import { toHex, type Rgb, type Variant, type View } from './variants.ts';

export const FACTOR_NAMES = [
  'agent_x',
  'agent_y',
  'goal_x',
  'goal_y',
  'goal_color',
  'hazard_x',
  'hazard_y',
  'hazard_color',
  'scale',
  'orientation',
  'background',
] as const;
export type FactorName = (typeof FACTOR_NAMES)[number];
export const NUM_FACTORS = FACTOR_NAMES.length;

/** Factor indices, for readable code: F.goal_x === 2. */
export const F = Object.fromEntries(FACTOR_NAMES.map((n, i) => [n, i])) as { readonly [K in FactorName]: number };

export const FRAME_SIZE = 64;
export const FRAME_BYTES = FRAME_SIZE * FRAME_SIZE * 3;
/** Where a gridSize×gridSize board sits in the frame, and how its positions map to pixels. */
export interface BoardGeometry {
  gridSize: number;
  /** 'top': the whole board, fixed; 'ego': a window centred on the agent (variants.ts `view`). */
  view: View;
  /** Side of one cell in pixels (even, so a cell's centre is a pixel corner). */
  cellSize: number;
  /** Pixel coordinate of the first (window) cell's centre (both axes). */
  firstCentre: number;
  /** Position values per axis of the agent: one per board cell. */
  positionValues: number;
  /**
   * Position values per axis of the goal, hazard and distractors: one per board cell ('top'), or
   * one per window cell ('ego': 2·gridSize − 1 offsets from the agent, value = offset + gridSize − 1).
   */
  objectPositionValues: number;
}

/**
 * The board geometry of a gridSize×gridSize board: the largest even cell that fits the frame. In the
 * agent-centred view the frame shows a window of 2·gridSize − 1 cells, so that every board cell is
 * in view wherever the agent stands (a 5×5 board: a 9×9 window of 6-px cells; objects keep their
 * own size in pixels and so overlap neighbouring cells, which lets a pixel loss order positions).
 */
export function boardGeometry(gridSize: number, view: View = 'top'): BoardGeometry {
  const cells = view === 'ego' ? 2 * gridSize - 1 : gridSize;
  const cellSize = 2 * Math.floor(FRAME_SIZE / (2 * cells));
  const origin = (FRAME_SIZE - cells * cellSize) / 2;
  return {
    gridSize,
    view,
    cellSize,
    firstCentre: origin + cellSize / 2,
    positionValues: gridSize,
    objectPositionValues: cells,
  };
}

/** Pixel coordinate (a pixel corner) of the centre of an object at position p (a window cell in 'ego'). */
export function positionToPixel(board: BoardGeometry, p: number): number {
  return board.firstCentre + board.cellSize * p;
}

/** The position value of the agent's grid cell c (the agent's positions are cells in every view). */
export function cellToPosition(_board: BoardGeometry, cell: number): number {
  return cell;
}

/**
 * The position value of an object in grid cell `cell` when the agent stands in `agentCell` (one
 * axis): the cell itself in the top view, the window cell (offset + gridSize − 1) in the ego view.
 */
export function objectPosition(board: BoardGeometry, cell: number, agentCell: number): number {
  return board.view === 'ego' ? cell - agentCell + board.gridSize - 1 : cell;
}

/** The grid cell of an object at position value `p` when the agent stands in `agentCell` (inverse of objectPosition). */
export function objectCell(board: BoardGeometry, p: number, agentCell: number): number {
  return board.view === 'ego' ? p + agentCell - (board.gridSize - 1) : p;
}

/** The named factor values `info.factors` carries in the env (indices as in the factor tables). */
export type FactorValues = { [K in FactorName]: number };

/** What `info.factors` holds: the eleven factors plus the object shapes and any distractors. */
export interface ShapeWorldFactors extends FactorValues {
  /** Index into SHAPES. */
  goal_shape: number;
  hazard_shape: number;
  /** Distractor objects: position values, colour index (into the distractor colours) and shape index. */
  distractors: { x: number; y: number; color: number; shape: number }[];
}

/** The concrete values behind each categorical factor, for one variant or a union of variants. */
export class FactorSpace {
  readonly goalColors: Rgb[] = [];
  readonly hazardColors: Rgb[] = [];
  readonly distractorColors: Rgb[] = [];
  readonly backgrounds: Rgb[] = [];
  readonly scales: number[] = [];
  readonly orientations: number[] = [];
  readonly goalShape: ShapeName;
  readonly hazardShape: ShapeName;
  readonly distractorShape: ShapeName;
  /** The board every variant of this space is played on. */
  readonly board: BoardGeometry;
  /** Number of values of each factor, in FACTOR_NAMES order. */
  readonly factorSizes: number[];

  constructor(readonly variants: readonly Variant[]) {
    if (variants.length === 0) throw new Error('FactorSpace needs at least one variant');
    const first = variants[0];
    for (const v of variants) {
      if (v.view !== first.view) {
        throw new UserError(`variants '${first.name}' and '${v.name}' are drawn in different views (${first.view} vs ${v.view}); build one dataset per view`, 'variants');
      }
      if (v.gridSize !== first.gridSize) {
        throw new UserError(
          `variants '${first.name}' and '${v.name}' are played on different boards (${first.gridSize}×${first.gridSize} vs ${v.gridSize}×${v.gridSize}); build one dataset per board`,
          'variants',
        );
      }
      if (v.goal.shape !== first.goal.shape || v.hazard.shape !== first.hazard.shape) {
        throw new UserError(
          `variants '${first.name}' and '${v.name}' disagree on the goal/hazard shapes (${first.goal.shape}/${first.hazard.shape} vs ${v.goal.shape}/${v.hazard.shape}); build one dataset per task`,
          'variants',
        );
      }
      addAll(this.goalColors, v.goal.colors, sameRgb);
      addAll(this.hazardColors, v.hazard.colors, sameRgb);
      addAll(this.backgrounds, v.background, sameRgb);
      addAll(this.scales, v.scales, Object.is);
      addAll(this.orientations, v.orientations, Object.is);
      if (v.distractors.count > 0) addAll(this.distractorColors, v.distractors.colors, sameRgb);
    }
    const withDistractors = variants.find((v) => v.distractors.count > 0);
    for (const v of variants) {
      if (v.distractors.count > 0 && v.distractors.shape !== withDistractors?.distractors.shape) {
        throw new UserError(`variants '${withDistractors?.name}' and '${v.name}' use different distractor shapes; build one dataset per distractor shape`, 'variants');
      }
    }
    this.goalShape = first.goal.shape;
    this.hazardShape = first.hazard.shape;
    this.distractorShape = (withDistractors ?? first).distractors.shape;
    if (this.distractorColors.length === 0) this.distractorColors.push(...first.distractors.colors);
    this.board = boardGeometry(first.gridSize, first.view);
    const P = this.board.positionValues;
    const Q = this.board.objectPositionValues;
    this.factorSizes = [P, P, Q, Q, this.goalColors.length, Q, Q, this.hazardColors.length, this.scales.length, this.orientations.length, this.backgrounds.length];
  }

  /**
   * Maps factor indices of `local` (a space over a subset of these variants) into this space's
   * indices: one table per factor (identity for positions).
   */
  remapFrom(local: FactorSpace): Int32Array[] {
    const find = <T>(mine: T[], theirs: T[], eq: (a: T, b: T) => boolean) =>
      Int32Array.from(theirs, (x) => {
        const i = mine.findIndex((y) => eq(x, y));
        if (i < 0) throw new Error('FactorSpace.remapFrom: value missing from the union space');
        return i;
      });
    if (local.board.gridSize !== this.board.gridSize || local.board.view !== this.board.view) throw new Error('FactorSpace.remapFrom: the spaces are on different boards');
    const identity = Int32Array.from({ length: this.board.objectPositionValues }, (_, i) => i);
    return FACTOR_NAMES.map((name) => {
      switch (name) {
        case 'goal_color':
          return find(this.goalColors, local.goalColors, sameRgb);
        case 'hazard_color':
          return find(this.hazardColors, local.hazardColors, sameRgb);
        case 'scale':
          return find(this.scales, local.scales, Object.is);
        case 'orientation':
          return find(this.orientations, local.orientations, Object.is);
        case 'background':
          return find(this.backgrounds, local.backgrounds, sameRgb);
        default:
          return identity;
      }
    });
  }

  /** Human-readable values of factor k (for reports and traversal labels). */
  valueLabels(k: number): string[] {
    switch (FACTOR_NAMES[k]) {
      case 'goal_color':
        return this.goalColors.map(toHex);
      case 'hazard_color':
        return this.hazardColors.map(toHex);
      case 'background':
        return this.backgrounds.map(toHex);
      case 'scale':
        return this.scales.map((s) => `${s}px`);
      case 'orientation':
        return this.orientations.map((o) => `${o}°`);
      case 'agent_x':
      case 'agent_y':
        if (this.board.view === 'ego') return Array.from({ length: this.board.positionValues }, (_, p) => `cell ${p}`);
        return Array.from({ length: this.board.positionValues }, (_, p) => `${positionToPixel(this.board, p)}px`);
      default:
        if (this.board.view === 'ego') return Array.from({ length: this.board.objectPositionValues }, (_, p) => `${p - (this.board.gridSize - 1) >= 0 ? '+' : ''}${p - (this.board.gridSize - 1)}`);
        return Array.from({ length: this.board.positionValues }, (_, p) => `${positionToPixel(this.board, p)}px`);
    }
  }
}

function sameRgb(a: Rgb, b: Rgb): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
}

function addAll<T>(into: T[], values: readonly T[], eq: (a: T, b: T) => boolean): void {
  for (const v of values) if (!into.some((x) => eq(x, v))) into.push(v);
}

/** Named factor values → one row of NUM_FACTORS indices. */
export function factorsToArray(f: FactorValues, out: Int32Array = new Int32Array(NUM_FACTORS), offset = 0): Int32Array {
  for (let k = 0; k < NUM_FACTORS; k++) out[offset + k] = f[FACTOR_NAMES[k]];
  return out;
}

// ---- the oracle's features ---------------------------------------------------------------------

/**
 * Size of the oracle feature vector: the task-relevant ground truth a perfect vision module would
 * extract — agent, goal and hazard positions normalised to [0, 1] (6), and the goal and hazard
 * displacements from the agent in [-1, 1] (4). Nuisance factors (colours, background, scale,
 * orientation) are left out on purpose: their indices mean different colours in different variants,
 * and the task never depends on them, so the oracle is the transfer upper bound.
 */
export const ORACLE_FEATURE_SIZE = 10;

/**
 * Writes the oracle features of one state into out[offset .. offset + ORACLE_FEATURE_SIZE).
 * `factors` is `info.factors` (named) or a row of factor indices (Int32Array, read from `rowOffset`);
 * `positionValues` is the board's number of position values (`info.positionValues`), `view` the
 * variant's view (`info.view`; in 'ego' the objects' factors are window cells, converted back here).
 */
export function oracleFeatures(factors: FactorValues | Int32Array, positionValues: number, out: Float32Array, offset = 0, rowOffset = 0, view: View = 'top'): void {
  const get = factors instanceof Int32Array ? (k: number) => factors[rowOffset + k] : (k: number) => factors[FACTOR_NAMES[k]];
  const scale = positionValues - 1;
  const ax = get(F.agent_x);
  const ay = get(F.agent_y);
  // In the ego view the objects' factors are window cells: back to grid cells.
  const shift = view === 'ego' ? positionValues - 1 : 0;
  const gx = get(F.goal_x) + (shift === 0 ? 0 : ax - shift);
  const gy = get(F.goal_y) + (shift === 0 ? 0 : ay - shift);
  const hx = get(F.hazard_x) + (shift === 0 ? 0 : ax - shift);
  const hy = get(F.hazard_y) + (shift === 0 ? 0 : ay - shift);
  out[offset] = ax / scale;
  out[offset + 1] = ay / scale;
  out[offset + 2] = gx / scale;
  out[offset + 3] = gy / scale;
  out[offset + 4] = hx / scale;
  out[offset + 5] = hy / scale;
  out[offset + 6] = (gx - ax) / scale;
  out[offset + 7] = (gy - ay) / scale;
  out[offset + 8] = (hx - ax) / scale;
  out[offset + 9] = (hy - ay) / scale;
}
