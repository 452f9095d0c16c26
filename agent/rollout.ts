/**
 * Rollout storage for one PPO update: T steps × N envs, time-major (index t·N + i), holding what
 * the policy saw (front-end rows: μ, features or uint8 frames), what it did, what happened, and
 * whether the transition was real (`valid` = 0 for a vector env's autoreset steps). `values` has
 * T+1 rows: row T is the bootstrap V(observation after the last step).
 */
import type { FeatureArray, Frontend } from './frontends.ts';

export class RolloutBuffer {
  readonly obs: FeatureArray;
  readonly actions: Int32Array;
  readonly logprobs: Float32Array;
  readonly rewards: Float32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly valid: Uint8Array;
  readonly values: Float32Array;

  constructor(
    readonly numSteps: number,
    readonly numEnvs: number,
    private readonly frontend: Frontend,
  ) {
    const n = numSteps * numEnvs;
    this.obs = frontend.allocate(n);
    this.actions = new Int32Array(n);
    this.logprobs = new Float32Array(n);
    this.rewards = new Float32Array(n);
    this.terminated = new Uint8Array(n);
    this.truncated = new Uint8Array(n);
    this.valid = new Uint8Array(n);
    this.values = new Float32Array((numSteps + 1) * numEnvs);
  }

  /** The N observation rows of step t (a view). */
  obsAt(t: number): FeatureArray {
    const size = this.frontend.inputSize;
    return this.obs.subarray(t * this.numEnvs * size, (t + 1) * this.numEnvs * size);
  }

  /** Flat indices of the real transitions (valid = 1). */
  validIndices(): Int32Array {
    let count = 0;
    for (let k = 0; k < this.valid.length; k++) count += this.valid[k];
    const out = new Int32Array(count);
    let j = 0;
    for (let k = 0; k < this.valid.length; k++) if (this.valid[k] === 1) out[j++] = k;
    return out;
  }

  /** Copies the observation rows at flat indices `idx` into one contiguous array. */
  gatherObs(idx: Int32Array): FeatureArray {
    const size = this.frontend.inputSize;
    const out = this.frontend.allocate(idx.length);
    for (let j = 0; j < idx.length; j++) out.set(this.obs.subarray(idx[j] * size, (idx[j] + 1) * size), j * size);
    return out;
  }
}

/** `src[idx[j]]` for each j, as a new Float32Array. */
export function gather(src: Float32Array, idx: Int32Array): Float32Array {
  const out = new Float32Array(idx.length);
  for (let j = 0; j < idx.length; j++) out[j] = src[idx[j]];
  return out;
}

/** `src[idx[j]]` for each j, as a new Int32Array. */
export function gatherInt(src: Int32Array, idx: Int32Array): Int32Array {
  const out = new Int32Array(idx.length);
  for (let j = 0; j < idx.length; j++) out[j] = src[idx[j]];
  return out;
}
