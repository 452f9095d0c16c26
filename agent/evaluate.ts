/**
 * Evaluating a frozen policy: play `episodes` whole episodes of a task on a vector env seeded with
 * `seed` (env i resets with seed + i), with the deterministic (argmax) or stochastic policy, and
 * return every episode's return, length and success. Each env plays a fixed quota of episodes, so
 * short episodes are not over-counted. Nothing is trained; the encoder and policy stay frozen.
 */
import { mixSeed, Rng } from '../envs/core/rng.ts';
import type { EpisodeStats } from '../envs/core/wrappers/record-episode-statistics.ts';
import type { Policy } from './policy.ts';
import { episodeSuccess, makeTaskEnvs, type Task } from './tasks.ts';

export interface EvalOptions {
  episodes: number;
  seed: number;
  deterministic: boolean;
  /** Parallel envs (default min(episodes, 16)). */
  numEnvs?: number;
}

export interface EvalResult {
  returns: number[];
  lengths: number[];
  /** Per episode; null where the env has no notion of success. */
  successes: (boolean | null)[];
  meanReturn: number;
  meanLength: number;
  /** Fraction of successful episodes; null when the env has no notion of success. */
  successRate: number | null;
  /** Env steps played. */
  steps: number;
}

export function evaluatePolicy(policy: Policy, task: Task, opts: EvalOptions): EvalResult {
  if (!Number.isInteger(opts.episodes) || opts.episodes < 1) throw new Error(`evaluatePolicy: episodes must be an integer >= 1, got ${opts.episodes}`);
  const n = Math.min(opts.numEnvs ?? 16, opts.episodes);
  const quota = Array.from({ length: n }, (_, i) => Math.floor(opts.episodes / n) + (i < opts.episodes % n ? 1 : 0));
  const played = new Array<number>(n).fill(0);
  const envs = makeTaskEnvs(task, n);
  const rng = new Rng(mixSeed(opts.seed, 0xe7a1));
  const rows = policy.frontend.allocate(n);
  const returns: number[] = [];
  const lengths: number[] = [];
  const successes: (boolean | null)[] = [];
  let steps = 0;
  try {
    const reset = envs.reset({ seed: opts.seed });
    policy.frontend.observe(reset.observations, reset.infos, n, rows);
    let remaining = opts.episodes;
    while (remaining > 0) {
      const { actions } = policy.act(rows, n, rng, opts.deterministic);
      const r = envs.step(actions);
      steps += n;
      for (let i = 0; i < n; i++) {
        if (r.autoreset[i] === 1 || (r.terminations[i] === 0 && r.truncations[i] === 0) || played[i] >= quota[i]) continue;
        const ep = r.infos[i].episode as EpisodeStats;
        returns.push(ep.r);
        lengths.push(ep.l);
        successes.push(episodeSuccess(task, r.rewards[i], r.terminations[i] === 1, r.infos[i]));
        played[i]++;
        remaining--;
      }
      policy.frontend.observe(r.observations, r.infos, n, rows);
    }
  } finally {
    envs.close();
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const known = successes.filter((s): s is boolean => s !== null);
  return {
    returns,
    lengths,
    successes,
    meanReturn: mean(returns),
    meanLength: mean(lengths),
    successRate: known.length === 0 ? null : known.filter(Boolean).length / known.length,
    steps,
  };
}
