/**
 * The shape world's sprites: each object shape is an implicit region on the unit box [-1, 1]²,
 * rasterised once per (shape, size, orientation) into an anti-aliased alpha mask (4×4 supersampling),
 * cached, and then only blitted in the hot path. The agent marker — a white plus with a black
 * outline, identical in every variant — is built the same way.
 */

/** The object shapes a variant can use (goal, hazard, distractors). */
export const SHAPES = ['square', 'ellipse', 'heart', 'triangle', 'ring', 'disc', 'bar', 'diamond', 'cross'] as const;
export type ShapeName = (typeof SHAPES)[number];

/**
 * An alpha mask placed relative to an object's centre. The centre is a pixel corner at integer
 * coordinates (cx, cy); mask pixel (i, j) lands on frame pixel (cx + dx0 + i, cy + dy0 + j).
 */
export interface Sprite {
  dx0: number;
  dy0: number;
  w: number;
  h: number;
  /** w×h coverage, 0..255, row-major. */
  alpha: Uint8Array;
}

/** Is (u, v) inside the shape? u to the right, v upwards, the shape's box is [-1, 1]². */
function inside(shape: ShapeName, u: number, v: number): boolean {
  switch (shape) {
    case 'square':
      return Math.abs(u) <= 0.82 && Math.abs(v) <= 0.82;
    case 'ellipse':
      return u * u + (v * v) / (0.55 * 0.55) <= 1;
    case 'triangle':
      // Isosceles, apex up: apex (0, 0.95), base from (-1, -0.8) to (1, -0.8).
      return v >= -0.8 && Math.abs(u) <= (0.95 - v) / 1.75;
    case 'heart': {
      // The classic implicit heart (x² + y² − 1)³ − x²y³ ≤ 0, fitted to the box.
      const x = u * 1.2;
      const y = v * 1.2 + 0.1;
      const a = x * x + y * y - 1;
      return a * a * a - x * x * y * y * y <= 0;
    }
    case 'ring': {
      const r2 = u * u + v * v;
      return r2 <= 1 && r2 >= 0.45 * 0.45;
    }
    case 'disc':
      return u * u + v * v <= 1;
    case 'bar':
      // A horizontal bar, a third as tall as it is wide.
      return Math.abs(u) <= 1 && Math.abs(v) <= 0.34;
    case 'diamond':
      return Math.abs(u) + Math.abs(v) <= 1;
    case 'cross':
      // An X: the two diagonals of the box, each a stroke about 0.5 wide.
      return Math.abs(u) <= 0.9 && Math.abs(v) <= 0.9 && (Math.abs(u - v) <= 0.36 || Math.abs(u + v) <= 0.36);
  }
}

const SUPERSAMPLE = 4;

/**
 * Rasterises any region given by `test(x, y)` in pixel units around the centre (x right, y down)
 * within radius `extent`, and crops the mask to its non-zero pixels.
 */
function rasterise(extent: number, test: (x: number, y: number) => boolean): Sprite {
  const half = Math.ceil(extent) + 1;
  const full = 2 * half;
  const cov = new Uint8Array(full * full);
  let x0 = full;
  let y0 = full;
  let x1 = -1;
  let y1 = -1;
  const n = SUPERSAMPLE * SUPERSAMPLE;
  for (let j = 0; j < full; j++) {
    for (let i = 0; i < full; i++) {
      let hits = 0;
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const x = i - half + (sx + 0.5) / SUPERSAMPLE;
          const y = j - half + (sy + 0.5) / SUPERSAMPLE;
          if (test(x, y)) hits++;
        }
      }
      if (hits === 0) continue;
      cov[j * full + i] = Math.round((255 * hits) / n);
      x0 = Math.min(x0, i);
      y0 = Math.min(y0, j);
      x1 = Math.max(x1, i);
      y1 = Math.max(y1, j);
    }
  }
  if (x1 < 0) return { dx0: 0, dy0: 0, w: 0, h: 0, alpha: new Uint8Array(0) };
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const alpha = new Uint8Array(w * h);
  for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) alpha[j * w + i] = cov[(y0 + j) * full + x0 + i];
  return { dx0: x0 - half, dy0: y0 - half, w, h, alpha };
}

const cache = new Map<string, Sprite>();

/**
 * The sprite of `shape` with a box of `size` pixels, rotated `orientation` degrees counter-clockwise.
 * Cached: every env and dataset with the same values shares one mask.
 */
export function shapeSprite(shape: ShapeName, size: number, orientation: number): Sprite {
  const key = `${shape}|${size}|${orientation}`;
  let s = cache.get(key);
  if (s === undefined) {
    const half = size / 2;
    const t = (orientation * Math.PI) / 180;
    const c = Math.cos(t);
    const sn = Math.sin(t);
    s = rasterise(half * Math.SQRT2, (x, y) => {
      // Screen (x right, y down) → maths (y up), then undo the rotation.
      const mx = x / half;
      const my = -y / half;
      const u = c * mx + sn * my;
      const v = -sn * mx + c * my;
      return inside(shape, u, v);
    });
    cache.set(key, s);
  }
  return s;
}

/** The agent marker: a white plus and its 1 px black outline. */
export interface AgentMarker {
  outline: Sprite;
  fill: Sprite;
}

const markers = new Map<number, AgentMarker>();

/**
 * The agent marker for a board of `cellSize`-px cells: a white plus with a black outline, identical
 * in every variant on that board. On cells of 12 px or more it is 12 px across with 4 px arms (as
 * large and bold as the objects, so a β-VAE sees it as early as them); on smaller cells 10 px with
 * 3 px arms (the first world's marker).
 */
export function agentMarker(cellSize: number): AgentMarker {
  const big = cellSize >= 12;
  const key = big ? 12 : 10;
  let m = markers.get(key);
  if (m === undefined) {
    const half = big ? 6 : 5;
    const arm = big ? 2 : 1.5;
    const plus = (h: number, a: number) => (x: number, y: number) => (Math.abs(x) <= h && Math.abs(y) <= a) || (Math.abs(x) <= a && Math.abs(y) <= h);
    m = { outline: rasterise(half + 2, plus(half + 1, arm + 1)), fill: rasterise(half + 1, plus(half, arm)) };
    markers.set(key, m);
  }
  return m;
}
