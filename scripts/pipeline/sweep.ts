/**
 * The β sweep — DARLA's central correlation claim (Higgins et al. 2017, §4.3: the more disentangled
 * the vision, the better the zero-shot transfer): for each β and seed, pretrain a β-VAE with the
 * pipeline's vision recipe, train a DARLA agent on its μ in `source`, and measure that frozen agent
 * on the transfer targets. The report plots disentanglement (MIG, x) against the agent's
 * target/source success ratio (y), one point per (β, seed), per target, with the correlation.
 * Layout: <run>/vision/beta<β>-seed<s>/, agents/…, transfer/…, results/, report.md, sweep.json, images/.
 * One (β, seed) point is one job (sweepPoint): the local pool runs `--jobs` of them at once, and a
 * queue worker (scripts/queue) runs the same function. Finished pieces leave done.json and are
 * skipped next time; an interrupted one resumes from its checkpoint; a finished point leaves its
 * result in results/ (the completion marker) and is never trained again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { stopRequested } from '../../envs/util/interrupt.ts';
import { RunDir, type NewRunRecord } from '../../envs/util/run-dir.ts';
import { writeFileAtomic, writeJsonAtomic } from '../../envs/util/files.ts';
import { variantDefinitions } from '../../envs/shapeworld/variant-arg.ts';
import { scatterChartSvg } from '../../vision/report/charts.ts';
import { defaultObjective } from '../../vision/vae/config.ts';
import { PipelineConfigSchema, type PipelineConfig } from './config.ts';
import { runJobs, type Job } from './jobs.ts';
import { isDone, lastJsonLine, markDone, resumeIfStarted, visionConfig } from './run.ts';

export const SweepConfigSchema = z
  .object({
    /** β values of the DARLA objective (β = 1 is the entangled baseline's). */
    betas: z.array(z.number().min(0)).min(2),
    /** Seeds: each (β, seed) pair is one vision and one agent. */
    seeds: z.array(z.number().int().min(0)).min(1),
    /** The recipe of every piece (vision steps, agent steps, transfer targets): a pipeline config. */
    base: PipelineConfigSchema,
  })
  .strict();
export type SweepConfig = z.infer<typeof SweepConfigSchema>;

export interface SweepOptions {
  runDir: string;
  fresh?: boolean;
  backend: string;
  jobs: number;
  log: (line: string) => void;
}

export interface SweepPoint {
  beta: number;
  seed: number;
  scores: Record<string, number>;
  sourceSuccess: number | null;
  /** Target/source success ratio per target variant. */
  ratios: Record<string, number | null>;
}

const pieceName = (beta: number, seed: number) => `beta${beta}-seed${seed}`;

/** The vision config of one sweep point: the pipeline's DARLA recipe with this β (same warm-up share). */
export function sweepVisionConfig(base: PipelineConfig, beta: number) {
  const v = visionConfig(base, 'darla');
  return { ...v, objective: { ...defaultObjective('beta', v.steps), beta } };
}

export function sweepRunRecord(cfg: SweepConfig): NewRunRecord {
  return { kind: 'sweep', seed: cfg.seeds[0], config: cfg, variants: variantDefinitions(['source', ...cfg.base.vision.variants, ...cfg.base.transfer.variants]) };
}

/** Pearson correlation of paired samples (NaN with fewer than 3 pairs or no variance). */
export function pearson(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 3 || ys.length !== n) return Number.NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? Number.NaN : sxy / Math.sqrt(sxx * syy);
}

/** One (β, seed) point of a sweep: what the local pool and a queue worker both run (sweepPoint). */
export const SweepPointJobSchema = z
  .object({
    /** Names the sweep (its folder under a worker's --runs-dir, and the prefix of its job ids). */
    sweepId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'a sweep id is 1–64 letters, digits, _ or - (it names a folder)'),
    beta: z.number().min(0),
    seed: z.number().int().min(0),
    base: PipelineConfigSchema.refine((b) => [...b.vision.variants, ...b.transfer.variants].every((v) => /^[a-z][a-z0-9-]*$/.test(v)), {
      message: 'variants must be named variants (inline JSON or files are for the CLI, not for queue jobs)',
    }),
    backend: z.enum(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']),
  })
  .strict();
export type SweepPointJob = z.infer<typeof SweepPointJobSchema>;

