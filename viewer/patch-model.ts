/**
 * A tiny non-learned LatentModel: the latents are the mean colours of a g×g grid of patches,
 * and decoding paints those colours back, interpolated bilinearly between patch centres. It is what
 * `darla view` shows when no β-VAE checkpoint is given, and the deterministic model the viewer's
 * tests use. It is exact arithmetic, not a stand-in for learned features: a real β-VAE replaces it.
 */
import type { LatentModel } from './source.ts';

const CH = ['r', 'g', 'b'] as const;
/** Latent value = (mean/255 − 0.5) × SPAN, so colours map onto roughly ±2 like a unit Gaussian. */
const SPAN = 4;

export class PatchMeansModel implements LatentModel {
  readonly latentDim: number;
  readonly latentLabels: string[];

  constructor(
    readonly width = 64,
    readonly height = 64,
    readonly grid = 2,
  ) {
    if (!Number.isInteger(grid) || grid < 1 || width % grid !== 0 || height % grid !== 0) {
      throw new Error(`PatchMeansModel: grid ${grid} must divide ${width}×${height}`);
    }
    this.latentDim = grid * grid * 3;
    this.latentLabels = [];
    for (let py = 0; py < grid; py++) {
      for (let px = 0; px < grid; px++) for (const c of CH) this.latentLabels.push(`patch${py}${px}.${c}`);
    }
  }

  async encode(frames: Uint8Array, n: number): Promise<{ mu: Float32Array; sigma: Float32Array }> {
    const { width: w, height: h, grid: g, latentDim: d } = this;
    if (frames.length !== n * w * h * 3) throw new Error(`encode: expected ${n * w * h * 3} bytes, got ${frames.length}`);
    const mu = new Float32Array(n * d);
    const sigma = new Float32Array(n * d);
    const pw = w / g;
    const ph = h / g;
    const count = pw * ph;
    for (let i = 0; i < n; i++) {
      const base = i * w * h * 3;
      for (let py = 0; py < g; py++) {
        for (let px = 0; px < g; px++) {
          for (let c = 0; c < 3; c++) {
            let sum = 0;
            let sq = 0;
            for (let y = py * ph; y < (py + 1) * ph; y++) {
              let o = base + (y * w + px * pw) * 3 + c;
              for (let x = 0; x < pw; x++, o += 3) {
                const v = frames[o];
                sum += v;
                sq += v * v;
              }
            }
            const mean = sum / count;
            const std = Math.sqrt(Math.max(0, sq / count - mean * mean));
            const k = i * d + (py * g + px) * 3 + c;
            mu[k] = (mean / 255 - 0.5) * SPAN;
            sigma[k] = Math.max(0.02, (std / 255) * SPAN);
          }
        }
      }
    }
    return { mu, sigma };
  }

  async decode(z: Float32Array, n: number): Promise<Uint8Array> {
    const { width: w, height: h, grid: g, latentDim: d } = this;
    if (z.length !== n * d) throw new Error(`decode: expected ${n * d} values, got ${z.length}`);
    const out = new Uint8Array(n * w * h * 3);
    const pw = w / g;
    const ph = h / g;
    for (let i = 0; i < n; i++) {
      for (let y = 0; y < h; y++) {
        // Position in patch-centre coordinates, clamped at the borders.
        const fy = Math.min(g - 1, Math.max(0, (y + 0.5) / ph - 0.5));
        const y0 = Math.floor(fy);
        const y1 = Math.min(g - 1, y0 + 1);
        const ty = fy - y0;
        for (let x = 0; x < w; x++) {
          const fx = Math.min(g - 1, Math.max(0, (x + 0.5) / pw - 0.5));
          const x0 = Math.floor(fx);
          const x1 = Math.min(g - 1, x0 + 1);
          const tx = fx - x0;
          for (let c = 0; c < 3; c++) {
            const at = (py: number, px: number) => z[i * d + (py * g + px) * 3 + c];
            const v = (1 - ty) * ((1 - tx) * at(y0, x0) + tx * at(y0, x1)) + ty * ((1 - tx) * at(y1, x0) + tx * at(y1, x1));
            const byte = Math.round((v / SPAN + 0.5) * 255);
            out[((i * h + y) * w + x) * 3 + c] = byte < 0 ? 0 : byte > 255 ? 255 : byte;
          }
        }
      }
    }
    return out;
  }
}
