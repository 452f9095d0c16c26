/**
 * The whole DARLA pipeline in one run directory (what `npm start` runs):
 *   see      pretrain the DARLA β-VAE and the β = 1 baseline on frames of every configured world,
 *            evaluate both (metrics, traversals, reconstructions)        → vision/<darla|entangled>/
 *   act      train PPO agents (darla, entangled, pixels, oracle × seeds) on `source`  → agents/<kind>-seed<s>/
 *            (in the local pool, or on `darla worker`s with `darla demo --queue`)
 *   transfer evaluate every frozen agent on every variant                 → transfer/
 *            (with --queue: one evaluation job per agent on the workers, aggregated here)
 *   report   report.md and a self-contained report.html                   → ./
 * Each finished piece leaves a done.json and is skipped next time (unless --fresh); an unfinished
 * one resumes from its last checkpoint. One progress line covers the whole pipeline. Ctrl-C stops
 * after the current step with everything written so far intact. The run directory is locked while
 * the pipeline runs; its training children stop when it dies (jobs.ts); timings.json sums the time
 * of every invocation (timings.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../envs/core/errors.ts';
import { stopRequested } from '../../envs/util/interrupt.ts';
import { createProgress, type Progress } from '../../envs/util/progress.ts';
import { RunDir, type NewRunRecord } from '../../envs/util/run-dir.ts';
import { writeJsonAtomic } from '../../envs/util/files.ts';
import { variantDefinitions } from '../../envs/shapeworld/variant-arg.ts';
import { PretrainConfigSchema, type PretrainConfig } from '../../vision/vae/config.ts';
import { resolveAgentConfig } from '../../agent/config.ts';
import type { Objective } from '../../vision/vae/objectives.ts';
import type { PipelineConfig, AgentKind } from './config.ts';
import type { TransferCell } from '../../agent/transfer.ts';
import { runJobs, type Job, type RunJobsOptions } from './jobs.ts';
import { loadShippedVision, type ShippedVision } from '../../vision/vae/shipped.ts';
import { loggedSpeed, Timings, type StageTiming } from './timings.ts';

export interface PipelineOptions {
  runDir: string;
  seed: number;
  fresh?: boolean;
  quiet?: boolean;
  backend: string;
  /** Training jobs run at once (child processes, one wasm thread each); default: the core count. */
  jobs: number;
  log: (line: string) => void;
  /**
   * Runs the act stage's agent trainings: the local pool (runJobs) unless given, e.g. a queue of
   * `darla worker`s (scripts/queue/pipeline-jobs.ts, `darla demo --queue`).
   */
  runAgentJobs?: (jobs: readonly Job[], opts: RunJobsOptions) => Promise<'done' | 'stopped'>;
  /**
   * Evaluates the trained agents' transfer elsewhere (one queue job per agent, `darla demo
   * --queue`) and returns their cells; the transfer stage then only aggregates and writes.
   */
  evaluateTransfer?: (agentDirs: readonly string[], opts: { shouldStop?: () => boolean; onProgress?: (done: number, total: number) => void }) => Promise<TransferCell[] | 'stopped'>;
}

export interface PipelineResult {
  root: RunDir;
  completed: boolean;
  visionDirs: Record<'darla' | 'entangled', string>;
  agentDirs: { kind: AgentKind; seed: number; dir: string }[];
  transferDir: string;
  timings: StageTiming[];
}

/** Thrown from inside a training callback when the user pressed Ctrl-C. */
class Interrupted extends Error {
  override readonly name = 'Interrupted';
}

const DONE = 'done.json';

/** The last line of a child's stdout that parses as JSON (its summary), or null. */
export function lastJsonLine(stdout: string): unknown {
  const lines = stdout.trim().split('\n').reverse();
  for (const line of lines) {
    try {
      return JSON.parse(line);
    } catch {
      // not the summary line
    }
  }
  return null;
}

