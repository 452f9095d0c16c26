/**
 * Wrapper and ObservationWrapper bases (gymnasium/core.py): a wrapper is itself an Env that holds
 * an inner env and forwards everything it does not change. Wrappers compose; `unwrapped` reaches
 * the innermost env.
 */
import { Env, type EnvMetadata, type ResetArgs, type ResetResult, type RgbFrame, type StepResult } from '../env.ts';
import type { Space } from '../space.ts';

export class Wrapper<Obs, Act, InnerObs = Obs, InnerAct = Act> extends Env<Obs, Act> {
  override readonly metadata: EnvMetadata;
  private closed = false;

  constructor(readonly env: Env<InnerObs, InnerAct>) {
    super();
    this.metadata = env.metadata;
    this.renderMode = env.renderMode;
    this.specId = env.specId;
  }

  /** The inner env's observation space; wrappers that change observations override this. */
  get observationSpace(): Space<Obs> {
    return this.env.observationSpace as unknown as Space<Obs>;
  }

  /** The inner env's action space; wrappers that change actions override this. */
  get actionSpace(): Space<Act> {
    return this.env.actionSpace as unknown as Space<Act>;
  }

  reset(args?: ResetArgs): ResetResult<Obs> {
    return this.env.reset(args) as unknown as ResetResult<Obs>;
  }

  step(action: Act): StepResult<Obs> {
    return this.env.step(action as unknown as InnerAct) as unknown as StepResult<Obs>;
  }

  render(): RgbFrame | null {
    return this.env.render();
  }

  override close(): void {
    if (this.closed) return;
    this.closed = true;
    this.env.close();
  }

  override get unwrapped(): Env<unknown, unknown> {
    return this.env.unwrapped;
  }

  override toString(): string {
    return `${this.constructor.name}<${String(this.env)}>`;
  }
}

/** A wrapper that transforms every observation (from reset and step) with `observation()`. */
export abstract class ObservationWrapper<Obs, Act, InnerObs> extends Wrapper<Obs, Act, InnerObs, Act> {
  abstract override get observationSpace(): Space<Obs>;
  abstract observation(obs: InnerObs): Obs;

  override reset(args?: ResetArgs): ResetResult<Obs> {
    const r = this.env.reset(args);
    return { observation: this.observation(r.observation), info: r.info };
  }

  override step(action: Act): StepResult<Obs> {
    const r = this.env.step(action);
    return { observation: this.observation(r.observation), reward: r.reward, terminated: r.terminated, truncated: r.truncated, info: r.info };
  }
}