/** A sweep point's result: the report's row, where its runs are, and the checkpoint steps it resumed at. */
export interface SweepPointResult extends SweepPoint {
  /** The point's pieces: <runDir>/{vision,agents,transfer}/<piece>. */
  runDir: string;
  piece: string;
  /** Checkpoint step each training resumed at in this delivery (null: started fresh or already done). */
  resumedAt: { vision: number | null; agent: number | null };
}

export interface SweepPointOptions {
  /** The sweep's folder: vision/, agents/, transfer/, configs/, logs/, results/ under it. */
  root: string;
  env?: NodeJS.ProcessEnv;
  log: (line: string) => void;
  shouldStop?: () => boolean;
  /** About once a second while a training runs: which stage and its last logged step. */
  onProgress?: (p: { stage: 'vision' | 'agent' | 'transfer'; step: number; total: number }) => void;
}

const RESULTS = 'results';

/** The completion marker of a point: its result, written atomically once every piece is done. */
export function pointResultFile(root: string, beta: number, seed: number): string {
  return path.join(root, RESULTS, `${pieceName(beta, seed)}.json`);
}

/** The step of a run's last checkpoint (its `checkpoints/latest` pointer), or null without one. */
export function latestCheckpointStep(runDir: string): number | null {
  try {
    const name = fs.readFileSync(path.join(runDir, 'checkpoints', 'latest'), 'utf8').trim();
    const m = /^step-(\d+)\.ckpt$/.exec(name);
    return m === null ? null : Number(m[1]);
  } catch {
    return null;
  }
}

/** Thrown when the user stops a point (Ctrl-C, SIGTERM): its pieces resume on the next run. */
export class PointStopped extends Error {
  override readonly name = 'PointStopped';
}

/**
 * The sweep's job function: one β-VAE, one DARLA agent on its μ, and that agent's zero-shot
 * transfer, each a child `darla` process that resumes its own run; then the point's result is
 * written atomically (the completion marker). A point whose marker exists returns the recorded
 * result without training: a redelivered queue job does no work twice.
 */
