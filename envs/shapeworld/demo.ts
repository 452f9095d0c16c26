/**
 * The world demo (what `darla demo` runs for now): a uniform-random agent plays one variant
 * (the source by default) through the registry (`make('ShapeWorld-v0')`, so with its TimeLimit and
 * RecordEpisodeStatistics), writes a PNG strip of the first episode's frames, and measures rendered
 * steps per second. A reusable function, so the full pipeline can call it too.
 */
import path from 'node:path';
import { make } from '../core/registry.ts';
import { Rng } from '../core/rng.ts';
import { writePng, tileFrames } from '../util/png.ts';
import '../builtin.ts';
import { FRAME_BYTES, FRAME_SIZE } from './factors.ts';
import type { VariantLike } from './variants.ts';
import type { EpisodeStats } from '../core/wrappers/record-episode-statistics.ts';

export interface WorldDemoOptions {
  variant?: VariantLike;
  /** Environment steps to play (default 20,000). */
  steps?: number;
  seed?: number;
  /** Folder for the strip PNG (default runs/demo). */
  outDir?: string;
  /** Frames in the strip (default 16; the first episode's frames, then the next episode's). */
  stripFrames?: number;
  log?: (line: string) => void;
}

export interface WorldDemoResult {
  steps: number;
  stepsPerSec: number;
  episodes: number;
  /** Episodes that reached the goal / hit the hazard / ran out of time. */
  goals: number;
  hazards: number;
  truncations: number;
  meanReturn: number;
  stripFile: string;
}

export function runWorldDemo(opts: WorldDemoOptions = {}): WorldDemoResult {
  const steps = opts.steps ?? 20_000;
  const seed = opts.seed ?? 0;
  const stripFrames = opts.stripFrames ?? 16;
  const outDir = opts.outDir ?? path.join('runs', 'demo');
  const log = opts.log ?? (() => {});
  const env = make<Uint8Array, number>('ShapeWorld-v0', { kwargs: { variant: opts.variant ?? 'source' }, recordEpisodeStatistics: true });
  const rng = new Rng(seed);
  const strip = new Uint8Array(stripFrames * FRAME_BYTES);
  let kept = 0;
  const keep = (obs: Uint8Array) => {
    if (kept < stripFrames) strip.set(obs, FRAME_BYTES * kept++);
  };
  let goals = 0;
  let hazards = 0;
  let truncations = 0;
  let returns = 0;
  let episodes = 0;
  const t0 = performance.now();
  keep(env.reset({ seed }).observation);
  for (let t = 0; t < steps; t++) {
    const r = env.step(rng.int(5));
    keep(r.observation);
    if (r.terminated || r.truncated) {
      episodes++;
      returns += (r.info.episode as EpisodeStats).r;
      if (r.truncated && !r.terminated) truncations++;
      else if (r.reward > 0) goals++;
      else hazards++;
      keep(env.reset().observation);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  env.close();
  const stripFile = path.join(outDir, 'world-strip.png');
  writePng(stripFile, tileFrames(strip, kept, FRAME_SIZE, FRAME_SIZE, Math.min(kept, 8), { scale: 3 }));
  const result: WorldDemoResult = {
    steps,
    stepsPerSec: steps / seconds,
    episodes,
    goals,
    hazards,
    truncations,
    meanReturn: episodes > 0 ? returns / episodes : 0,
    stripFile,
  };
  log(
    `random agent, ${steps} steps in ${seconds.toFixed(2)} s (${Math.round(result.stepsPerSec)} rendered steps/s); ` +
      `${episodes} episodes: ${goals} goal, ${hazards} hazard, ${truncations} time-outs, mean return ${result.meanReturn.toFixed(3)}`,
  );
  log(`frames of the first episodes: ${stripFile}`);
  return result;
}
