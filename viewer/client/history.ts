/**
 * The page's data model, as plain functions and small classes with no DOM or pixi in them (so they
 * are tested in Node): fixed-size histories for sparklines and the return chart, the mapping of
 * values onto chart pixels, and RGB → RGBA conversion for frame textures.
 */

/** A fixed-capacity ring of numbers; the oldest value falls out when full. */
export class Ring {
  private readonly buf: Float64Array;
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new Error('Ring capacity must be >= 1');
    this.buf = new Float64Array(capacity);
  }

  get length(): number {
    return this.count;
  }

  push(x: number): void {
    if (this.count < this.capacity) {
      this.buf[(this.start + this.count) % this.capacity] = x;
      this.count++;
    } else {
      this.buf[this.start] = x;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** The i-th oldest value (0 = oldest). */
  at(i: number): number {
    return this.buf[(this.start + i) % this.capacity];
  }

  last(): number | undefined {
    return this.count === 0 ? undefined : this.at(this.count - 1);
  }

  clear(): void {
    this.start = 0;
    this.count = 0;
  }

  toArray(): number[] {
    return Array.from({ length: this.count }, (_, i) => this.at(i));
  }

  /** Smallest and largest value held ([0, 0] when empty). */
  extent(): [number, number] {
    if (this.count === 0) return [0, 0];
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < this.count; i++) {
      const v = this.at(i);
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    return [lo, hi];
  }
}

/** One ring per latent dimension, resized when the latent count changes. */
export class LatentHistory {
  rings: Ring[] = [];

  constructor(readonly capacity: number) {}

  push(mu: readonly number[]): void {
    if (this.rings.length !== mu.length) this.rings = mu.map(() => new Ring(this.capacity));
    for (let i = 0; i < mu.length; i++) this.rings[i].push(mu[i]);
  }

  clear(): void {
    for (const r of this.rings) r.clear();
  }
}

/**
 * Polyline points (x0, y0, x1, y1, …) for `values` drawn into the box (x, y, w, h), with the value
 * range [lo, hi] mapped bottom-to-top and the newest value at the right edge; `slots` points span
 * the width (so a short history starts partway across).
 */
export function polylinePoints(values: Ring | readonly number[], x: number, y: number, w: number, h: number, lo: number, hi: number, slots: number): number[] {
  const n = values instanceof Ring ? values.length : values.length;
  const get = values instanceof Ring ? (i: number) => values.at(i) : (i: number) => values[i];
  const span = hi - lo > 1e-12 ? hi - lo : 1;
  const dx = slots > 1 ? w / (slots - 1) : 0;
  const pts: number[] = [];
  for (let i = 0; i < n; i++) {
    const px = x + w - (n - 1 - i) * dx;
    const t = (get(i) - lo) / span;
    pts.push(px, y + h - Math.max(0, Math.min(1, t)) * h);
  }
  return pts;
}

/** A padded range for a chart: covers [lo, hi], never empty, symmetric padding of 5%. */
export function niceRange(lo: number, hi: number): [number, number] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi - lo < 1e-9) return [lo - 0.5, hi + 0.5];
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

/** Maps a value in [lo, hi] to a pixel in [x0, x1], clamped. */
export function toPixel(v: number, lo: number, hi: number, x0: number, x1: number): number {
  const t = (v - lo) / (hi - lo);
  return x0 + Math.max(0, Math.min(1, t)) * (x1 - x0);
}

/** Expands H×W×3 RGB into H×W×4 RGBA (opaque), writing into `out` when it fits. */
export function rgbToRgba(rgb: Uint8Array, out?: Uint8ClampedArray): Uint8ClampedArray {
  const n = rgb.length / 3;
  const dst = out !== undefined && out.length === n * 4 ? out : new Uint8ClampedArray(n * 4);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    dst[j] = rgb[i];
    dst[j + 1] = rgb[i + 1];
    dst[j + 2] = rgb[i + 2];
    dst[j + 3] = 255;
  }
  return dst;
}

/** A cheap order-sensitive checksum of bytes (FNV-1a), so tests can tell two images apart. */
export function checksum(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

/** Formats a number compactly for labels (3 significant digits, no exponent below 1e6). */
export function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return x.toExponential(2);
  if (a >= 100) return x.toFixed(0);
  return x.toPrecision(3);
}
