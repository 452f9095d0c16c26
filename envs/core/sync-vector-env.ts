/**
 * SyncVectorEnv: N envs stepped one after another in this process, presented as one batch
 * (implements the VectorEnv contract of vector-env.ts, 'next-step' autoreset, exactly as its doc
 * comment says). Observations of all envs live in one contiguous typed array (Uint8Array for uint8
 * Box observations such as the shape world's frames, Float32Array for float32 ones such as
 * CartPole's state), reused between steps.
 */
import type { Env, Info } from './env.ts';
import { make, type MakeOptions } from './registry.ts';
import type { Dtype } from './space.ts';
import { Box, type BoxValue } from './spaces/box.ts';
import { Discrete } from './spaces/discrete.ts';
import type { ObsArray, VectorEnv, VectorResetResult, VectorStepResult } from './vector-env.ts';

export class SyncVectorEnv<O extends ObsArray = ObsArray> implements VectorEnv<O, BoxValue> {
  readonly numEnvs: number;
  readonly singleObservationSpace: Box<Dtype>;
  readonly singleActionSpace: Discrete;
  readonly obsSize: number;
  readonly autoresetMode = 'next-step' as const;
  readonly envs: Env<BoxValue, number>[];

  private readonly observations: O;
  private readonly rewards: Float32Array;
  private readonly terminations: Uint8Array;
  private readonly truncations: Uint8Array;
  private readonly autoreset: Uint8Array;
  /** 1 where the env's last step ended its episode: the next step resets it. */
  private readonly pendingReset: Uint8Array;
  private readonly infos: Info[];
  private started = false;
  private closed = false;

  constructor(envFns: ReadonlyArray<() => Env<BoxValue, number>>) {
    if (envFns.length < 1) throw new Error('SyncVectorEnv needs at least one env');
    this.envs = envFns.map((fn) => fn());
    this.numEnvs = this.envs.length;
    const obsSpace = this.envs[0].observationSpace;
    const actSpace = this.envs[0].actionSpace;
    if (!(obsSpace instanceof Box) || (obsSpace.dtype !== 'uint8' && obsSpace.dtype !== 'float32')) {
      throw new Error(`SyncVectorEnv needs a uint8 or float32 Box observation space, got ${String(obsSpace)}`);
    }
    if (!(actSpace instanceof Discrete)) throw new Error(`SyncVectorEnv needs a Discrete action space, got ${String(actSpace)}`);
    for (const e of this.envs) {
      if (String(e.observationSpace) !== String(obsSpace) || String(e.actionSpace) !== String(actSpace)) {
        throw new Error('SyncVectorEnv: all envs must share observation and action spaces');
      }
    }
    this.singleObservationSpace = obsSpace;
    this.singleActionSpace = actSpace;
    this.obsSize = obsSpace.size;
    const total = this.numEnvs * this.obsSize;
    this.observations = (obsSpace.dtype === 'uint8' ? new Uint8Array(total) : new Float32Array(total)) as O;
    this.rewards = new Float32Array(this.numEnvs);
    this.terminations = new Uint8Array(this.numEnvs);
    this.truncations = new Uint8Array(this.numEnvs);
    this.autoreset = new Uint8Array(this.numEnvs);
    this.pendingReset = new Uint8Array(this.numEnvs);
    this.infos = new Array<Info>(this.numEnvs).fill({});
  }

  /** Resets every env; with a seed, env i gets seed + i. */
  reset(args: { seed?: number; options?: Record<string, unknown> } = {}): VectorResetResult<O> {
    this.assertOpen();
    for (let i = 0; i < this.numEnvs; i++) {
      const r = this.envs[i].reset({ seed: args.seed === undefined ? undefined : args.seed + i, options: args.options });
      this.observations.set(r.observation, i * this.obsSize);
      this.infos[i] = r.info;
    }
    this.pendingReset.fill(0);
    this.started = true;
    return { observations: this.observations, infos: this.infos.slice() };
  }

  step(actions: Int32Array): VectorStepResult<O> {
    this.assertOpen();
    if (!this.started) throw new Error('SyncVectorEnv.step() called before reset()');
    if (actions.length !== this.numEnvs) throw new Error(`SyncVectorEnv.step: expected ${this.numEnvs} actions, got ${actions.length}`);
    for (let i = 0; i < this.numEnvs; i++) {
      const env = this.envs[i];
      if (this.pendingReset[i] === 1) {
        // Next-step autoreset: the action is ignored and the reset observation comes back.
        const r = env.reset();
        this.observations.set(r.observation, i * this.obsSize);
        this.rewards[i] = 0;
        this.terminations[i] = 0;
        this.truncations[i] = 0;
        this.autoreset[i] = 1;
        this.pendingReset[i] = 0;
        this.infos[i] = r.info;
        continue;
      }
      const a = actions[i];
      if (!this.singleActionSpace.contains(a)) throw new Error(`SyncVectorEnv.step: action ${a} for env ${i} is outside ${this.singleActionSpace}`);
      const r = env.step(a);
      this.observations.set(r.observation, i * this.obsSize);
      this.rewards[i] = r.reward;
      this.terminations[i] = r.terminated ? 1 : 0;
      this.truncations[i] = r.truncated ? 1 : 0;
      this.autoreset[i] = 0;
      this.pendingReset[i] = r.terminated || r.truncated ? 1 : 0;
      this.infos[i] = r.info;
    }
    return {
      observations: this.observations,
      rewards: this.rewards,
      terminations: this.terminations,
      truncations: this.truncations,
      autoreset: this.autoreset,
      infos: this.infos.slice(),
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const e of this.envs) e.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('SyncVectorEnv is closed');
  }
}

/** `numEnvs` copies of a registered env (each made with the same options) as one SyncVectorEnv. */
export function makeVec<O extends ObsArray = ObsArray>(id: string, numEnvs: number, options: Omit<MakeOptions, 'autoreset'> = {}): SyncVectorEnv<O> {
  if (!Number.isInteger(numEnvs) || numEnvs < 1) throw new Error(`makeVec needs an integer numEnvs >= 1, got ${numEnvs}`);
  return new SyncVectorEnv<O>(Array.from({ length: numEnvs }, () => () => make<BoxValue, number>(id, options)));
}
