/**
 * A pretraining run, end to end (what `darla pretrain` and the pipeline's "see" stage call):
 * collect frames → train the β-VAE through a tfjs-data pipeline with a progress bar, metrics.jsonl
 * and periodic atomic checkpoints → resume exactly from the last checkpoint when asked → write the
 * pictures and evaluation into the run directory. The data order is a seeded permutation per epoch
 * and the reparameterisation noise is seeded per step, so a resumed run continues bit-exactly.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfd from '@tensorflow/tfjs-data';
import { Rng, mixSeed } from '../../envs/core/rng.ts';
import { createProgress } from '../../envs/util/progress.ts';
import { RunDir, type NewRunRecord } from '../../envs/util/run-dir.ts';
import { variantDefinitions } from '../../envs/shapeworld/variant-arg.ts';
import { CheckpointDir, loadCheckpoint } from '../checkpoint/format.ts';
import { lrAt, type PretrainConfig } from './config.ts';
import { buildPretrainFrames, type PretrainFrames } from './data.ts';
import { framesToTensor } from './frames.ts';
import { fingerprintArrays, VAE_CHECKPOINT_KIND, type VaeCheckpointMeta } from './load.ts';
import { BetaVae } from './model.ts';
import { gaussianKl } from './objectives.ts';
import { daeFeatures, trainDae } from './dae.ts';
import { VaeTrainer, type VaeStepStats } from './trainer.ts';

export interface PretrainOptions {
  runDir: string;
  seed: number;
  resume?: boolean;
  fresh?: boolean;
  /** No progress bar (tests, --json). */
  quiet?: boolean;
  /** Informational lines (what was loaded, where things were written). */
  log?: (line: string) => void;
  /** Called after every step and awaited (the viewer's attach hook; keep it cheap). */
  onStep?: (stats: VaeStepStats, trainer: VaeTrainer, data: PretrainFrames) => void | Promise<void>;
  /** Stop after this many steps in this call (used by tests to simulate a killed run). */
  stopAfter?: number;
  /** Polled between steps; true stops the run after saving a checkpoint (Ctrl-C). */
  shouldStop?: () => boolean;
  /** The backend name, recorded in config.json. */
  backend?: string;
}

export interface PretrainResult {
  runDir: RunDir;
  model: BetaVae;
  trainer: VaeTrainer;
  data: PretrainFrames;
  /** Steps completed (== config.steps when the run finished). */
  step: number;
  finished: boolean;
  /** KL per latent on the held-out frames. */
  klPerDim: number[];
  imgPerSec: number;
  /** Frees the model, the trainer and the DAE (if any), and unlocks the run directory. */
  release: () => void;
}

const FRAME_SIZE = 64 * 64 * 3;

/** Batches of frame indices for an epoch: a permutation seeded by (seed, epoch). */
function epochOrder(seed: number, epoch: number, count: number): Int32Array {
  return new Rng(mixSeed(seed, epoch, 0xda7a)).permutation(count);
}

/**
 * A tfjs-data pipeline over the training frames starting at `startStep`: batches of `batchSize`
 * uint8 frames, one seeded permutation per epoch, prefetched. Batches stay plain bytes until the
 * step converts them, so frames the pipeline has prefetched past the end of a run hold no tensors.
 */
export function trainingDataset(data: PretrainFrames, batchSize: number, seed: number, startStep: number): tfd.Dataset<Uint8Array> {
  const n = data.count;
  const stepsPerEpoch = Math.floor(n / batchSize);
  return tfd
    .generator(function* () {
      let step = startStep;
      let epoch = -1;
      let order: Int32Array = new Int32Array(0);
      for (;;) {
        // A fresh buffer per batch: prefetch holds several at once.
        const batch = new Uint8Array(batchSize * FRAME_SIZE);
        const e = Math.floor(step / stepsPerEpoch);
        if (e !== epoch) {
          epoch = e;
          order = epochOrder(seed, epoch, n);
        }
        const offset = (step % stepsPerEpoch) * batchSize;
        for (let i = 0; i < batchSize; i++) {
          const idx = order[offset + i];
          batch.set(data.frames.subarray(idx * FRAME_SIZE, (idx + 1) * FRAME_SIZE), i * FRAME_SIZE);
        }
        step += 1;
        yield batch;
      }
    })
    .prefetch(2) as tfd.Dataset<Uint8Array>;
}