export async function sweepPoint(job: SweepPointJob, opts: SweepPointOptions): Promise<SweepPointResult> {
  const marker = pointResultFile(opts.root, job.beta, job.seed);
  if (fs.existsSync(marker)) return JSON.parse(fs.readFileSync(marker, 'utf8')) as SweepPointResult;
  const { base, beta, seed } = job;
  const name = pieceName(beta, seed);
  const dir = (stage: string) => path.join(opts.root, stage, name);
  const logDir = path.join(opts.root, 'logs');
  const configs = path.join(opts.root, 'configs');
  const resumedAt: SweepPointResult['resumedAt'] = { vision: null, agent: null };
  const run = async (stage: 'vision' | 'agent' | 'transfer', total: number, job: Job) => {
    const outcome = await runJobs([job], {
      concurrency: 1,
      logDir,
      env: opts.env,
      shouldStop: opts.shouldStop,
      onTick: (running) => {
        for (const r of running) opts.onProgress?.({ stage, step: r.step, total });
      },
    });
    if (outcome === 'stopped') throw new PointStopped(`${name}: stopped during ${stage}`);
  };

  // ---- vision: the β-VAE ------------------------------------------------------------------------
  const visionDir = dir('vision');
  if (!isDone(visionDir)) {
    const vcfg = sweepVisionConfig(base, beta);
    const configFile = path.join(configs, `vision-${name}.json`);
    writeJsonAtomic(configFile, vcfg);
    resumedAt.vision = latestCheckpointStep(visionDir);
    await run('vision', vcfg.steps, {
      key: `vision/${name}`,
      runDir: visionDir,
      args: ['pretrain', '--config', configFile, '--run-dir', visionDir, ...resumeIfStarted(visionDir), '--json', '--quiet', '--seed', String(seed), '--backend', job.backend],
      onSuccess: (stdout: string) => {
        const summary = lastJsonLine(stdout) as { scores?: { mig?: number } | null } | null;
        markDone(visionDir, { mig: summary?.scores?.mig ?? null });
        opts.log(`sweep: vision β=${beta} seed ${seed} — MIG ${summary?.scores?.mig?.toFixed(3) ?? 'n/a'}`);
      },
    });
  }

  // ---- act: a DARLA agent on its μ ------------------------------------------------------------------
  const agentDir = dir('agents');
  if (!isDone(agentDir)) {
    const a = base.agents;
    const configFile = path.join(configs, `agent-${name}.json`);
    writeJsonAtomic(configFile, { ...a.overrides, frontend: 'darla', vae: visionDir, seed, totalSteps: a.totalSteps, numEnvs: a.numEnvs, numSteps: a.numSteps, variant: 'source' });
    resumedAt.agent = latestCheckpointStep(agentDir);
    await run('agent', a.totalSteps, {
      key: `agents/${name}`,
      runDir: agentDir,
      args: ['train-agent', '--config', configFile, '--run-dir', agentDir, ...resumeIfStarted(agentDir), '--json', '--quiet', '--backend', job.backend],
      onSuccess: (stdout: string) => {
        const r = lastJsonLine(stdout) as { evalSuccess?: number | null } | null;
        markDone(agentDir, { successRate: r?.evalSuccess ?? null });
        opts.log(`sweep: agent β=${beta} seed ${seed} — success ${r?.evalSuccess == null ? 'n/a' : `${(100 * r.evalSuccess).toFixed(0)}%`}`);
      },
    });
  }

  // ---- transfer: the frozen agent on the targets (deterministic policy) --------------------------
  const transferDir = dir('transfer');
  const targets = sweepTargets(base);
  if (!isDone(transferDir)) {
    const t = base.transfer;
    await run('transfer', 1, {
      key: `transfer/${name}`,
      runDir: transferDir,
      args: ['transfer', '--policies', agentDir, '--variants', ...targets, '--episodes', String(t.episodes), '--seeds', ...t.seeds.map(String), '--modes', 'deterministic', '--run-dir', transferDir, '--fresh', '--json', '--quiet', '--backend', job.backend],
      onSuccess: () => markDone(transferDir, {}),
    });
  }

  // ---- the point's result, then its completion marker ------------------------------------------------
  const readJson = (file: string): Record<string, unknown> | null => (fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>) : null);
  const scores = (readJson(path.join(visionDir, 'scores.json')) ?? {}) as Record<string, number>;
  const rows = (readJson(path.join(transferDir, 'transfer.json'))?.rows ?? []) as { variant: string; sourceSuccess: { mean: number } | null; successRatio: { mean: number } | null }[];
  const ratios: Record<string, number | null> = {};
  for (const t of targets) ratios[t] = rows.find((r) => r.variant === t)?.successRatio?.mean ?? null;
  const result: SweepPointResult = { beta, seed, scores, sourceSuccess: rows[0]?.sourceSuccess?.mean ?? null, ratios, runDir: opts.root, piece: name, resumedAt };
  writeJsonAtomic(marker, result);
  return result;
}

/** The transfer targets of a sweep: its pipeline's transfer variants, less `source`. */
export function sweepTargets(base: PipelineConfig): string[] {
  return base.transfer.variants.filter((v) => v !== 'source');
}

/** Runs (or resumes) the sweep in the local pool and writes its report; returns the points ('stopped' on Ctrl-C). */
export async function runSweep(cfg: SweepConfig, opts: SweepOptions): Promise<SweepPoint[] | 'stopped'> {
  const root = new RunDir(opts.runDir);
  root.open(sweepRunRecord(cfg), { resume: 'auto', fresh: opts.fresh, log: opts.log });
  try {
    const points = await runPointsLocally(root.root, cfg, opts);
    if (points === 'stopped') return 'stopped';
    await writeSweepReport(root.root, { betas: cfg.betas, seeds: cfg.seeds, base: cfg.base }, points, []);
    return points;
  } finally {
    root.release();
  }
}

/** The local pool: at most `opts.jobs` points at once, each the same job function a queue worker runs. */
async function runPointsLocally(root: string, cfg: SweepConfig, opts: SweepOptions): Promise<SweepPointResult[] | 'stopped'> {
  const env = opts.jobs > 1 ? { DARLA_WASM_THREADS: '1' } : {};
  const jobs = cfg.betas.flatMap((beta) => cfg.seeds.map((seed): SweepPointJob => ({ sweepId: 'local', beta, seed, base: cfg.base, backend: opts.backend as SweepPointJob['backend'] })));
  const results: SweepPointResult[] = new Array<SweepPointResult>(jobs.length);
  let next = 0;
  let stopped = false;
  let failure: unknown = null;
  const lane = async () => {
    while (next < jobs.length && !stopped && failure === null) {
      const i = next++;
      try {
        results[i] = await sweepPoint(jobs[i], { root, env, log: opts.log, shouldStop: stopRequested });
      } catch (err) {
        if (err instanceof PointStopped) stopped = true;
        else failure ??= err;
      }
    }
  };
  // A failure stops new points from starting; the running ones finish (as the stage pool did).
  await Promise.all(Array.from({ length: Math.min(opts.jobs, jobs.length) }, lane));
  if (failure !== null) throw failure;
  return stopped ? 'stopped' : results;
}

