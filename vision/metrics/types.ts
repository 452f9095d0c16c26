/**
 * Shared types of the disentanglement metrics (vision/metrics): how a metric sees a learned
 * representation, and the plain-array code/factor matrices the metric functions pass around.
 */

/**
 * A learned representation: maps n frames (n × H×W×3 uint8, row-major) to n × D latent means
 * (row-major). Async because the encoder may run on WebGPU. The metrics call it with at most
 * `framesPerCall` frames (256 by default) and reuse the `frames` buffer after the promise resolves,
 * so an implementation must copy what it keeps.
 */
export type RepresentationFn = (frames: Uint8Array, n: number) => Promise<Float32Array>;

/** The encoder's full diagonal-Gaussian posterior for n frames: n × D means and n × D log-variances. */
export type PosteriorFn = (frames: Uint8Array, n: number) => Promise<{ mean: Float32Array; logvar: Float32Array }>;

/**
 * n samples of (code, factors): `codes` is n × numLatents, `factors` n × numFactors, both row-major.
 * (disentanglement_lib keeps the transposes, [num_codes, num_points]; we keep one sample per row.)
 */
export interface FactorCode {
  readonly codes: Float64Array;
  readonly factors: Int32Array;
  readonly numPoints: number;
  readonly numLatents: number;
  readonly numFactors: number;
}

/** A metric's result: named scores, flat, JSON-friendly. */
export type Scores = Record<string, number>;