export function isDone(dir: string): boolean {
  return fs.existsSync(path.join(dir, DONE));
}

export function markDone(dir: string, summary: Record<string, unknown>): void {
  writeJsonAtomic(path.join(dir, DONE), { finishedAt: new Date().toISOString(), ...summary });
}

/** The PretrainConfig of one of the pipeline's two encoders. */
export function visionConfig(cfg: PipelineConfig, which: 'darla' | 'entangled'): PretrainConfig {
  const v = cfg.vision;
  const objective: Objective = which === 'darla' ? v.objective : { kind: 'beta', beta: 1 };
  return {
    arch: { latents: v.latents, imageSize: 64, channels: 3, convFilters: v.convFilters, hidden: v.hidden, likelihood: 'bernoulli' },
    objective,
    target: v.target,
    data: { variants: v.variants, randomPolicyFrames: v.randomPolicyFrames, factorFrames: v.factorFrames },
    steps: v.steps,
    batchSize: v.batchSize,
    lr: v.lr,
    logEvery: Math.max(1, Math.min(25, Math.floor(v.steps / 20))),
    checkpointEvery: Math.max(1, Math.min(250, Math.floor(v.steps / 4))),
    metricsScale: v.metricsScale,
  };
}

/** The train-agent config of one of the pipeline's agents (its overrides under the pipeline's own fields). */
export function agentJobConfig(cfg: PipelineConfig, kind: AgentKind, seed: number, vae: string | undefined): Record<string, unknown> {
  const totalSteps = kind === 'pixels' ? cfg.agents.pixelsTotalSteps : cfg.agents.totalSteps;
  return { ...cfg.agents.overrides, frontend: kind, vae, seed, totalSteps, numEnvs: cfg.agents.numEnvs, numSteps: cfg.agents.numSteps, variant: 'source' };
}

/**
 * Validates what each stage's child will be given (the vision configs when trained here, each
 * agent's config with the overrides), so a bad field fails before any stage runs, not after the
 * vision has trained. Throws a UserError naming the field.
 */
export function checkStageConfigs(cfg: PipelineConfig): void {
  if (cfg.vision.from === 'train') {
    for (const which of ['darla', 'entangled'] as const) {
      const parsed = PretrainConfigSchema.safeParse(visionConfig(cfg, which));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new UserError(`invalid pipeline config: the ${which} β-VAE's pretraining config at ${issue.path.join('.') || '(root)'}: ${issue.message}`, 'vision');
      }
    }
  }
  for (const kind of cfg.agents.kinds) {
    const vae = kind === 'darla' || kind === 'entangled' ? `vision/${kind}` : undefined;
    try {
      resolveAgentConfig(agentJobConfig(cfg, kind, cfg.agents.seeds[0], vae), 'agents.overrides');
    } catch (err) {
      if (err instanceof UserError) throw new UserError(`invalid pipeline config: ${err.message} (for the ${kind} agents)`, 'agents.overrides');
      throw err;
    }
  }
}

/** Rough seconds per unit on the reference 2-core CPU, to weight one progress bar across stages. */
const COST = { visionStep: 0.5, latentEnvStep: 1 / 700, pixelsEnvStep: 1 / 250, oracleEnvStep: 1 / 1500, transferEpisode: 0.04 };

/**
 * What the pipeline records in its config.json: the config, the seed and the full definition of
 * every variant it uses (the agents train on `source`).
 */
export function pipelineRunRecord(cfg: PipelineConfig, seed: number): NewRunRecord {
  return { kind: 'pipeline', seed, config: cfg, variants: variantDefinitions(['source', ...cfg.vision.variants, ...cfg.transfer.variants]) };
}

/**
 * Puts the shipped encoder of a kind into the run (a copy, so the run stays portable and the agents
 * record an encoder inside it) and marks the piece done with its provenance.
 */
