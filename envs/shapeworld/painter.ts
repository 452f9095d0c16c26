/**
 * The renderer: paints one 64×64 RGB frame of the shape world from a row of factor indices, into a
 * caller's buffer, without allocating. A frame is a background copy (one memcpy from a prefilled
 * frame) plus alpha blits of the precomputed sprites: distractors, hazard, goal, then the agent
 * marker on top. Blending is integer arithmetic, so a frame is bit-identical on every machine.
 */
import { F, FRAME_BYTES, FRAME_SIZE, positionToPixel, type BoardGeometry, type FactorSpace } from './factors.ts';
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
    out.set(this.backgrounds[factors[fo + F.background]], oo);
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
    const ax = px(factors[fo + F.agent_x]);
    const ay = px(factors[fo + F.agent_y]);
    blit(out, oo, this.marker.outline, ax, ay, 0, 0, 0);
    blit(out, oo, this.marker.fill, ax, ay, 255, 255, 255);
  }
}
