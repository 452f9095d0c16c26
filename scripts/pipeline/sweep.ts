/**
 * The β sweep — DARLA's central correlation claim (Higgins et al. 2017, §4.3: the more disentangled
 * the vision, the better the zero-shot transfer): for each β and seed, pretrain a β-VAE with the
 * pipeline's vision recipe, train a DARLA agent on its μ in `source`, and measure that frozen agent
 * on the transfer targets. The report plots disentanglement (MIG, x) against the agent's
 * target/source success ratio (y), one point per (β, seed), per target, with the correlation.
 * Layout: <run>/vision/beta<β>-seed<s>/, agents/…, transfer/…, report.md, sweep.json, images/.
 * Finished pieces leave done.json and are skipped next time; an interrupted one resumes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { stopRequested } from '../../envs/util/interrupt.ts';
import { RunDir, type NewRunRecord } from '../../envs/util/run-dir.ts';
import { writeJsonAtomic } from '../../envs/util/files.ts';
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

/** Runs (or resumes) the sweep and writes its report; returns the points ('stopped' on Ctrl-C). */
export async function runSweep(cfg: SweepConfig, opts: SweepOptions): Promise<SweepPoint[] | 'stopped'> {
  const root = new RunDir(opts.runDir);
  root.open(sweepRunRecord(cfg), { resume: 'auto', fresh: opts.fresh, log: opts.log });
  try {
    return await sweepStages(root, cfg, opts);
  } finally {
    root.release();
  }
}

async function sweepStages(root: RunDir, cfg: SweepConfig, opts: SweepOptions): Promise<SweepPoint[] | 'stopped'> {
  const { log } = opts;
  const pieces = cfg.betas.flatMap((beta) => cfg.seeds.map((seed) => ({ beta, seed, name: pieceName(beta, seed) })));
  const dir = (stage: string, name: string) => path.join(root.root, stage, name);
  const logDir = path.join(root.root, 'logs');
  const env = opts.jobs > 1 ? { DARLA_WASM_THREADS: '1' } : {};

  // ---- vision: one β-VAE per (β, seed) ---------------------------------------------------------
  const visionJobs: Job[] = pieces
    .filter((p) => !isDone(dir('vision', p.name)))
    .map((p) => {
      const runDir = dir('vision', p.name);
      const configFile = path.join(root.root, 'configs', `vision-${p.name}.json`);
      writeJsonAtomic(configFile, sweepVisionConfig(cfg.base, p.beta));
      return {
        key: `vision/${p.name}`,
        runDir,
        args: ['pretrain', '--config', configFile, '--run-dir', runDir, ...resumeIfStarted(runDir), '--json', '--quiet', '--seed', String(p.seed), '--backend', opts.backend],
        onSuccess: (stdout: string) => {
          const summary = lastJsonLine(stdout) as { scores?: { mig?: number } | null } | null;
          markDone(runDir, { mig: summary?.scores?.mig ?? null });
          log(`sweep: vision β=${p.beta} seed ${p.seed} — MIG ${summary?.scores?.mig?.toFixed(3) ?? 'n/a'}`);
        },
      };
    });
  if ((await runJobs(visionJobs, { concurrency: opts.jobs, logDir, env, shouldStop: stopRequested })) === 'stopped') return 'stopped';

  // ---- act: a DARLA agent on each vision -------------------------------------------------------
  const a = cfg.base.agents;
  const agentJobs: Job[] = pieces
    .filter((p) => !isDone(dir('agents', p.name)))
    .map((p) => {
      const runDir = dir('agents', p.name);
      const configFile = path.join(root.root, 'configs', `agent-${p.name}.json`);
      writeJsonAtomic(configFile, { ...a.overrides, frontend: 'darla', vae: dir('vision', p.name), seed: p.seed, totalSteps: a.totalSteps, numEnvs: a.numEnvs, numSteps: a.numSteps, variant: 'source' });
      return {
        key: `agents/${p.name}`,
        runDir,
        args: ['train-agent', '--config', configFile, '--run-dir', runDir, ...resumeIfStarted(runDir), '--json', '--quiet', '--backend', opts.backend],
        onSuccess: (stdout: string) => {
          const r = lastJsonLine(stdout) as { evalSuccess?: number | null } | null;
          markDone(runDir, { successRate: r?.evalSuccess ?? null });
          log(`sweep: agent β=${p.beta} seed ${p.seed} — success ${r?.evalSuccess == null ? 'n/a' : `${(100 * r.evalSuccess).toFixed(0)}%`}`);
        },
      };
    });
  if ((await runJobs(agentJobs, { concurrency: opts.jobs, logDir, env, shouldStop: stopRequested })) === 'stopped') return 'stopped';

  // ---- transfer: each frozen agent on the targets ----------------------------------------------
  const { runTransfer } = await import('../../agent/transfer.ts');
  const targets = cfg.base.transfer.variants.filter((v) => v !== 'source');
  for (const p of pieces) {
    const runDir = dir('transfer', p.name);
    if (isDone(runDir)) continue;
    if (stopRequested()) return 'stopped';
    await runTransfer({ policies: [dir('agents', p.name)], variants: targets, episodes: cfg.base.transfer.episodes, seeds: cfg.base.transfer.seeds, modes: ['deterministic'], runDir, fresh: true });
    markDone(runDir, {});
  }

  // ---- collect and report ------------------------------------------------------------------------
  const readJson = (file: string): Record<string, unknown> | null => (fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>) : null);
  const points: SweepPoint[] = pieces.map((p) => {
    const scores = (readJson(path.join(dir('vision', p.name), 'scores.json')) ?? {}) as Record<string, number>;
    const rows = ((readJson(path.join(dir('transfer', p.name), 'transfer.json'))?.rows ?? []) as { variant: string; sourceSuccess: { mean: number } | null; successRatio: { mean: number } | null }[]) ?? [];
    const ratios: Record<string, number | null> = {};
    for (const t of targets) ratios[t] = rows.find((r) => r.variant === t)?.successRatio?.mean ?? null;
    return { beta: p.beta, seed: p.seed, scores, sourceSuccess: rows[0]?.sourceSuccess?.mean ?? null, ratios };
  });
  await writeSweepReport(root, cfg, points, targets);
  return points;
}

async function writeSweepReport(root: RunDir, cfg: SweepConfig, points: SweepPoint[], targets: string[]): Promise<void> {
  fs.mkdirSync(root.imagesDir, { recursive: true });
  const f = (v: number | null | undefined, d = 3) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : 'n/a');
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
  for (const t of targets) {
    const pts = points.filter((p) => typeof p.scores.mig === 'number' && p.ratios[t] !== null);
    const r = pearson(
      pts.map((p) => p.scores.mig),
      pts.map((p) => p.ratios[t] as number),
    );
    const file = root.imagePath(`sweep_${t}.svg`);
    fs.writeFileSync(
      file,
      await scatterChartSvg({
        title: `MIG against transfer to ${t}`,
        points: pts.map((p) => ({ x: p.scores.mig, y: p.ratios[t] as number, group: `β=${p.beta}` })),
        xLabel: 'MIG (source factor dataset)',
        yLabel: `target/source success (${t})`,
      }),
    );
    lines.push(`## ${t}`, '', `Pearson correlation of MIG and the success ratio over ${pts.length} points: ${f(r, 2)}.`, '', `![MIG against transfer to ${t}](images/sweep_${t}.svg)`, '');
  }
  root.writeText('report.md', lines.join('\n'));
  root.writeJson('sweep.json', { betas: cfg.betas, seeds: cfg.seeds, targets, points });
}
