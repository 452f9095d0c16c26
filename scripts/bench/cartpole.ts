/**
 * The PPO sanity anchor (a benchmark script, not a CI test): the same PPO code, with CleanRL's
 * CartPole settings (4 envs × 128 steps, 4 minibatches × 4 epochs, lr 2.5e-4 annealed, 64-64 tanh
 * MLPs, entropy 0.01), must solve our CartPole-v1 port — mean return ≥ 475 — within 500k env
 * steps, as the reference implementations do. Prints one JSON line with the first step at which
 * the held-out evaluation (10 episodes, deterministic policy) averaged ≥ 475, and the first step at
 * which the training episodes (stochastic policy, the last 5 updates' episodes) averaged ≥ 475.
 *
 *   npx tsx scripts/bench/cartpole.ts [--backend wasm|cpu|auto] [--seed 0] [--total-steps 500000]
 *                                     [--eval-every 10] [--run-dir runs/cartpole] [--keep-going]
 */
import * as tf from '@tensorflow/tfjs-core';
import { Command } from 'commander';
import { trainAgent } from '../../agent/ppo.ts';
import { intInRange } from '../cli/options.ts';
import { useBackend } from '../../agent/backend.ts';

const SOLVED = 475;

const program = new Command('cartpole')
  .option('--backend <name>', 'tfjs backend', 'wasm')
  .option('--seed <n>', 'seed', intInRange(0, 2 ** 32 - 1), 0)
  .option('--total-steps <n>', 'env-step budget', intInRange(512), 500_000)
  .option('--eval-every <updates>', 'updates between evaluations', intInRange(1), 10)
  .option('--run-dir <dir>', 'write a run directory (metrics, checkpoints, report)')
  .option('--keep-going', 'train the whole budget even after solving', false)
  .parse();
const opts = program.opts<{ backend: string; seed: number; totalSteps: number; evalEvery: number; runDir?: string; keepGoing: boolean }>();

const backend = await useBackend(opts.backend, (s) => process.stderr.write(`${s}\n`));
let solvedEvalAt: number | null = null;
let solvedTrainAt: number | null = null;
let lastEval = Number.NaN;
const recentTrain: number[] = [];
const stopWhenSolved = new Error('solved');
const t0 = performance.now();
try {
  await trainAgent(
    {
      env: 'CartPole-v1',
      frontend: 'state',
      seed: opts.seed,
      totalSteps: opts.totalSteps,
      numEnvs: 4,
      numSteps: 128,
      lr: 2.5e-4,
      numMinibatches: 4,
      updateEpochs: 4,
      entCoef: 0.01,
      hidden: [64, 64],
      evalInterval: opts.evalEvery,
      evalEpisodes: 10,
      checkpointInterval: 50,
    },
    {
      runDir: opts.runDir,
      fresh: opts.runDir !== undefined,
      onProgress: (p) => {
        if (p.update % 10 === 0) process.stderr.write(`step ${p.globalStep}  train return ${p.episodicReturn.toFixed(1)}  eval ${lastEval.toFixed(1)}  ${Math.round(p.sps)} steps/s\n`);
      },
      log: (s) => process.stderr.write(`${s}\n`),
      onMetrics: (m) => {
        const tr = m['charts/episodic_return'];
        if (typeof tr === 'number') {
          recentTrain.push(tr);
          if (recentTrain.length > 5) recentTrain.shift();
          const mean = recentTrain.reduce((a, b) => a + b, 0) / recentTrain.length;
          if (recentTrain.length === 5 && mean >= SOLVED && solvedTrainAt === null) solvedTrainAt = m.step;
        }
        const ev = m['eval/episodic_return'];
        if (typeof ev === 'number') {
          lastEval = ev;
          if (ev >= SOLVED && solvedEvalAt === null) solvedEvalAt = m.step;
        }
        if (solvedEvalAt !== null && solvedTrainAt !== null && !opts.keepGoing) throw stopWhenSolved;
      },
    },
  );
} catch (err) {
  if (err !== stopWhenSolved) throw err;
}
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(
  JSON.stringify({
    bench: 'cartpole',
    backend: backend,
    seed: opts.seed,
    solved: solvedEvalAt !== null && solvedTrainAt !== null,
    eval_solved_at_step: solvedEvalAt,
    train_solved_at_step: solvedTrainAt,
    last_eval_return: lastEval,
    seconds: Math.round(seconds * 10) / 10,
    tfjs: tf.version_core,
  }) + '\n',
);