/** KL per latent averaged over the held-out frames. */
export async function heldOutKl(model: BetaVae, data: PretrainFrames, maxFrames = 1024): Promise<number[]> {
  const n = Math.min(maxFrames, data.evalCount);
  const L = model.arch.latents;
  const sums = new Float64Array(L);
  for (let start = 0; start < n; start += 256) {
    const m = Math.min(256, n - start);
    const kl = tf.tidy(() => {
      const offset = start * FRAME_SIZE;
      const x = framesToTensor(data.evalFrames.subarray(offset, offset + m * FRAME_SIZE), m);
      const { mu, logvar } = model.encode(x);
      return tf.sum(gaussianKl(mu, logvar), 0);
    });
    const values = await kl.data();
    kl.dispose();
    for (let j = 0; j < L; j++) sums[j] += values[j];
  }
  return Array.from(sums, (s) => s / Math.max(1, n));
}

function checkpointMeta(config: PretrainConfig, trainer: VaeTrainer, seed: number, klPerDim: number[] | undefined, fingerprint: string): VaeCheckpointMeta {
  return {
    kind: VAE_CHECKPOINT_KIND,
    arch: config.arch,
    step: trainer.step,
    objective: config.objective,
    // Names and definitions, never a file path or inline JSON: what transfer compares targets with.
    ...seenRecord(config.data.variants),
    optimizerStep: trainer.optimizer.t,
    seed,
    klPerDim,
    fingerprint,
  };
}

/** The variants a model sees, by name, with their definitions (a file or inline JSON becomes its variant's name). */
function seenRecord(variants: readonly string[]): Pick<VaeCheckpointMeta, 'seenVariants' | 'seenDefinitions'> {
  const defs = variantDefinitions(variants);
  return { seenVariants: Object.keys(defs), seenDefinitions: defs };
}

/** Saves the trainer's state as the run's newest checkpoint. */
export function saveVaeCheckpoint(ckpts: CheckpointDir, config: PretrainConfig, trainer: VaeTrainer, seed: number, klPerDim?: number[]): string {
  const { arrays } = trainer.stateArrays();
  const meta = checkpointMeta(config, trainer, seed, klPerDim, fingerprintArrays(arrays));
  return ckpts.save({ meta: meta as unknown as VaeCheckpointMeta & { [k: string]: unknown }, arrays });
}

/** What a pretraining run records in config.json: config, seed and the full definition of every variant it sees. */
export function pretrainRunRecord(config: PretrainConfig, seed: number): NewRunRecord {
  return { kind: 'pretrain', seed, config, variants: variantDefinitions(config.data.variants) };
}

