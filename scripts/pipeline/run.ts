/**
 * The whole DARLA pipeline in one run directory (what `npm start` runs):
 *   see      pretrain the DARLA β-VAE and the β = 1 baseline on frames of every configured world,
 *            evaluate both (metrics, traversals, reconstructions)        → vision/<darla|entangled>/
 *   act      train PPO agents (darla, entangled, pixels, oracle × seeds) on `source`  → agents/<kind>-seed<s>/
 *   transfer evaluate every frozen agent on every variant                 → transfer/
 *   report   report.md and a self-contained report.html                   → ./
 * Each finished piece leaves a done.json and is skipped next time (unless --fresh); an unfinished
 * one resumes from its last checkpoint. One progress line covers the whole pipeline. Ctrl-C stops
 * after the current step with everything written so far intact.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../envs/core/errors.ts';
import { stopRequested } from '../../envs/util/interrupt.ts';
import { createProgress, type Progress } from '../../envs/util/progress.ts';
import { RunDir } from '../../envs/util/run-dir.ts';
import { writeJsonAtomic } from '../../envs/util/files.ts';
import type { PretrainConfig } from '../../vision/vae/config.ts';
import type { Objective } from '../../vision/vae/objectives.ts';
import type { PipelineConfig, AgentKind } from './config.ts';

export interface PipelineOptions {
  runDir: string;
  seed: number;
  fresh?: boolean;
  quiet?: boolean;
  backend: string;
  log: (line: string) => void;
}

export interface StageTiming {
  stage: string;
  item: string;
  seconds: number;
  skipped: boolean;
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

export function isDone(dir: string): boolean {
  return fs.existsSync(path.join(dir, DONE));
}

function markDone(dir: string, summary: Record<string, unknown>): void {
  writeJsonAtomic(path.join(dir, DONE), { finishedAt: new Date().toISOString(), ...summary });
}

/** The PretrainConfig of one of the pipeline's two encoders. */
export function visionConfig(cfg: PipelineConfig, which: 'darla' | 'entangled'): PretrainConfig {
  const v = cfg.vision;
  const objective: Objective = which === 'darla' ? v.objective : { kind: 'beta', beta: 1 };
  return {
    arch: { latents: v.latents, imageSize: 64, channels: 3, convFilters: v.convFilters, hidden: v.hidden, likelihood: 'bernoulli' },
    objective,
    data: { variants: v.variants, randomPolicyFrames: v.randomPolicyFrames, factorFrames: v.factorFrames },
    steps: v.steps,
    batchSize: v.batchSize,
    lr: v.lr,
    logEvery: Math.max(1, Math.min(25, Math.floor(v.steps / 20))),
    checkpointEvery: Math.max(1, Math.min(250, Math.floor(v.steps / 4))),
    metricsScale: v.metricsScale,
  };
}

/** Rough seconds per unit on the reference 2-core CPU, to weight one progress bar across stages. */
const COST = { visionStep: 0.5, latentEnvStep: 1 / 700, pixelsEnvStep: 1 / 250, oracleEnvStep: 1 / 1500, transferEpisode: 0.04 };

