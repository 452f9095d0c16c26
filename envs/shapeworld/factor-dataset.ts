/**
 * The factor dataset: shape-world frames rendered straight from sampled ground-truth factors
 * (dense and uniform over every factor's values, sub-cell positions included), the way dSprites
 * serves disentanglement_lib. It implements GroundTruthData for the metrics (sampleFactors +
 * render), can hold one factor fixed (BetaVAE and FactorVAE scores), returns plain typed arrays,
 * and wraps itself as a seeded @tensorflow/tfjs-data dataset for training.
 *
 * Factors index a FactorSpace over the given variants (their value lists' union). Every categorical
 * factor is uniform over its values; the three positions are uniform over the placements in which
 * every object has its own cell, as on the board — so no frame hides the goal under the agent
 * (rejection sampling; the marginals are close to uniform). In an agent-centred view the goal's and
 * hazard's factors are window cells (factors.ts), drawn again until both fall on the board. Variants with distractors add them as nuisance: their count, positions (clear of
 * the objects) and colours come from the `rng` passed to render, not from the factors; without
 * distractors a frame depends on its factors only.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfd from '@tensorflow/tfjs-data';
import type { GroundTruthData } from '../core/ground-truth.ts';
import { Rng, mixSeed } from '../core/rng.ts';
import { F, FACTOR_NAMES, FRAME_BYTES, FRAME_SIZE, FactorSpace, NUM_FACTORS, objectCell, objectPosition } from './factors.ts';
import { DISTRACTOR_STRIDE, Painter } from './painter.ts';
import { resolveVariant, type Variant, type VariantLike } from './variants.ts';

export interface FactorSample {
  /** n × 64×64×3 uint8 frames. */
  frames: Uint8Array;
  /** n × NUM_FACTORS factor indices, row-major. */
  factors: Int32Array;
}

export interface TfDatasetOptions {
  /** Seeds the sample stream; pass k of an epoch's iteration is seeded mixSeed(seed, k). */
  seed: number;
  /** Frames per pass over the dataset (default 10,000). */
  numFrames?: number;
  /** Frames rendered per chunk inside the generator (default 64). */
  chunk?: number;
}

export class ShapeWorldDataset implements GroundTruthData {
  readonly factorNames: readonly string[] = FACTOR_NAMES;
  readonly factorSizes: readonly number[];
  readonly observationShape = [FRAME_SIZE, FRAME_SIZE, 3] as const;
  readonly variants: readonly Variant[];
  readonly space: FactorSpace;
  private readonly painter: Painter;
  private readonly distractorCounts: number[];
  private readonly hasDistractors: boolean;
  private readonly distractorBuf: Int32Array;

  /** Over one variant or the union of several (default: the source variant). */
  constructor(variants: VariantLike | readonly VariantLike[] = 'source') {
    const list = Array.isArray(variants) ? (variants as readonly VariantLike[]) : [variants as VariantLike];
    this.variants = list.map(resolveVariant);
    this.space = new FactorSpace(this.variants);
    this.painter = new Painter(this.space);
    this.factorSizes = this.space.factorSizes;
    this.distractorCounts = this.variants.map((v) => v.distractors.count);
    this.hasDistractors = this.distractorCounts.some((c) => c > 0);
    this.distractorBuf = new Int32Array(Math.max(...this.distractorCounts, 0) * DISTRACTOR_STRIDE);
  }

  get numFactors(): number {
    return NUM_FACTORS;
  }

  /** n rows of factor indices: categorical factors uniform, positions uniform over non-overlapping placements. */
  sampleFactors(n: number, rng: Rng): Int32Array {
    checkCount(n);
    const out = new Int32Array(n * NUM_FACTORS);
    const sizes = this.factorSizes;
    for (let i = 0, o = 0; i < n; i++, o += NUM_FACTORS) {
      for (let k = 0; k < NUM_FACTORS; k++) out[o + k] = rng.int(sizes[k]);
      this.separate(out, o, -1, rng);
    }
    return out;
  }

