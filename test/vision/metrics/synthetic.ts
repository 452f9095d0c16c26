/**
 * A synthetic ground-truth world for the metric tests: factors with known sizes, tiny 4×4×3 frames
 * whose first bytes are the factor indices, and representation functions that decode those indices
 * and apply a known transform (identity, rotation, constant, duplicate, ignore-one) plus seeded noise.
 */
import type { GroundTruthData } from '../../../envs/core/ground-truth.ts';
import { Rng } from '../../../envs/core/rng.ts';
import type { RepresentationFn } from '../../../vision/metrics/types.ts';

export class SyntheticWorld implements GroundTruthData {
  readonly factorNames: readonly string[];
  readonly observationShape = [4, 4, 3] as const;
  /** Frames rendered so far (to check batching). */
  rendered = 0;

  constructor(readonly factorSizes: readonly number[] = [10, 10, 8, 6, 5]) {
    this.factorNames = factorSizes.map((_, k) => `f${k}`);
  }

  sampleFactors(n: number, rng: Rng): Int32Array {
    const f = this.factorSizes.length;
    const out = new Int32Array(n * f);
    for (let i = 0; i < n; i++) for (let k = 0; k < f; k++) out[i * f + k] = rng.int(this.factorSizes[k]);
    return out;
  }

  render(factors: Int32Array, _rng: Rng, out?: Uint8Array): Uint8Array {
    const f = this.factorSizes.length;
    const n = factors.length / f;
    const size = 4 * 4 * 3;
    const frames = out ?? new Uint8Array(n * size);
    frames.fill(0, 0, n * size);
    for (let i = 0; i < n; i++) for (let k = 0; k < f; k++) frames[i * size + k] = factors[i * f + k];
    this.rendered += n;
    return frames;
  }
}

/** Factor values decoded from frames, standardised (zero mean, unit variance under the uniform law). */
export function decodeStandardised(world: SyntheticWorld, frames: Uint8Array, n: number): Float64Array {
  const f = world.factorSizes.length;
  const out = new Float64Array(n * f);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < f; k++) {
      const s = world.factorSizes[k];
      const mean = (s - 1) / 2;
      const sd = Math.sqrt((s * s - 1) / 12);
      out[i * f + k] = (frames[i * 48 + k] - mean) / sd;
    }
  }
  return out;
}

/**
 * A representation z = A·v + noise·ε, with v the standardised factors (length F), A a d × F matrix
 * (row-major) and ε standard normal from a seeded stream. Counts its calls and the largest batch.
 */
export function linearRepresentation(world: SyntheticWorld, a: Float64Array, d: number, noise: number, seed = 1): RepresentationFn & { calls: number; maxBatch: number } {
  const f = world.factorSizes.length;
  if (a.length !== d * f) throw new Error('matrix shape');
  const rng = new Rng(seed);
  const fn = (async (frames: Uint8Array, n: number) => {
    fn.calls++;
    fn.maxBatch = Math.max(fn.maxBatch, n);
    const v = decodeStandardised(world, frames, n);
    const z = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k < f; k++) s += a[j * f + k] * v[i * f + k];
        z[i * d + j] = s + (noise > 0 ? noise * rng.normal() : 0);
      }
    }
    return z;
  }) as RepresentationFn & { calls: number; maxBatch: number };
  fn.calls = 0;
  fn.maxBatch = 0;
  return fn;
}

/** d × F matrix with A[j, map[j]] = 1 (map[j] = −1: latent j reads no factor). */
export function selectionMatrix(map: readonly number[], f: number): Float64Array {
  const a = new Float64Array(map.length * f);
  map.forEach((k, j) => {
    if (k >= 0) a[j * f + k] = 1;
  });
  return a;
}

/** A random F × F rotation (Gram–Schmidt on a seeded Gaussian matrix). */
export function randomRotation(f: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const q = new Float64Array(f * f);
  for (let i = 0; i < f * f; i++) q[i] = rng.normal();
  for (let r = 0; r < f; r++) {
    for (let p = 0; p < r; p++) {
      let dot = 0;
      for (let c = 0; c < f; c++) dot += q[r * f + c] * q[p * f + c];
      for (let c = 0; c < f; c++) q[r * f + c] -= dot * q[p * f + c];
    }
    let norm = 0;
    for (let c = 0; c < f; c++) norm += q[r * f + c] ** 2;
    norm = Math.sqrt(norm);
    for (let c = 0; c < f; c++) q[r * f + c] /= norm;
  }
  return q;
}

/** The standard codes of the golden tests, for a world with F factors. */
export function standardCodes(world: SyntheticWorld, noise = 0.02) {
  const f = world.factorSizes.length;
  const ids = Array.from({ length: f }, (_, k) => k);
  return {
    /** Each factor in its own latent. */
    identity: () => linearRepresentation(world, selectionMatrix(ids, f), f, noise, 11),
    /** A random rotation of the identity code. */
    rotation: () => linearRepresentation(world, randomRotation(f, 5), f, noise, 12),
    /** All latents 0. */
    constant: () => linearRepresentation(world, new Float64Array(f * f), f, 0, 13),
    /** Factor 0 copied into two latents (independent noise), the rest one each: F + 1 latents. */
    duplicate: () => linearRepresentation(world, selectionMatrix([0, ...ids], f), f + 1, noise, 14),
    /** The last factor is ignored: its latent is pure noise (unit variance). */
    ignoreLast: () => {
      const a = selectionMatrix([...ids.slice(0, -1), -1], f);
      const base = linearRepresentation(world, a, f, noise, 15);
      const rng = new Rng(16);
      const fn = (async (frames: Uint8Array, n: number) => {
        const z = await base(frames, n);
        for (let i = 0; i < n; i++) z[i * f + f - 1] = rng.normal();
        return z;
      }) as RepresentationFn;
      return fn;
    },
  };
}