/** A queue job that failed after its attempts: listed in the report with its error. */
export interface FailedPoint {
  beta: number;
  seed: number;
  error: string;
  attempts: number;
}

/** What the report says about the sweep besides its points. */
export interface SweepReportMeta {
  betas: readonly number[];
  seeds: readonly number[];
  base: PipelineConfig;
}

/**
 * Writes report.md (table, correlation per target, failed points), sweep.json and the MIG-against-
 * ratio scatter per target into `dir`: from the local pool's points or from a queue's completed jobs.
 */
export async function writeSweepReport(dir: string, meta: SweepReportMeta, points: SweepPoint[], failed: FailedPoint[]): Promise<void> {
  const targets = sweepTargets(meta.base);
  const imagesDir = path.join(dir, 'images');
  fs.mkdirSync(imagesDir, { recursive: true });
  const f = (v: number | null | undefined, d = 3) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : 'n/a');
  const cfg = meta;
  const lines = [
    '# β sweep: disentanglement against zero-shot transfer',
    '',
    `Each point is one β-VAE (β ∈ {${cfg.betas.join(', ')}}, seeds ${cfg.seeds.join(', ')}; ${cfg.base.vision.steps} steps of the pipeline's vision recipe) and one DARLA agent trained on its μ in \`source\` (${cfg.base.agents.totalSteps} env steps), evaluated zero-shot (deterministic policy, ${cfg.base.transfer.episodes} episodes × evaluation seeds ${cfg.base.transfer.seeds.join(', ')}). x: MIG on the source factor dataset; y: target/source success ratio. DARLA's claim is a positive correlation.`,
    '',
    `| β | seed | MIG | probe R² (worst object) | probe identity | source success | ${targets.map((t) => `${t} ratio`).join(' | ')} |`,
    `|---|---|---|---|---|---|${targets.map(() => '---|').join('')}`,
    ...points.map((p) => `| ${p.beta} | ${p.seed} | ${f(p.scores.mig)} | ${f(p.scores.probe_r2_min)} | ${f(p.scores.probe_identity_accuracy)} | ${f(p.sourceSuccess, 2)} | ${targets.map((t) => f(p.ratios[t], 2)).join(' | ')} |`),
    '',
  ];
  if (failed.length > 0) {
    lines.push('## Failed points', '', `${failed.length} point(s) failed after their attempts and are not in the table or the plots:`, '', '| β | seed | attempts | error |', '|---|---|---|---|');
    for (const x of failed) lines.push(`| ${x.beta} | ${x.seed} | ${x.attempts} | ${x.error.split('\n')[0].replaceAll('|', '\\|')} |`);
    lines.push('');
  }
  for (const t of targets) {
    const pts = points.filter((p) => typeof p.scores.mig === 'number' && p.ratios[t] !== null);
    const r = pearson(
      pts.map((p) => p.scores.mig),
      pts.map((p) => p.ratios[t] as number),
    );
    writeFileAtomic(
      path.join(imagesDir, `sweep_${t}.svg`),
      await scatterChartSvg({
        title: `MIG against transfer to ${t}`,
        points: pts.map((p) => ({ x: p.scores.mig, y: p.ratios[t] as number, group: `β=${p.beta}` })),
        xLabel: 'MIG (source factor dataset)',
        yLabel: `target/source success (${t})`,
      }),
    );
    lines.push(`## ${t}`, '', `Pearson correlation of MIG and the success ratio over ${pts.length} points: ${f(r, 2)}.`, '', `![MIG against transfer to ${t}](images/sweep_${t}.svg)`, '');
  }
  writeFileAtomic(path.join(dir, 'report.md'), lines.join('\n'));
  writeJsonAtomic(path.join(dir, 'sweep.json'), { betas: cfg.betas, seeds: cfg.seeds, targets, points, failed });
}