export async function pretrain(config: PretrainConfig, opts: PretrainOptions): Promise<PretrainResult> {
  const log = opts.log ?? (() => {});
  const run = new RunDir(opts.runDir);
  run.open({ ...pretrainRunRecord(config, opts.seed), backend: opts.backend }, { resume: opts.resume, fresh: opts.fresh });
  if (opts.backend) run.updateRecord({ backend: opts.backend });

  const data = buildPretrainFrames(config.data, opts.seed, { log });
  // DARLA's β-VAE_DAE: the denoising autoencoder J is trained first (resumable, in dae/).
  let dae: BetaVae | undefined;
  if (config.target.kind === 'dae') {
    const trained = await trainDae(data.frames, data.count, config.arch, config.target, {
      dir: path.join(run.root, 'dae'),
      seed: opts.seed,
      batchSize: config.batchSize,
      lr: config.lr,
      quiet: opts.quiet,
      log,
      shouldStop: opts.shouldStop,
    });
    dae = trained.dae;
    if (!trained.finished) {
      dae.dispose();
      const model = new BetaVae(config.arch, mixSeed(opts.seed, 0x1a17));
      const trainer = new VaeTrainer(model, config.objective, { lr: config.lr, seed: opts.seed });
      return { runDir: run, model, trainer, data, step: 0, finished: false, klPerDim: [], imgPerSec: 0, release: () => (model.dispose(), trainer.dispose(), run.release()) };
    }
  }
  const frozenDae = dae;
  const perceptual = frozenDae === undefined ? undefined : { features: (x: tf.Tensor4D) => daeFeatures(frozenDae, x) };
  const model = new BetaVae(config.arch, mixSeed(opts.seed, 0x1a17));
  const trainer = new VaeTrainer(model, config.objective, { lr: config.lr, lrAt: (step) => lrAt(config, step), seed: opts.seed, perceptual, blur: config.blur });
  const ckpts = new CheckpointDir(run.checkpointsDir);

  const latest = opts.resume ? ckpts.latest() : null;
  if (latest !== null) {
    const ckpt = loadCheckpoint(latest, { kind: VAE_CHECKPOINT_KIND, arch: config.arch });
    const meta = ckpt.meta as unknown as VaeCheckpointMeta;
    trainer.restore(ckpt.arrays, meta.optimizerStep, meta.step, latest);
    run.truncateMetricsAfter(meta.step);
    log(`resuming ${run.root} from step ${meta.step} (${latest})`);
  } else if (opts.resume) {
    run.truncateMetricsAfter(0);
  }

  const total = config.steps;
  const startStep = trainer.step;
  const stopAt = Math.min(total, opts.stopAfter !== undefined ? startStep + opts.stopAfter : total);
  const progress = createProgress({ label: 'pretrain', total, start: startStep, fields: ['loss', 'recon', 'KL', 'C', 'ips'], quiet: opts.quiet });
  const iterator = await trainingDataset(data, config.batchSize, opts.seed, startStep).iterator();
  const t0 = performance.now();
  let windowStart = performance.now();
  let windowSteps = 0;
  let imgPerSec = 0;
  try {
    while (trainer.step < stopAt && !(opts.shouldStop?.() ?? false)) {
      const next = await iterator.next();
      const x = framesToTensor(next.value as Uint8Array, config.batchSize);
      let stats: VaeStepStats;
      try {
        stats = await trainer.trainStep(x);
      } finally {
        x.dispose();
      }
      windowSteps += 1;
      const now = performance.now();
      if (now - windowStart > 2000 || trainer.step === stopAt) {
        imgPerSec = (windowSteps * config.batchSize * 1000) / (now - windowStart);
        windowStart = now;
        windowSteps = 0;
      }
      await opts.onStep?.(stats, trainer, data);
      // Let timers and sockets run (a viewer attached in-process, progress redraws, Ctrl-C).
      await new Promise<void>((resolve) => setImmediate(resolve));
      progress.update(trainer.step, {
        loss: stats.loss.toFixed(1),
        recon: stats.recon.toFixed(1),
        KL: stats.kl.toFixed(2),
        C: stats.capacity !== undefined ? stats.capacity.toFixed(1) : '-',
        ips: imgPerSec.toFixed(0),
      });
      if (trainer.step % config.logEvery === 0 || trainer.step === total) {
        run.logMetrics({
          step: trainer.step,
          loss: stats.loss,
          recon: stats.recon,
          kl: stats.kl,
          kl_per_dim: stats.klPerDim,
          capacity: stats.capacity,
          beta: stats.beta,
          tc: stats.tc,
          lr: stats.lr ?? config.lr,
          img_per_sec: imgPerSec,
        });
      }
      if (trainer.step % config.checkpointEvery === 0 && trainer.step < total) saveVaeCheckpoint(ckpts, config, trainer, opts.seed);
    }
  } finally {
    progress.stop();
  }
  const elapsed = (performance.now() - t0) / 1000;
  const stepsRun = trainer.step - startStep;
  const meanImgPerSec = elapsed > 0 ? (stepsRun * config.batchSize) / elapsed : 0;
  const finished = trainer.step >= total;
  const klPerDim = await heldOutKl(model, data);
  if (stepsRun > 0 || finished) saveVaeCheckpoint(ckpts, config, trainer, opts.seed, klPerDim);
  log(`pretrain: ${stepsRun} steps in ${elapsed.toFixed(1)} s (${meanImgPerSec.toFixed(0)} img/s); step ${trainer.step}/${total}`);
  const release = () => {
    model.dispose();
    trainer.dispose();
    frozenDae?.dispose();
    run.release();
  };
  return { runDir: run, model, trainer, data, step: trainer.step, finished, klPerDim, imgPerSec: meanImgPerSec, release };
}
