/**
 * Ground-truth generative factors, the way disentanglement_lib's `GroundTruthData` exposes them:
 * each factor takes `factorSizes[k]` discrete values 0..size-1; frames can be rendered from any
 * factor combination. The disentanglement metrics (vision/metrics) sample through this interface;
 * the shape world's factor dataset implements it.
 */
import type { Rng } from './rng.ts';

export interface GroundTruthData {
  /** e.g. ['agent_x', 'agent_y', 'goal_x', ...]; one name per factor. */
  readonly factorNames: readonly string[];
  /** Number of discrete values of each factor. */
  readonly factorSizes: readonly number[];
  /** [height, width, channels] of one frame, e.g. [64, 64, 3]. */
  readonly observationShape: readonly [number, number, number];
  /** n × numFactors factor indices, row-major, each uniform over 0..size-1. */
  sampleFactors(n: number, rng: Rng): Int32Array;
  /**
   * Renders n frames (n × H×W×3 uint8) from n × numFactors factor indices. Writes into `out` when
   * given (it must have room for n frames). Any randomness not fixed by the factors comes from `rng`.
   */
  render(factors: Int32Array, rng: Rng, out?: Uint8Array): Uint8Array;
}
