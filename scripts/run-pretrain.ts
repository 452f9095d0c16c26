/**
 * The work behind `darla pretrain` and `darla evaluate-vision` (kept out of the command module so
 * `darla --help` never loads tfjs): choose the backend, refuse a run directory whose checkpoint has
 * another architecture, train, evaluate, and print where everything went.
 */
import path from 'node:path';
import { UserError } from '../envs/core/errors.ts';
import { RunDir, stableStringify } from '../envs/util/run-dir.ts';
import { installInterruptHandlers, stopRequested } from '../envs/util/interrupt.ts';
import type { BackendChoice } from './cli/options.ts';
import type { PretrainConfig } from '../vision/vae/config.ts';
import { migPerFactorText } from '../vision/report/mig-per-factor.ts';

export interface RunPretrainOptions {
  runDir: string;
  resume: boolean;
  fresh: boolean;
  evaluate: boolean;
  quiet: boolean;
  backend: BackendChoice;
  seed: number;
  /** Stream the training into a live viewer on this port (attach mode). */
  viewPort?: number;
  log?: (line: string) => void;
}

const stderr = (line: string) => process.stderr.write(`${line}\n`);

/** Refuses to resume a run whose recorded architecture differs from the requested one. */
export function checkResumable(runDir: string, config: PretrainConfig): void {
  const run = new RunDir(runDir);
  if (!run.exists()) return;
  run.assertNotShipped();
  const existing = run.readRecord();
  const old = (existing.config as Partial<PretrainConfig> | undefined)?.arch;
  if (existing.kind === 'pretrain' && old !== undefined && stableStringify(old) !== stableStringify(config.arch)) {
    const diffs = Object.keys({ ...old, ...config.arch })
      .filter((k) => stableStringify((old as Record<string, unknown>)[k]) !== stableStringify((config.arch as Record<string, unknown>)[k]))
      .map((k) => `${k}: checkpoint ${stableStringify((old as Record<string, unknown>)[k])}, requested ${stableStringify((config.arch as Record<string, unknown>)[k])}`);
    throw new UserError(`the checkpoint in ${run.root} is from a different architecture (${diffs.join('; ')}); nothing was overwritten. Use another --run-dir, or --fresh to discard it`, '--run-dir');
  }
}

export interface PretrainSummary {
  runDir: string;
  backend: string;
  steps: number;
  finished: boolean;
  /** Mean training images per second in this session. */
  imgPerSec: number;
  klPerDim: number[];
  scores: Record<string, number> | null;
}

export async function runPretrain(config: PretrainConfig, opts: RunPretrainOptions): Promise<PretrainSummary> {
  const log = opts.log ?? stderr;
  // The run directory is checked before any work (pretrain() opens it with the same record).
  if (opts.resume) checkResumable(opts.runDir, config);
  const { pretrain, pretrainRunRecord } = await import('../vision/vae/pretrain.ts');
  new RunDir(opts.runDir).check(pretrainRunRecord(config, opts.seed), { resume: opts.resume, fresh: opts.fresh });
  const { selectBackend } = await import('../vision/compute/backend.ts');
  const backend = await selectBackend(opts.backend, { log });
  const { evaluateVisionRun } = await import('../vision/vae/evaluate.ts');
  installInterruptHandlers(log);
  const viewer = opts.viewPort === undefined ? null : await import('../viewer/train-feed.ts').then((m) => m.pretrainFeed(opts.viewPort!, log));
  let result;
  try {
    result = await pretrain(config, { runDir: opts.runDir, seed: opts.seed, resume: opts.resume, fresh: opts.fresh, quiet: opts.quiet, log, backend: backend.name, shouldStop: stopRequested, onStep: viewer?.onStep });
  } finally {
    await viewer?.close();
  }
  const summary: PretrainSummary = { runDir: result.runDir.root, backend: backend.name, steps: result.step, finished: result.finished, imgPerSec: result.imgPerSec, klPerDim: result.klPerDim, scores: null };
  if (!result.finished) {
    log(`stopped at step ${result.step}/${config.steps}; run again with --resume to continue`);
    result.release();
    return summary;
  }
  if (opts.evaluate) {
    log('evaluating disentanglement on the source factor dataset…');
    const ev = await evaluateVisionRun(result.runDir, result.model, {
      scale: config.metricsScale,
      seed: opts.seed,
      log,
      title: `β-VAE (${describeObjective(config)})`,
      imgPerSec: result.imgPerSec,
      steps: config.steps,
      objective: describeObjective(config),
      heldOutFrames: { frames: result.data.evalFrames, n: result.data.evalCount },
    });
    log(headlineScores(ev.scores));
    const perFactor = migPerFactorText(ev.scores, ev.taskFactors);
    if (perFactor !== '') log(perFactor);
    log(`wrote ${path.relative(process.cwd(), result.runDir.root)}/{scores.json,vision.md,images/traversals.png,images/reconstructions.png}`);
    summary.scores = ev.scores;
  }
  result.release();
  return summary;
}

export async function runEvaluateVision(runPath: string, opts: { variant: string; scale: number; metrics?: string[]; backend: BackendChoice; seed: number; log?: (line: string) => void }) {
  const log = opts.log ?? stderr;
  const run = new RunDir(runPath);
  const record = run.readRecord();
  if (record.kind !== 'pretrain') throw new UserError(`${run.root} is a ${record.kind} run, not a pretraining run`, 'run');
  const { parseVariantArg } = await import('../envs/shapeworld/variant-arg.ts');
  const variant = parseVariantArg(opts.variant);
  const { selectBackend } = await import('../vision/compute/backend.ts');
  await selectBackend(opts.backend, { log });
  const { loadVae } = await import('../vision/vae/load.ts');
  const { evaluateVisionRun } = await import('../vision/vae/evaluate.ts');
  const { model, info } = loadVae(run.root);
  const config = record.config as PretrainConfig;
  // It writes into the run (scores, images): not while another process trains there.
  run.lock(log);
  let ev;
  try {
    ev = await evaluateVisionRun(run, model, {
      variant,
      scale: opts.scale,
      metrics: opts.metrics,
      seed: opts.seed,
      log,
      title: `β-VAE (${describeObjective(config)})`,
      steps: info.step,
      objective: describeObjective(config),
    });
  } finally {
    run.release();
  }
  const s = ev.scores;
  const line = { run: run.root, step: info.step, variant: variant.name, ...s };
  process.stdout.write(JSON.stringify(line) + '\n');
  log(headlineScores(s));
  const perFactor = migPerFactorText(s, ev.taskFactors);
  if (perFactor !== '') log(perFactor);
  model.dispose();
  return ev;
}

export function describeObjective(config: PretrainConfig): string {
  const o = config.objective;
  switch (o.kind) {
    case 'beta':
      return `beta, β=${o.beta}`;
    case 'capacity':
      return `capacity, γ=${o.gamma}, C_max=${o.cMax}, ramp ${o.rampSteps} steps`;
    case 'tcvae':
      return `tcvae, α=${o.alpha}, β=${o.beta}, γ=${o.gamma}`;
  }
}

/** The headline scores on one line. */
function headlineScores(s: Record<string, number>): string {
  return `MIG ${fmt(s.mig)} (task factors ${fmt(s.mig_task)}) · BetaVAE ${fmt(s.beta_vae_eval_accuracy)} · FactorVAE ${fmt(s.factor_vae_eval_accuracy)} · DCI ${fmt(s.dci_disentanglement)} · active latents ${s.active_units ?? 'n/a'}`;
}

function fmt(v: number | undefined): string {
  return v === undefined ? 'n/a' : v.toFixed(3);
}
