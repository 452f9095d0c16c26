/**
 * `darla bench env`: throughput of the shape world on one core (tensor-free, backend 'none').
 * - env_steps_per_sec: one ShapeWorld-v0 (made through the registry, so with its TimeLimit),
 *   random actions, a 64×64 frame rendered on every step, resets included.
 * - vec_env_steps_per_sec: a 16-env SyncVectorEnv, counted in env steps (16 per batch step).
 * - factor_frames_per_sec: the factor dataset sampling factors and rendering batches of 256 frames
 *   into a reused buffer.
 * Each metric is the median over repeats, after one warm-up repeat.
 */
import '../../envs/builtin.ts';
import { make } from '../../envs/core/registry.ts';
import { Rng } from '../../envs/core/rng.ts';
import { makeVec } from '../../envs/core/sync-vector-env.ts';
import { FRAME_BYTES } from '../../envs/shapeworld/factors.ts';
import { ShapeWorldDataset } from '../../envs/shapeworld/factor-dataset.ts';
import { median, type BenchSuite } from './types.ts';

const NUM_VEC_ENVS = 16;
const FACTOR_BATCH = 256;

/** Runs `body` (which returns how many units it did) warmup + repeats times; returns units/s per repeat. */
function measure(repeats: number, body: () => number): number[] {
  const rates: number[] = [];
  for (let r = 0; r <= repeats; r++) {
    const t0 = performance.now();
    const units = body();
    const seconds = (performance.now() - t0) / 1000;
    if (r > 0) rates.push(units / seconds);
  }
  return rates;
}

export const run: BenchSuite = async ({ quick, seed, log }) => {
  const repeats = quick ? 3 : 7;
  const rng = new Rng(seed);
  const actions = new Int32Array(1 << 16);
  for (let i = 0; i < actions.length; i++) actions[i] = rng.int(5);
  const mask = actions.length - 1;

  const envSteps = quick ? 50_000 : 200_000;
  log(`env: ${repeats} × ${envSteps} steps of one ShapeWorld-v0 (rendering every step)`);
  const env = make<Uint8Array, number>('ShapeWorld-v0');
  env.reset({ seed });
  let k = 0;
  const single = measure(repeats, () => {
    for (let t = 0; t < envSteps; t++) {
      const r = env.step(actions[k++ & mask]);
      if (r.terminated || r.truncated) env.reset();
    }
    return envSteps;
  });
  env.close();

  const batchSteps = quick ? 2_000 : 8_000;
  log(`vec env: ${repeats} × ${batchSteps} batch steps of ${NUM_VEC_ENVS} envs`);
  const vec = makeVec<Uint8Array>('ShapeWorld-v0', NUM_VEC_ENVS);
  vec.reset({ seed });
  const batch = new Int32Array(NUM_VEC_ENVS);
  const vector = measure(repeats, () => {
    for (let t = 0; t < batchSteps; t++) {
      for (let i = 0; i < NUM_VEC_ENVS; i++) batch[i] = actions[k++ & mask];
      vec.step(batch);
    }
    return batchSteps * NUM_VEC_ENVS;
  });
  vec.close();

  const batches = quick ? 100 : 400;
  log(`factor dataset: ${repeats} × ${batches} batches of ${FACTOR_BATCH} frames`);
  const ds = new ShapeWorldDataset('source');
  const frames = new Uint8Array(FACTOR_BATCH * FRAME_BYTES);
  const factorRates = measure(repeats, () => {
    for (let b = 0; b < batches; b++) ds.render(ds.sampleFactors(FACTOR_BATCH, rng), rng, frames);
    return batches * FACTOR_BATCH;
  });

  return {
    backend: 'none',
    metrics: {
      env_steps_per_sec: median(single),
      vec_env_steps_per_sec: median(vector),
      factor_frames_per_sec: median(factorRates),
    },
    details: {
      repeats,
      env_steps_per_repeat: envSteps,
      vec_envs: NUM_VEC_ENVS,
      vec_batch_steps_per_repeat: batchSteps,
      factor_batch: FACTOR_BATCH,
      factor_batches_per_repeat: batches,
      env_steps_per_sec_all: single,
      vec_env_steps_per_sec_all: vector,
      factor_frames_per_sec_all: factorRates,
    },
  };
};