export async function runPipeline(cfg: PipelineConfig, opts: PipelineOptions): Promise<PipelineResult> {
  const { log } = opts;
  const root = new RunDir(opts.runDir);
  root.open({ kind: 'pipeline', seed: opts.seed, config: cfg, backend: opts.backend }, { resume: true, fresh: opts.fresh });
  root.updateRecord({ backend: opts.backend });
  const visionDirs = { darla: path.join(root.root, 'vision', 'darla'), entangled: path.join(root.root, 'vision', 'entangled') };
  const agentDirs = cfg.agents.kinds.flatMap((kind) => cfg.agents.seeds.map((seed) => ({ kind, seed, dir: path.join(root.root, 'agents', `${kind}-seed${seed}`) })));
  const transferDir = path.join(root.root, 'transfer');
  const timings: StageTiming[] = [];
  const result: PipelineResult = { root, completed: false, visionDirs, agentDirs, transferDir, timings };

  // ---- one progress line for everything ----------------------------------------------------------
  const agentCost = (kind: AgentKind) => (kind === 'pixels' ? cfg.agents.pixelsTotalSteps * COST.pixelsEnvStep : kind === 'oracle' ? cfg.agents.totalSteps * COST.oracleEnvStep : cfg.agents.totalSteps * COST.latentEnvStep);
  const pieces: { key: string; cost: number }[] = [
    { key: 'vision/darla', cost: cfg.vision.steps * COST.visionStep },
    { key: 'vision/entangled', cost: cfg.vision.steps * COST.visionStep },
    ...agentDirs.map((a) => ({ key: `agents/${a.kind}-seed${a.seed}`, cost: agentCost(a.kind) })),
    { key: 'transfer', cost: agentDirs.length * cfg.transfer.variants.length * cfg.transfer.seeds.length * cfg.transfer.episodes * 2 * COST.transferEpisode },
  ];
  const totalUnits = Math.max(1, Math.round(pieces.reduce((a, p) => a + p.cost, 0)));
  const before = new Map<string, number>();
  let acc = 0;
  for (const p of pieces) {
    before.set(p.key, acc);
    acc += p.cost;
  }
  const progress: Progress = createProgress({ label: 'pipeline', total: totalUnits, fields: ['stage', 'item', 'at'], quiet: opts.quiet });
  const report = (key: string, fraction: number, stage: string, at: string) => {
    const piece = pieces.find((p) => p.key === key)!;
    progress.update(Math.min(totalUnits, Math.round(before.get(key)! + piece.cost * Math.max(0, Math.min(1, fraction)))), { stage, item: key, at });
  };
  const timed = async (stage: string, item: string, skipped: boolean, fn: () => Promise<void>) => {
    const t0 = performance.now();
    await fn();
    timings.push({ stage, item, seconds: (performance.now() - t0) / 1000, skipped });
  };

  try {
    // ---- see: the two encoders -------------------------------------------------------------------
    const { pretrain } = await import('../../vision/vae/pretrain.ts');
    const { evaluateVisionRun } = await import('../../vision/vae/evaluate.ts');
    const { describeObjective } = await import('../run-pretrain.ts');
    for (const which of ['darla', 'entangled'] as const) {
      const dir = visionDirs[which];
      const key = `vision/${which}`;
      if (isDone(dir)) {
        report(key, 1, 'see', 'done');
        timings.push({ stage: 'see', item: which, seconds: 0, skipped: true });
        continue;
      }
      await timed('see', which, false, async () => {
        const vcfg = visionConfig(cfg, which);
        const r = await pretrain(vcfg, {
          runDir: dir,
          seed: opts.seed,
          resume: fs.existsSync(path.join(dir, 'config.json')),
          quiet: true,
          log,
          backend: opts.backend,
          shouldStop: stopRequested,
          onStep: (s) => report(key, s.step / vcfg.steps, 'see', `step ${s.step}/${vcfg.steps}`),
        });
        try {
          if (!r.finished) throw new Interrupted();
          report(key, 1, 'see', 'evaluating');
          const ev = await evaluateVisionRun(r.runDir, r.model, {
            scale: vcfg.metricsScale,
            seed: opts.seed,
            title: which === 'darla' ? `DARLA β-VAE (${describeObjective(vcfg)})` : 'Entangled baseline (β = 1)',
            imgPerSec: r.imgPerSec,
            steps: vcfg.steps,
            objective: describeObjective(vcfg),
            heldOutFrames: { frames: r.data.evalFrames, n: r.data.evalCount },
          });
          markDone(dir, { mig: ev.scores.mig, imgPerSec: r.imgPerSec });
          log(`see: ${which} β-VAE — MIG ${ev.scores.mig?.toFixed(3)}, ${r.imgPerSec.toFixed(0)} img/s`);
        } finally {
          r.model.dispose();
          r.trainer.dispose();
        }
      });
    }

    // ---- act: PPO agents on the source world ------------------------------------------------------
    const { trainAgent } = await import('../../agent/ppo.ts');
    for (const a of agentDirs) {
      const key = `agents/${a.kind}-seed${a.seed}`;
      if (isDone(a.dir)) {
        report(key, 1, 'act', 'done');
        timings.push({ stage: 'act', item: `${a.kind}-seed${a.seed}`, seconds: 0, skipped: true });
        continue;
      }
      await timed('act', `${a.kind}-seed${a.seed}`, false, async () => {
        const totalSteps = a.kind === 'pixels' ? cfg.agents.pixelsTotalSteps : cfg.agents.totalSteps;
        const vae = a.kind === 'darla' ? visionDirs.darla : a.kind === 'entangled' ? visionDirs.entangled : undefined;
        const r = await trainAgent(
          { ...cfg.agents.overrides, frontend: a.kind, vae, seed: a.seed, totalSteps, numEnvs: cfg.agents.numEnvs, numSteps: cfg.agents.numSteps, variant: 'source' },
          {
            runDir: a.dir,
            resume: fs.existsSync(path.join(a.dir, 'config.json')),
            log: () => {},
            onProgress: (p) => {
              if (stopRequested()) throw new Interrupted();
              report(key, p.globalStep / totalSteps, 'act', `${p.globalStep}/${totalSteps} steps, return ${Number.isFinite(p.episodicReturn) ? p.episodicReturn.toFixed(2) : '-'}`);
            },
          },
        );
        const success = r.finalEval?.successRate ?? null;
        markDone(a.dir, { globalStep: r.globalStep, sps: r.sps, finalReturn: r.finalEval?.meanReturn ?? null, successRate: success });
        log(`act: ${a.kind} seed ${a.seed} — ${r.globalStep} steps at ${r.sps.toFixed(0)} steps/s, eval return ${r.finalEval?.meanReturn.toFixed(2) ?? 'n/a'}, success ${success === null ? 'n/a' : (100 * success).toFixed(0) + '%'}`);
      });
    }

    // ---- transfer: frozen agents on every variant -------------------------------------------------
    if (!isDone(transferDir)) {
      await timed('transfer', 'all', false, async () => {
        const { runTransfer } = await import('../../agent/transfer.ts');
        const total = agentDirs.length * cfg.transfer.variants.length;
        await runTransfer({
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
      timings.push({ stage: 'transfer', item: 'all', seconds: 0, skipped: true });
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
  }

  // ---- report ----------------------------------------------------------------------------------------
  const { writePipelineReport } = await import('./report.ts');
  const previous = readTimings(root);
  const merged = mergeTimings(previous, timings);
  root.writeJson('timings.json', merged);
  await writePipelineReport(root, cfg, { visionDirs, agentDirs, transferDir, timings: merged, seed: opts.seed });
  return result;
}

/** Timings of earlier invocations, so a resumed pipeline reports the time each piece really took. */
function readTimings(root: RunDir): StageTiming[] {
  const file = path.join(root.root, 'timings.json');
  if (!fs.existsSync(file)) return [];
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as StageTiming[];
  } catch {
    return [];
  }
}

function mergeTimings(previous: StageTiming[], now: StageTiming[]): StageTiming[] {
  const out = new Map<string, StageTiming>();
  for (const t of previous) out.set(`${t.stage}/${t.item}`, t);
  for (const t of now) {
    const k = `${t.stage}/${t.item}`;
    if (t.skipped && out.has(k)) continue;
    out.set(k, t);
  }
  return [...out.values()];
}

/** Refuses flags that make no sense together before any work starts. */
export function checkPipelineFlags(flags: { fresh: boolean; runDir: string }): void {
  if (flags.runDir.trim() === '') throw new UserError('--run-dir must not be empty', '--run-dir');
}
