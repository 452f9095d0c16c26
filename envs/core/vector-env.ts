/**
 * The vector-env contract: N copies of one env stepped as one batch, in one process, with
 * observations in one contiguous typed array (env i's observation at [i*obsSize, (i+1)*obsSize)).
 *
 * Autoreset mode 'next-step' (Gymnasium 1.x's default): when env i terminates or truncates at step t,
 * step t returns its true last observation, reward and flags; at step t+1 the action for env i is
 * ignored, env i is reset, and the reset observation comes back with reward 0, terminated = truncated
 * = false and `autoreset[i] = 1`. A learner must mask out transitions whose `autoreset` is 1 (they
 * are not real transitions). Because step t returns the true final observation, a learner bootstraps
 * a truncated episode from V(observation at t).
 */
import type { Info } from './env.ts';
import type { Space } from './space.ts';

export type ObsArray = Uint8Array | Float32Array;

export interface VectorResetResult<O extends ObsArray> {
  observations: O;
  infos: Info[];
}

export interface VectorStepResult<O extends ObsArray> {
  /** numEnvs × obsSize, contiguous. Reused between steps: copy what you keep. */
  observations: O;
  rewards: Float32Array;
  terminations: Uint8Array;
  truncations: Uint8Array;
  /** 1 where this step was an autoreset (the action was ignored; mask this transition out). */
  autoreset: Uint8Array;
  infos: Info[];
}

export interface VectorEnv<O extends ObsArray, SingleObs = unknown> {
  readonly numEnvs: number;
  readonly singleObservationSpace: Space<SingleObs>;
  readonly singleActionSpace: Space<number>;
  /** Elements in one env's observation (e.g. 64*64*3). */
  readonly obsSize: number;
  readonly autoresetMode: 'next-step';
  /** Seeds env i with seed + i when a seed is given (Gymnasium's convention). */
  reset(args?: { seed?: number; options?: Record<string, unknown> }): VectorResetResult<O>;
  /** One action per env. */
  step(actions: Int32Array): VectorStepResult<O>;
  close(): void;
}
