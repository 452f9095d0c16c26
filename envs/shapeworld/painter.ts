/**
 * The renderer: paints one 64×64 RGB frame of the shape world from a row of factor indices, into a
 * caller's buffer, without allocating. A frame is a background copy (one memcpy from a prefilled
 * frame) plus alpha blits of the precomputed sprites: distractors, hazard, goal, then the agent
 * marker on top. Blending is integer arithmetic, so a frame is bit-identical on every machine.
 * In the agent-centred view (`view: 'ego'`) the background copy already has the window's off-board
 * cells in OFF_BOARD grey (one cached frame per background and agent cell), the objects are drawn
 * at their window cells, and there is no agent sprite: the agent is the window's centre.
 */
import { F, FRAME_BYTES, FRAME_SIZE, objectCell, positionToPixel, type BoardGeometry, type FactorSpace } from './factors.ts';
import { agentMarker, shapeSprite, type AgentMarker, type Sprite } from './shapes.ts';
import type { Rgb } from './variants.ts';

const backgroundCache = new Map<number, Uint8Array>();

/** A full frame of one colour (shared, read-only). */
function backgroundFrame(c: Rgb): Uint8Array {
  const key = (c[0] << 16) | (c[1] << 8) | c[2];
  let f = backgroundCache.get(key);
  if (f === undefined) {
    f = new Uint8Array(FRAME_BYTES);
    for (let i = 0; i < FRAME_BYTES; i += 3) {
      f[i] = c[0];
      f[i + 1] = c[1];
      f[i + 2] = c[2];
    }
    backgroundCache.set(key, f);
  }
  return f;
}

/**
 * Alpha-blends `sprite` in colour (r, g, b) centred at pixel corner (cx, cy) of the frame at
 * out[oo..], clipping at the frame's edges.
 */
export function blit(out: Uint8Array, oo: number, sprite: Sprite, cx: number, cy: number, r: number, g: number, b: number): void {
  const { w, h, alpha } = sprite;
  const x0 = cx + sprite.dx0;
  const y0 = cy + sprite.dy0;
  const i0 = x0 < 0 ? -x0 : 0;
  const j0 = y0 < 0 ? -y0 : 0;
  const i1 = x0 + w > FRAME_SIZE ? FRAME_SIZE - x0 : w;
  const j1 = y0 + h > FRAME_SIZE ? FRAME_SIZE - y0 : h;
  for (let j = j0; j < j1; j++) {
    let o = oo + ((y0 + j) * FRAME_SIZE + x0 + i0) * 3;
    let m = j * w + i0;
    for (let i = i0; i < i1; i++, o += 3, m++) {
      const a = alpha[m];
      if (a === 0) continue;
      if (a === 255) {
        out[o] = r;
        out[o + 1] = g;
        out[o + 2] = b;
        continue;
      }
      const na = 255 - a;
      // Exact rounded division by 255: t/255 == (t + (t >> 8)) >> 8 for t = x + 128, x ≤ 255².
      let t = r * a + out[o] * na + 128;
      out[o] = (t + (t >> 8)) >> 8;
      t = g * a + out[o + 1] * na + 128;
      out[o + 1] = (t + (t >> 8)) >> 8;
      t = b * a + out[o + 2] * na + 128;
      out[o + 2] = (t + (t >> 8)) >> 8;
    }
  }
}

/** The colour of window cells outside the board in the agent-centred view (never a background colour of a named variant). */
export const OFF_BOARD: Rgb = [96, 96, 96];

/** Number of int32 entries per distractor in a distractor list: x, y, colour index. */
export const DISTRACTOR_STRIDE = 3;

export class Painter {
  private readonly goalSprites: Sprite[];
  private readonly hazardSprites: Sprite[];
  private readonly distractorSprites: Sprite[];
  private readonly backgrounds: Uint8Array[];
  private readonly numOrientations: number;
  private readonly board: BoardGeometry;
  private readonly marker: AgentMarker;
  /** Ego view: background frames with the off-board cells drawn, by background index and agent cell. */
  private readonly egoBackgrounds = new Map<number, Uint8Array>();