  /**
   * Redraws the positions of row `o` (all but factor `fixed`) until no two objects overlap. With
   * one factor fixed, a placement always exists: the other objects can stand a cell away from it.
   */
  private separate(rows: Int32Array, o: number, fixed: number, rng: Rng): void {
    const sizes = this.factorSizes;
    while (!this.clear(rows, o)) {
      for (const k of POSITION_FACTORS) if (k !== fixed) rows[o + k] = rng.int(sizes[k]);
    }
  }

  /**
   * True when agent, goal and hazard of row `o` stand in three different cells of the board (in the
   * ego view an object's window cell may fall off the board; such rows are drawn again).
   */
  private clear(rows: Int32Array, o: number): boolean {
    const b = this.space.board;
    const ax = rows[o + F.agent_x];
    const ay = rows[o + F.agent_y];
    const gx = objectCell(b, rows[o + F.goal_x], ax);
    const gy = objectCell(b, rows[o + F.goal_y], ay);
    const hx = objectCell(b, rows[o + F.hazard_x], ax);
    const hy = objectCell(b, rows[o + F.hazard_y], ay);
    const on = (x: number, y: number) => x >= 0 && x < b.gridSize && y >= 0 && y < b.gridSize;
    if (!on(gx, gy) || !on(hx, hy)) return false;
    return (ax !== gx || ay !== gy) && (ax !== hx || ay !== hy) && (gx !== hx || gy !== hy);
  }

  /** Like sampleFactors, with factor `factorIndex` held at `value` in every row. */
  sampleWithFixed(n: number, factorIndex: number, value: number, rng: Rng): Int32Array {
    if (!Number.isInteger(factorIndex) || factorIndex < 0 || factorIndex >= NUM_FACTORS) {
      throw new Error(`sampleWithFixed: factorIndex must be 0..${NUM_FACTORS - 1}, got ${factorIndex}`);
    }
    if (!Number.isInteger(value) || value < 0 || value >= this.factorSizes[factorIndex]) {
      throw new Error(`sampleWithFixed: ${FACTOR_NAMES[factorIndex]} takes values 0..${this.factorSizes[factorIndex] - 1}, got ${value}`);
    }
    const out = this.sampleFactors(n, rng);
    for (let i = 0; i < n; i++) {
      out[i * NUM_FACTORS + factorIndex] = value;
      this.separate(out, i * NUM_FACTORS, factorIndex, rng);
    }
    return out;
  }

  /** Renders one frame per factor row into `out` (allocated when not given). */
  render(factors: Int32Array, rng: Rng, out?: Uint8Array): Uint8Array {
    if (factors.length % NUM_FACTORS !== 0) throw new Error(`render: factors length ${factors.length} is not a multiple of ${NUM_FACTORS}`);
    const n = factors.length / NUM_FACTORS;
    const frames = out ?? new Uint8Array(n * FRAME_BYTES);
    if (frames.length < n * FRAME_BYTES) throw new Error(`render: out has room for ${Math.floor(frames.length / FRAME_BYTES)} frames, need ${n}`);
    const sizes = this.factorSizes;
    for (let i = 0; i < n; i++) {
      const fo = i * NUM_FACTORS;
      for (let k = 0; k < NUM_FACTORS; k++) {
        const v = factors[fo + k];
        if (v < 0 || v >= sizes[k]) throw new Error(`render: row ${i} has ${FACTOR_NAMES[k]} = ${v}, outside 0..${sizes[k] - 1}`);
      }
      let count = 0;
      if (this.hasDistractors) {
        count = this.distractorCounts[rng.int(this.distractorCounts.length)];
        const d = this.distractorBuf;
        const b = this.space.board;
        const P = b.positionValues;
        const ax = factors[fo + F.agent_x];
        const ay = factors[fo + F.agent_y];
        for (let j = 0; j < count; j++) {
          // A grid cell clear of the three objects (a few tries; a crowded small board may leave one sharing a cell).
          let x = 0;
          let y = 0;
          for (let t = 0; t < 64; t++) {
            x = rng.int(P);
            y = rng.int(P);
            let free = true;
            for (const k of OBJECT_X) {
              const kx = k === F.agent_x ? ax : objectCell(b, factors[fo + k], ax);
              const ky = k === F.agent_x ? ay : objectCell(b, factors[fo + k + 1], ay);
              if (x === kx && y === ky) free = false;
            }
            if (free) break;
          }
          d[j * DISTRACTOR_STRIDE] = objectPosition(b, x, ax);
          d[j * DISTRACTOR_STRIDE + 1] = objectPosition(b, y, ay);
          d[j * DISTRACTOR_STRIDE + 2] = rng.int(this.space.distractorColors.length);
        }
      }
      this.painter.paint(factors, fo, count > 0 ? this.distractorBuf : null, count, frames, i * FRAME_BYTES);
    }
    return frames;
  }

