/**
 * TimeLimit (gymnasium/wrappers/common.py): sets `truncated = true` on the step that reaches
 * `maxEpisodeSteps`, so a learner bootstraps from the last observation instead of treating the
 * cut as terminal. It also enforces the order of calls: stepping before the first reset, or after
 * an episode ended without a reset, is an error.
 */
import type { Env, ResetArgs, ResetResult, StepResult } from '../env.ts';
import { Wrapper } from './wrapper.ts';

export class TimeLimit<Obs, Act> extends Wrapper<Obs, Act> {
  private elapsed = 0;
  private needsReset = true;

  constructor(
    env: Env<Obs, Act>,
    readonly maxEpisodeSteps: number,
  ) {
    super(env);
    if (!Number.isInteger(maxEpisodeSteps) || maxEpisodeSteps < 1) {
      throw new Error(`TimeLimit needs an integer maxEpisodeSteps >= 1, got ${maxEpisodeSteps}`);
    }
  }

  /** Steps taken in the current episode. */
  get elapsedSteps(): number {
    return this.elapsed;
  }

  override reset(args?: ResetArgs): ResetResult<Obs> {
    this.elapsed = 0;
    this.needsReset = false;
    return this.env.reset(args);
  }

  override step(action: Act): StepResult<Obs> {
    if (this.needsReset) throw new Error('step() called before reset() or after the episode ended; call reset() first');
    const r = this.env.step(action);
    this.elapsed++;
    if (this.elapsed >= this.maxEpisodeSteps) r.truncated = true;
    if (r.terminated || r.truncated) this.needsReset = true;
    return r;
  }
}