function useShippedVision(which: 'darla' | 'entangled', dir: string): ShippedVision {
  const shipped = loadShippedVision(which);
  if (shipped === null) throw new UserError(`no shipped ${which} β-VAE in models/vision/${which}; run the pipeline with --train-vision to train it here`, '--train-vision');
  if (new RunDir(dir).exists()) fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.cpSync(shipped.dir, dir, { recursive: true });
  const scores = JSON.parse(fs.readFileSync(path.join(dir, 'scores.json'), 'utf8')) as { mig?: number };
  markDone(dir, { shipped: true, mig: scores.mig ?? null, imgPerSec: null, provenance: shipped.provenance });
  return shipped;
}

/** A child's arguments to continue its run when there is one (a child refuses --resume on nothing). */
export function resumeIfStarted(dir: string): string[] {
  return new RunDir(dir).exists() ? ['--resume'] : [];
}

export async function runPipeline(cfg: PipelineConfig, opts: PipelineOptions): Promise<PipelineResult> {
  const { log } = opts;
  const root = new RunDir(opts.runDir);
  root.open({ ...pipelineRunRecord(cfg, opts.seed), backend: opts.backend }, { resume: 'auto', fresh: opts.fresh, log });
  try {
    root.updateRecord({ backend: opts.backend });
    return await runStages(root, cfg, opts);
  } finally {
    root.release();
  }
}