  constructor(readonly space: FactorSpace) {
    this.board = space.board;
    this.marker = agentMarker(space.board.cellSize);
    const sprites = (shape: Parameters<typeof shapeSprite>[0]) => space.scales.flatMap((s) => space.orientations.map((o) => shapeSprite(shape, s, o)));
    this.goalSprites = sprites(space.goalShape);
    this.hazardSprites = sprites(space.hazardShape);
    this.distractorSprites = sprites(space.distractorShape);
    this.backgrounds = space.backgrounds.map(backgroundFrame);
    this.numOrientations = space.orientations.length;
  }

  /**
   * Paints the frame of factor row factors[fo .. fo + 11) into out[oo .. oo + 64·64·3).
   * `distractors` holds `numDistractors` × (x, y, colour) entries, or is null for none.
   */
  paint(factors: ArrayLike<number>, fo: number, distractors: Int32Array | null, numDistractors: number, out: Uint8Array, oo: number): void {
    const s = this.space;
    const px = (p: number) => positionToPixel(this.board, p);
    const ego = this.board.view === 'ego';
    out.set(ego ? this.egoBackground(factors[fo + F.background], factors[fo + F.agent_x], factors[fo + F.agent_y]) : this.backgrounds[factors[fo + F.background]], oo);
    const spriteIndex = factors[fo + F.scale] * this.numOrientations + factors[fo + F.orientation];
    if (distractors !== null) {
      const sprite = this.distractorSprites[spriteIndex];
      for (let d = 0; d < numDistractors; d++) {
        const c = s.distractorColors[distractors[d * DISTRACTOR_STRIDE + 2]];
        blit(out, oo, sprite, px(distractors[d * DISTRACTOR_STRIDE]), px(distractors[d * DISTRACTOR_STRIDE + 1]), c[0], c[1], c[2]);
      }
    }
    let c = s.hazardColors[factors[fo + F.hazard_color]];
    blit(out, oo, this.hazardSprites[spriteIndex], px(factors[fo + F.hazard_x]), px(factors[fo + F.hazard_y]), c[0], c[1], c[2]);
    c = s.goalColors[factors[fo + F.goal_color]];
    blit(out, oo, this.goalSprites[spriteIndex], px(factors[fo + F.goal_x]), px(factors[fo + F.goal_y]), c[0], c[1], c[2]);
    if (ego) return;
    const ax = px(factors[fo + F.agent_x]);
    const ay = px(factors[fo + F.agent_y]);
    blit(out, oo, this.marker.outline, ax, ay, 0, 0, 0);
    blit(out, oo, this.marker.fill, ax, ay, 255, 255, 255);
  }

  /** The ego view's background: everything that is not a board cell, seen from cell (ax, ay) (the window's margin too), in OFF_BOARD grey. */
  private egoBackground(background: number, ax: number, ay: number): Uint8Array {
    const b = this.board;
    const key = (background * b.gridSize + ay) * b.gridSize + ax;
    let frame = this.egoBackgrounds.get(key);
    if (frame !== undefined) return frame;
    frame = Uint8Array.from(this.backgrounds[background]);
    const cells = b.objectPositionValues;
    const origin = b.firstCentre - b.cellSize / 2;
    // The board cell a pixel row / column shows, or −1 outside the window or the board.
    const cellOf = (p: number, agent: number) => {
      const w = Math.floor((p - origin) / b.cellSize);
      const g = w < 0 || w >= cells ? -1 : objectCell(b, w, agent);
      return g >= 0 && g < b.gridSize ? g : -1;
    };
    for (let y = 0; y < FRAME_SIZE; y++) {
      const onRow = cellOf(y, ay) >= 0;
      for (let x = 0; x < FRAME_SIZE; x++) if (!onRow || cellOf(x, ax) < 0) frame.set(OFF_BOARD, (y * FRAME_SIZE + x) * 3);
    }
    this.egoBackgrounds.set(key, frame);
    return frame;
  }
}
