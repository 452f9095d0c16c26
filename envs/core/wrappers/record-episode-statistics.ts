/**
 * RecordEpisodeStatistics (gymnasium/wrappers/common.py): when an episode ends (terminated or
 * truncated), adds `info.episode = {r, l, t}` — the episode's summed reward, its length in steps
 * and its wall-clock duration in seconds — and keeps the last `bufferLength` of each in queues.
 */
import type { Env, ResetArgs, ResetResult, StepResult } from '../env.ts';
import { Wrapper } from './wrapper.ts';

export interface EpisodeStats {
  /** Sum of rewards. */
  r: number;
  /** Number of steps. */
  l: number;
  /** Seconds from reset to the last step, 6 decimals. */
  t: number;
}

export class RecordEpisodeStatistics<Obs, Act> extends Wrapper<Obs, Act> {
  readonly returnQueue: number[] = [];
  readonly lengthQueue: number[] = [];
  readonly timeQueue: number[] = [];
  private episodeReturn = 0;
  private episodeLength = 0;
  private startTime = 0;

  constructor(
    env: Env<Obs, Act>,
    readonly bufferLength = 100,
  ) {
    super(env);
  }

  override reset(args?: ResetArgs): ResetResult<Obs> {
    const r = this.env.reset(args);
    this.episodeReturn = 0;
    this.episodeLength = 0;
    this.startTime = performance.now();
    return r;
  }

  override step(action: Act): StepResult<Obs> {
    const r = this.env.step(action);
    this.episodeReturn += r.reward;
    this.episodeLength++;
    if (r.terminated || r.truncated) {
      const t = Math.round((performance.now() - this.startTime) * 1000) / 1e6;
      const episode: EpisodeStats = { r: this.episodeReturn, l: this.episodeLength, t };
      r.info = { ...r.info, episode };
      push(this.returnQueue, episode.r, this.bufferLength);
      push(this.lengthQueue, episode.l, this.bufferLength);
      push(this.timeQueue, episode.t, this.bufferLength);
    }
    return r;
  }
}

function push(q: number[], v: number, max: number): void {
  q.push(v);
  if (q.length > max) q.shift();
}