  /** n frames with their factors; with `fixed`, one factor is held at one value. */
  sample(n: number, rng: Rng, fixed?: { factor: number; value: number }): FactorSample {
    const factors = fixed === undefined ? this.sampleFactors(n, rng) : this.sampleWithFixed(n, fixed.factor, fixed.value, rng);
    return { frames: this.render(factors, rng), factors };
  }

  /**
   * A tf.data dataset of float32 [64, 64, 3] frames in [0, 1], freshly sampled with a seeded
   * generator (each pass over the dataset draws new frames, reproducibly). Batching and prefetch
   * are left to the caller. The consumer owns (and disposes) each yielded tensor.
   */
  toTfDataset(opts: TfDatasetOptions): tfd.Dataset<tf.Tensor3D> {
    const numFrames = opts.numFrames ?? 10_000;
    const chunk = Math.max(1, Math.min(opts.chunk ?? 64, numFrames));
    checkCount(numFrames);
    let pass = 0;
    const self = this;
    return tfd.generator(function* () {
      const rng = new Rng(mixSeed(opts.seed, pass++));
      const buf = new Uint8Array(chunk * FRAME_BYTES);
      for (let done = 0; done < numFrames; done += chunk) {
        const n = Math.min(chunk, numFrames - done);
        self.render(self.sampleFactors(n, rng), rng, buf);
        for (let i = 0; i < n; i++) yield toFloatFrame(buf, i * FRAME_BYTES);
      }
    });
  }
}

/** One uint8 frame → a float32 [64, 64, 3] tensor in [0, 1] (a fresh array: tfjs may keep a reference). */
export function toFloatFrame(frames: Uint8Array, offset: number): tf.Tensor3D {
  const data = new Float32Array(FRAME_BYTES);
  for (let j = 0; j < FRAME_BYTES; j++) data[j] = frames[offset + j] / 255;
  return tf.tensor3d(data, [FRAME_SIZE, FRAME_SIZE, 3], 'float32');
}

/**
 * A tf.data dataset over frames you already have (e.g. from collectFrames): float32 [64, 64, 3] in
 * [0, 1], in a seeded random order that changes with each pass (pass k: mixSeed(seed, k)).
 */
export function framesToTfDataset(frames: Uint8Array, count: number, opts: { seed: number }): tfd.Dataset<tf.Tensor3D> {
  checkCount(count);
  if (frames.length < count * FRAME_BYTES) throw new Error(`framesToTfDataset: frames hold ${Math.floor(frames.length / FRAME_BYTES)} frames, count is ${count}`);
  let pass = 0;
  return tfd.generator(function* () {
    const order = new Rng(mixSeed(opts.seed, pass++)).permutation(count);
    for (let i = 0; i < count; i++) yield toFloatFrame(frames, order[i] * FRAME_BYTES);
  });
}

/** The x factor of each object (its y factor follows it). */
const OBJECT_X = [F.agent_x, F.goal_x, F.hazard_x];
/** Every position factor. */
const POSITION_FACTORS = OBJECT_X.flatMap((k) => [k, k + 1]);

function checkCount(n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`expected a non-negative integer count, got ${n}`);
}
