/**
 * Autoreset (gymnasium/wrappers/common.py, 'next-step' mode — the same mode the vector env uses):
 * the step that ends an episode returns its true final observation, reward and flags unchanged;
 * the NEXT call to step ignores its action, resets the env, and returns the reset observation with
 * reward 0, terminated = truncated = false and `info.autoreset = true`. A learner that consumes
 * this stream must drop the transition whose info has `autoreset: true`: it is not a real step.
 */
import type { ResetArgs, ResetResult, StepResult } from '../env.ts';
import { Wrapper } from './wrapper.ts';

export class Autoreset<Obs, Act> extends Wrapper<Obs, Act> {
  private pending = false;

  override reset(args?: ResetArgs): ResetResult<Obs> {
    this.pending = false;
    return this.env.reset(args);
  }

  override step(action: Act): StepResult<Obs> {
    if (this.pending) {
      this.pending = false;
      const r = this.env.reset();
      return { observation: r.observation, reward: 0, terminated: false, truncated: false, info: { ...r.info, autoreset: true } };
    }
    const r = this.env.step(action);
    this.pending = r.terminated || r.truncated;
    return r;
  }
}