async function runStages(root: RunDir, cfg: PipelineConfig, opts: PipelineOptions): Promise<PipelineResult> {
  const { log } = opts;
  const visionDirs = { darla: path.join(root.root, 'vision', 'darla'), entangled: path.join(root.root, 'vision', 'entangled') };
  const agentDirs = cfg.agents.kinds.flatMap((kind) => cfg.agents.seeds.map((seed) => ({ kind, seed, dir: path.join(root.root, 'agents', `${kind}-seed${seed}`) })));
  const transferDir = path.join(root.root, 'transfer');
  // Time spent per piece, added to what earlier invocations spent (written as it goes).
  const timings = new Timings(path.join(root.root, 'timings.json'));
  const result: PipelineResult = { root, completed: false, visionDirs, agentDirs, transferDir, timings: [] };

  // ---- one progress line for everything ----------------------------------------------------------
  const agentCost = (kind: AgentKind) => (kind === 'pixels' ? cfg.agents.pixelsTotalSteps * COST.pixelsEnvStep : kind === 'oracle' ? cfg.agents.totalSteps * COST.oracleEnvStep : cfg.agents.totalSteps * COST.latentEnvStep);
  const visionCost = cfg.vision.from === 'shipped' ? 1 : cfg.vision.steps * COST.visionStep;
  const pieces: { key: string; cost: number }[] = [
    { key: 'vision/darla', cost: visionCost },
    { key: 'vision/entangled', cost: visionCost },
    ...agentDirs.map((a) => ({ key: `agents/${a.kind}-seed${a.seed}`, cost: agentCost(a.kind) })),
    { key: 'transfer', cost: agentDirs.length * cfg.transfer.variants.length * cfg.transfer.seeds.length * cfg.transfer.episodes * 2 * COST.transferEpisode },
  ];
  const totalUnits = Math.max(1, Math.round(pieces.reduce((a, p) => a + p.cost, 0)));
  // Pieces run side by side, so the bar shows the sum of every piece's done share of its cost.
  const doneShare = new Map<string, number>(pieces.map((p) => [p.key, 0]));
  const progress: Progress = createProgress({ label: 'pipeline', total: totalUnits, fields: ['stage', 'item', 'at'], quiet: opts.quiet });
  const report = (key: string, fraction: number, stage: string, at: string) => {
    doneShare.set(key, Math.max(0, Math.min(1, fraction)));
    const value = pieces.reduce((sum, p) => sum + p.cost * doneShare.get(p.key)!, 0);
    progress.update(Math.min(totalUnits, Math.round(value)), { stage, item: key, at });
  };
  const timed = async (stage: string, item: string, fn: () => Promise<void>) => {
    timings.start(stage, item);
    await fn();
    timings.finish(stage, item);
  };

  const jobEnv = opts.jobs > 1 ? { DARLA_WASM_THREADS: '1' } : {};
  const logDir = path.join(root.root, 'logs');
  const tick = (stage: string, totals: Map<string, number>) => (running: { key: string; step: number }[]) => {
    for (const r of running) report(r.key, r.step / (totals.get(r.key) ?? 1), stage, `${r.step}/${totals.get(r.key)}`);
    timings.save();
  };
  try {
    // ---- see: the two encoders, side by side ------------------------------------------------------
    const visionTotals = new Map<string, number>();
    const visionJobs: Job[] = [];
    for (const which of ['darla', 'entangled'] as const) {
      const dir = visionDirs[which];
      const key = `vision/${which}`;
      if (isDone(dir)) {
        report(key, 1, 'see', 'done');
        timings.skip('see', which);
        continue;
      }
      if (cfg.vision.from === 'shipped') {
        timings.start('see', which);
        const shipped = useShippedVision(which, dir);
        timings.finish('see', which);
        report(key, 1, 'see', 'shipped');
        const p = shipped.provenance;
        log(`see: ${which} β-VAE — shipped (models/vision/${which}: ${p.steps} steps, ${p.hours.toFixed(1)} h on ${p.machine}; weights ${p.fingerprint}); --train-vision trains it here instead`);
        continue;
      }
      const vcfg = visionConfig(cfg, which);
      visionTotals.set(key, vcfg.steps);
      const configFile = path.join(root.root, 'configs', `vision-${which}.json`);
      writeJsonAtomic(configFile, vcfg);
      visionJobs.push({
        key,
        runDir: dir,
        onStart: () => timings.start('see', which),
        args: ['pretrain', '--config', configFile, '--run-dir', dir, ...resumeIfStarted(dir), '--json', '--seed', String(opts.seed), '--backend', opts.backend],
        onSuccess: (stdout) => {
          const summary = lastJsonLine(stdout) as { imgPerSec?: number; scores?: { mig?: number } | null } | null;
          // The speed of the whole training, every session of it (this one may have resumed at the end).
          const imgPerSec = loggedSpeed(dir, 'img_per_sec') ?? summary?.imgPerSec ?? null;
          markDone(dir, { mig: summary?.scores?.mig ?? null, imgPerSec });
          timings.finish('see', which);
          report(key, 1, 'see', 'done');
          log(`see: ${which} β-VAE — MIG ${summary?.scores?.mig?.toFixed(3) ?? 'n/a'}, ${imgPerSec?.toFixed(0) ?? '?'} img/s`);
        },
      });
    }
    if ((await runJobs(visionJobs, { concurrency: opts.jobs, logDir, env: jobEnv, onTick: tick('see', visionTotals), shouldStop: stopRequested })) === 'stopped') throw new Interrupted();

    // ---- act: PPO agents on the source world, side by side ----------------------------------------
    const agentTotals = new Map<string, number>();
    const agentJobs: Job[] = [];
    for (const a of agentDirs) {
      const key = `agents/${a.kind}-seed${a.seed}`;
      if (isDone(a.dir)) {
        report(key, 1, 'act', 'done');
        timings.skip('act', `${a.kind}-seed${a.seed}`);
        continue;
      }
      const totalSteps = a.kind === 'pixels' ? cfg.agents.pixelsTotalSteps : cfg.agents.totalSteps;
      agentTotals.set(key, totalSteps);
      const vae = a.kind === 'darla' ? visionDirs.darla : a.kind === 'entangled' ? visionDirs.entangled : undefined;
      const configFile = path.join(root.root, 'configs', `agent-${a.kind}-seed${a.seed}.json`);
      writeJsonAtomic(configFile, agentJobConfig(cfg, a.kind, a.seed, vae));
      const item = `${a.kind}-seed${a.seed}`;
      agentJobs.push({
        key,
        runDir: a.dir,
        onStart: () => timings.start('act', item),
        args: ['train-agent', '--config', configFile, '--run-dir', a.dir, ...resumeIfStarted(a.dir), '--json', '--backend', opts.backend],
        onSuccess: (stdout) => {
          const r = lastJsonLine(stdout) as { steps?: number; sps?: number; evalReturn?: number | null; evalSuccess?: number | null } | null;
          if (r === null) throw new Error('train-agent printed no summary');
          const sps = Math.round(loggedSpeed(a.dir, 'charts/SPS') ?? r.sps ?? 0);
          markDone(a.dir, { globalStep: r.steps, sps, finalReturn: r.evalReturn ?? null, successRate: r.evalSuccess ?? null });
          timings.finish('act', item);
          report(key, 1, 'act', 'done');
          const success = r.evalSuccess ?? null;
          log(`act: ${a.kind} seed ${a.seed} — ${r.steps} steps at ${sps} steps/s, eval return ${r.evalReturn?.toFixed(2) ?? 'n/a'}, success ${success === null ? 'n/a' : (100 * success).toFixed(0) + '%'}`);
        },
      });
    }
    const runAgentJobs = opts.runAgentJobs ?? runJobs;
    if ((await runAgentJobs(agentJobs, { concurrency: opts.jobs, logDir, env: jobEnv, onTick: tick('act', agentTotals), shouldStop: stopRequested })) === 'stopped') throw new Interrupted();

    // ---- transfer: frozen agents on every variant -------------------------------------------------
    if (!isDone(transferDir)) {
      await timed('transfer', 'all', async () => {
        const { runTransfer } = await import('../../agent/transfer.ts');
        const total = agentDirs.length * cfg.transfer.variants.length;
        let precomputed: TransferCell[] | undefined;
        if (opts.evaluateTransfer !== undefined) {
          const cells = await opts.evaluateTransfer(
            agentDirs.map((a) => a.dir),
            { shouldStop: stopRequested, onProgress: (done, n) => report('transfer', done / Math.max(1, n), 'transfer', `${done}/${n}`) },
          );
          if (cells === 'stopped') throw new Interrupted();
          precomputed = cells;
        }
        await runTransfer({
          precomputed,
          policies: agentDirs.map((a) => a.dir),
          variants: cfg.transfer.variants,
          episodes: cfg.transfer.episodes,
          seeds: cfg.transfer.seeds,
          runDir: transferDir,
          fresh: true,
          log: () => {},
          onProgress: (done, n) => {
            if (stopRequested()) throw new Interrupted();
            report('transfer', done / Math.max(1, n), 'transfer', `${done}/${n}`);
          },
        });
        markDone(transferDir, { evaluations: total });
      });
    } else {
      timings.skip('transfer', 'all');
    }
    report('transfer', 1, 'report', 'writing');
    result.completed = true;
  } catch (err) {
    if (err instanceof Interrupted || stopRequested()) {
      progress.stop();
      log('pipeline stopped; everything written so far is intact. Run the same command again to resume.');
      return result;
    }
    throw err;
  } finally {
    progress.stop();
    // Whatever was still running stopped here: its time so far counts (a resume adds the rest).
    timings.stopAll();
    result.timings = timings.list();
  }

  // ---- report ----------------------------------------------------------------------------------------
  const { writePipelineReport } = await import('./report.ts');
  await writePipelineReport(root, cfg, { visionDirs, agentDirs, transferDir, timings: result.timings, seed: opts.seed });
  return result;
}

/** Refuses flags that make no sense together before any work starts. */
export function checkPipelineFlags(flags: { fresh: boolean; runDir: string }): void {
  if (flags.runDir.trim() === '') throw new UserError('--run-dir must not be empty', '--run-dir');
}
