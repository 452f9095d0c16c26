/**
 * The environment contract, Gymnasium semantics exactly (gymnasium/core.py):
 * - `reset({seed, options})` starts an episode and returns `{observation, info}`. Passing a seed
 *   reseeds the env's generator, so the same seed gives the same episode; no seed continues the
 *   current stream.
 * - `step(action)` returns `{observation, reward, terminated, truncated, info}`. `terminated` means
 *   the MDP reached a terminal state (no bootstrap: the value of what follows is 0); `truncated`
 *   means the episode was cut short from outside the MDP (a time limit), so a learner bootstraps
 *   from V(observation). Calling step after either, without reset, is an error.
 * - `render()` with `renderMode: 'rgb_array'` returns the current frame as uint8 H×W×3.
 * - `close()` releases resources and may be called more than once.
 */
import type { Space } from './space.ts';

/** Extra per-step information. Keys the project uses: `factors` (the world's ground truth), `episode` (RecordEpisodeStatistics). */
export type Info = Record<string, unknown>;

export interface ResetArgs {
  seed?: number;
  options?: Record<string, unknown>;
}

export interface ResetResult<Obs> {
  observation: Obs;
  info: Info;
}

export interface StepResult<Obs> {
  observation: Obs;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: Info;
}

export type RenderMode = 'rgb_array';

export interface EnvMetadata {
  renderModes: readonly RenderMode[];
  renderFps: number;
}

/** An 8-bit RGB frame, H×W×3, row-major (the `rgb_array` render result). */
export interface RgbFrame {
  height: number;
  width: number;
  data: Uint8Array;
}

export abstract class Env<Obs, Act> {
  abstract readonly observationSpace: Space<Obs>;
  abstract readonly actionSpace: Space<Act>;
  readonly metadata: EnvMetadata = { renderModes: ['rgb_array'], renderFps: 15 };
  renderMode: RenderMode | null = null;
  /** The registry id this env was made from, when it came from `make`. */
  specId: string | null = null;

  abstract reset(args?: ResetArgs): ResetResult<Obs>;
  abstract step(action: Act): StepResult<Obs>;
  abstract render(): RgbFrame | null;
  close(): void {}

  /** The innermost env, through any wrappers. */
  get unwrapped(): Env<unknown, unknown> {
    return this as Env<unknown, unknown>;
  }
}
