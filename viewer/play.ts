/**
 * A play session: runs an agent (or a random policy) in an env, one step per tick at the requested
 * speed, encoding each frame with the latent model and publishing frame, reconstruction, latents,
 * action probabilities and rewards to the viewer server. It is the server's `PlayController`, so
 * the page can pause, resume, step once, change speed, switch variant and reset the episode. Every
 * change of env state runs on one serial queue, so a control never lands in the middle of a step.
 */
import type { Env, Info } from '../envs/core/env.ts';
import { UserError } from '../envs/core/errors.ts';
import { mixSeed } from '../envs/core/rng.ts';
import type { PlayState } from './protocol.ts';
import type { PlayController, ViewerServer } from './server.ts';
import { defaultActionNames, randomPolicy, type EnvFactory, type LatentModel, type PolicyModel, type Snapshot } from './source.ts';

export interface PlayOptions {
  makeEnv: EnvFactory;
  /** The variants the page may switch between (source and targets). */
  variants: readonly string[];
  /** The variant to start in (one of `variants`). */
  variant: string;
  latentModel?: LatentModel;
  /** The acting policy; a seeded uniformly random one when absent. */
  policy?: PolicyModel;
  /** Names for the actions when there is no policy to name them (defaults a0, a1, …). */
  actionNames?: string[];
  seed?: number;
  /** Environment steps per second (0.5 … 240); default 15. */
  fps?: number;
  /** Start paused (the page's resume or step button starts it). */
  paused?: boolean;
  log?: (line: string) => void;
}

/** The part of ViewerServer a session publishes through (tests may pass a fake). */
export type Publisher = Pick<ViewerServer, 'publish' | 'publishEpisode' | 'broadcastState' | 'setMeta' | 'clientCount'>;

export const MIN_FPS = 0.5;
export const MAX_FPS = 240;

export class PlaySession implements PlayController {
  private env: Env<unknown, number> | null = null;
  private variant: string;
  private variantSwitches = 0;
  private policy: PolicyModel | null;
  private publisher: Publisher | null = null;
  private fps: number;
  private paused: boolean;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private nextAt = 0;
  private queue: Promise<void> = Promise.resolve();
  private frame = new Uint8Array(0);
  private width = 0;
  private height = 0;
  private info: Info = {};
  private episode = 0;
  private t = 0;
  private ret = 0;
  /** Total environment steps taken in this session. */
  steps = 0;
  private readonly seed: number;
  private readonly log: (line: string) => void;

  constructor(private readonly opts: PlayOptions) {
    if (opts.variants.length === 0) throw new UserError('a play session needs at least one variant', 'variants');
    this.checkVariant(opts.variant);
    this.variant = opts.variant;
    this.seed = opts.seed ?? 0;
    this.fps = clampFps(opts.fps ?? 15);
    this.paused = opts.paused ?? false;
    this.log = opts.log ?? ((line) => process.stderr.write(`${line}\n`));
    // Without a policy or action names, the random policy is made from the first env's action space.
    this.policy = opts.policy ?? (opts.actionNames !== undefined ? randomPolicy(opts.actionNames, mixSeed(this.seed, 0x9011c7)) : null);
  }

  /** Makes the first env, publishes the first frame and starts ticking (unless paused). */
  async start(publisher: Publisher): Promise<void> {
    this.publisher = publisher;
    await this.serial(async () => {
      this.openEnv(this.variant);
      publisher.setMeta({
        mode: 'play',
        variants: [...this.opts.variants],
        actionNames: this.requirePolicy().actionNames,
        frame: { width: this.width, height: this.height },
      });
      await this.showCurrent();
    });
    this.broadcastState();
    this.schedule();
  }

  /** Stops ticking and closes the env. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.queue;
    this.env?.close();
    this.env = null;
  }

  state(): PlayState {
    return { paused: this.paused, fps: this.fps, variant: this.variant, episode: this.episode, t: this.t };
  }

  pause(): void {
    this.paused = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.broadcastState();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.nextAt = performance.now();
    this.broadcastState();
    this.schedule();
  }

  stepOnce(): void {
    if (!this.paused) this.pause();
    void this.serial(() => this.tick(true)).then(() => this.broadcastState());
  }

  setSpeed(fps: number): void {
    this.fps = clampFps(fps);
    this.nextAt = performance.now();
    this.broadcastState();
  }

  setVariant(name: string): void {
    this.checkVariant(name);
    void this.serial(async () => {
      this.openEnv(name);
      await this.showCurrent();
    }).then(() => this.broadcastState());
  }

  resetEpisode(): void {
    void this.serial(async () => {
      this.startEpisode();
      await this.showCurrent();
    }).then(() => this.broadcastState());
  }

  /** Runs `fn` after everything queued before it; errors are logged and pause the session. */
  private serial(fn: () => Promise<void>): Promise<void> {
    const run = this.queue.then(async () => {
      if (this.stopped) return;
      try {
        await fn();
      } catch (err) {
        this.log(`viewer: play session error (paused): ${(err as Error).stack ?? String(err)}`);
        this.paused = true;
      }
    });
    this.queue = run;
    return run;
  }

  private schedule(): void {
    if (this.stopped || this.paused || this.timer !== null) return;
    const interval = 1000 / this.fps;
    const now = performance.now();
    // Catch up at most one step; a slow model lowers the rate instead of bursting.
    if (this.nextAt < now - interval) this.nextAt = now;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.nextAt += interval;
      void this.serial(() => this.tick(false)).then(() => this.schedule());
    }, Math.max(0, this.nextAt - now));
  }

  private checkVariant(name: string): void {
    if (!this.opts.variants.includes(name)) {
      throw new UserError(`unknown variant '${name}'; this session plays: ${this.opts.variants.join(', ')}`, 'variant');
    }
  }

  private openEnv(name: string): void {
    this.env?.close();
    this.env = null;
    const env = this.opts.makeEnv(name);
    this.env = env;
    this.variant = name;
    const n = (env.actionSpace as { n?: unknown }).n;
    if (this.policy === null) {
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
        throw new UserError(`env for variant '${name}' has no Discrete action space; pass a policy or actionNames`, 'actionNames');
      }
      this.policy = randomPolicy(defaultActionNames(n), mixSeed(this.seed, 0x9011c7));
    }
    this.startEpisode(mixSeed(this.seed, this.opts.variants.indexOf(name), this.variantSwitches++));
  }

  private startEpisode(seed?: number): void {
    const env = this.requireEnv();
    const { observation, info } = env.reset(seed !== undefined ? { seed } : {});
    this.takeFrame(env, observation);
    this.info = info;
    this.episode++;
    this.t = 0;
    this.ret = 0;
    this.publisher?.publishEpisode({ event: 'start', episode: this.episode, variant: this.variant });
  }

  private requirePolicy(): PolicyModel {
    if (this.policy === null) throw new Error('play session has no policy before its first env');
    return this.policy;
  }

  private requireEnv(): Env<unknown, number> {
    if (this.env === null) throw new Error('play session has no env (stopped?)');
    return this.env;
  }

  /** Copies the current frame: the env's rgb_array render, or the observation when it is one. */
  private takeFrame(env: Env<unknown, number>, observation: unknown): void {
    const r = env.render();
    if (r !== null) {
      this.width = r.width;
      this.height = r.height;
      this.frame = r.data.slice();
      return;
    }
    const shape = env.observationSpace.shape;
    if (observation instanceof Uint8Array && shape !== undefined && shape.length === 3 && shape[2] === 3) {
      this.height = shape[0];
      this.width = shape[1];
      this.frame = observation.slice();
      return;
    }
    throw new UserError('the env renders no rgb_array frame and its observation is not an H×W×3 image; make it with renderMode "rgb_array"', 'renderMode');
  }

  /** Publishes the current frame (and its latents) without stepping: after a reset or a variant switch. */
  private async showCurrent(): Promise<void> {
    const snap = await this.observe();
    this.publisher?.publish({ ...snap, episode: this.episode, t: this.t }, { force: true });
  }

  private async observe(): Promise<Snapshot> {
    const snap: Snapshot = { step: this.steps, frame: this.frame, width: this.width, height: this.height };
    const model = this.opts.latentModel;
    if (model !== undefined && (this.publisher?.clientCount ?? 0) > 0) {
      const { mu, sigma } = await model.encode(this.frame, 1);
      snap.mu = mu;
      snap.sigma = sigma;
      snap.kl = model.klPerLatent;
      snap.recon = await model.decode(mu, 1);
    }
    return snap;
  }

  /** One environment step: encode, act, step, publish; a finished episode starts the next one. */
  private async tick(force: boolean): Promise<void> {
    const env = this.requireEnv();
    const snap = await this.observe();
    let mu = snap.mu;
    if (mu === undefined && this.opts.latentModel !== undefined && this.opts.policy !== undefined) {
      mu = (await this.opts.latentModel.encode(this.frame, 1)).mu; // the policy acts on μ even when nobody watches
    }
    const { action, probs } = await this.requirePolicy().act(this.frame, this.info, mu);
    const res = env.step(action);
    this.steps++;
    this.t++;
    this.ret += res.reward;
    this.publisher?.publish(
      { ...snap, episode: this.episode, t: this.t, action, probs, reward: res.reward, return: this.ret },
      { force },
    );
    if (res.terminated || res.truncated) {
      this.publisher?.publishEpisode({
        event: 'end',
        episode: this.episode,
        variant: this.variant,
        return: this.ret,
        length: this.t,
        terminated: res.terminated,
      });
      this.startEpisode();
      if (force) await this.showCurrent();
    } else {
      this.takeFrame(env, res.observation);
      this.info = res.info;
    }
  }

  private broadcastState(): void {
    if (!this.stopped) this.publisher?.broadcastState(this.state());
  }
}

function clampFps(fps: number): number {
  if (!Number.isFinite(fps)) throw new UserError(`speed must be a number of steps per second, got ${fps}`, 'fps');
  return Math.max(MIN_FPS, Math.min(MAX_FPS, fps));
}
