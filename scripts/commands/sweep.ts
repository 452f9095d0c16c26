/**
 * `darla sweep` — the β sweep behind DARLA's correlation claim (scripts/pipeline/sweep.ts): for each
 * β and seed a β-VAE, a DARLA agent on its μ, and its zero-shot transfer; the report plots MIG
 * against the target/source success ratio. Sized by a pipeline preset (its vision, agent and
 * transfer budgets); runs outside `npm start`. Flags are validated before any work.
 * With --queue, the points go to a Redis queue as jobs for `darla worker`s (scripts/queue) instead
 * of the local pool; `darla sweep status` and `darla sweep report` read them back.
 */
import os from 'node:os';
import { Option, type Command } from 'commander';
import { UserError } from '../../envs/core/errors.ts';
import type { SweepConfig } from '../pipeline/sweep.ts';
import { backendOption, intInRange, type BackendChoice } from '../cli/options.ts';

interface SweepFlags {
  betas: string;
  seeds: string;
  preset: 'default' | 'tiny';
  visionSteps?: number;
  agentSteps?: number;
  runDir: string;
  fresh: boolean;
  jobs: number;
  backend: BackendChoice;
  queue?: string;
  wait: boolean;
  sweepId?: string;
  attempts: number;
  quiet: boolean;
}

interface QueueReadFlags {
  queue: string;
  sweepId?: string;
  runDir: string;
}

/** "1,2,4" → [1, 2, 4], each checked; the flag is named in the error. */
function numberList(raw: string, flag: string, check: (x: number) => boolean, what: string): number[] {
  const parts = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0) throw new UserError(`${flag}: give a comma-separated list of ${what}`, flag);
  return parts.map((p) => {
    const x = Number(p);
    if (!Number.isFinite(x) || !check(x)) throw new UserError(`${flag}: '${p}' is not ${what}`, flag);
    return x;
  });
}

export function register(program: Command): void {
  const sweep = program
    .command('sweep')
    .description('β sweep: β-VAEs at several β × seeds, a DARLA agent on each, zero-shot transfer; plots MIG against the transfer ratio')
    .option('--betas <list>', 'comma-separated β values', '1,2,4,8,16')
    .option('--seeds <list>', 'comma-separated seeds (one vision and one agent per β and seed)', '0,1')
    .addOption(new Option('--preset <name>', "the pipeline preset whose budgets each piece uses (vision steps, agent steps, transfer targets)").choices(['default', 'tiny']).default('default'))
    .option('--vision-steps <n>', "β-VAE training steps (default: the preset's)", intInRange(1))
    .option('--agent-steps <n>', "env steps per agent (default: the preset's)", intInRange(1))
    .option('--run-dir <dir>', 'where everything is written', 'runs/sweep')
    .option('--fresh', 'replace the sweep run in --run-dir with a new one (nothing but a darla run is ever deleted)', false)
    .option('--jobs <n>', 'trainings run side by side as child processes, one wasm thread each (default: CPU cores)', intInRange(1, 64), os.cpus().length)
    .addOption(backendOption())
    .option('--queue <url>', 'enqueue one job per (β, seed) on this Redis (redis://[user:password@]host:port) for `darla worker`s instead of training here')
    .option('--wait', 'with --queue: wait for the jobs (progress bar), then write the report to --run-dir', false)
    .option('--sweep-id <id>', "with --queue: the sweep's name (default: derived from its recipe, so the same command names the same sweep)")
    .option('--attempts <n>', 'with --queue: tries per job before it counts as failed', intInRange(1, 100), 2)
    .option('--quiet', 'with --queue --wait: no progress bar', false)
    .enablePositionalOptions()
    .action(async (flags: SweepFlags) => {
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const betas = numberList(flags.betas, '--betas', (x) => x >= 0, 'a number >= 0');
      const seeds = numberList(flags.seeds, '--seeds', (x) => Number.isInteger(x) && x >= 0, 'an integer >= 0');
      if (new Set(betas).size !== betas.length) throw new UserError('--betas: each β once', '--betas');
      if (new Set(seeds).size !== seeds.length) throw new UserError('--seeds: each seed once', '--seeds');
      if (betas.length < 2) throw new UserError('--betas: a sweep needs at least two β values', '--betas');
      if (flags.queue === undefined && flags.wait) throw new UserError('--wait needs --queue', '--queue');
      if (flags.queue === undefined && flags.sweepId !== undefined) throw new UserError('--sweep-id needs --queue', '--queue');
      if (flags.queue !== undefined && flags.fresh) throw new UserError("--fresh: a queued sweep's runs are on the workers; give another --sweep-id for a new sweep", '--fresh');
      const { PRESETS } = await import('../pipeline/config.ts');
      const preset = PRESETS[flags.preset];
      const base = {
        ...preset,
        // The sweep trains its own encoders: that is what it measures.
        vision: { ...preset.vision, from: 'train' as const, ...(flags.visionSteps !== undefined ? { steps: flags.visionSteps } : {}) },
        agents: { ...preset.agents, ...(flags.agentSteps !== undefined ? { totalSteps: flags.agentSteps } : {}) },
      };
      const { SweepConfigSchema, runSweep, sweepRunRecord } = await import('../pipeline/sweep.ts');
      const config = SweepConfigSchema.parse({ betas, seeds, base });
      if (flags.queue !== undefined) {
        process.exitCode = await enqueueSweep(config, flags, log);
        return;
      }
      const { RunDir } = await import('../../envs/util/run-dir.ts');
      new RunDir(flags.runDir).check(sweepRunRecord(config), { resume: 'auto', fresh: flags.fresh });
      const { selectBackend } = await import('../../vision/compute/backend.ts');
      const backend = await selectBackend(flags.backend, { log });
      const { installInterruptHandlers } = await import('../../envs/util/interrupt.ts');
      installInterruptHandlers(log);
      const t0 = performance.now();
      const points = await runSweep(config, { runDir: flags.runDir, fresh: flags.fresh, backend: backend.name, jobs: flags.jobs, log });
      if (points === 'stopped') {
        log('sweep stopped; everything written so far is intact. Run the same command again to resume.');
        process.exitCode = 130;
        return;
      }
      log(`sweep finished in ${((performance.now() - t0) / 60000).toFixed(1)} min · report: ${flags.runDir}/report.md`);
      process.stdout.write(JSON.stringify({ runDir: flags.runDir, points }) + '\n');
    });
  registerQueueReaders(sweep);
}

/**
 * --queue: one job per (β, seed) with a deterministic id; returns at once, or with --wait polls until
 * every job finished and writes the report. The URL is checked first: nothing is enqueued or written
 * when Redis cannot be used. Exit code: 0, or 1 when a job failed (listed in the report).
 */
async function enqueueSweep(config: SweepConfig, flags: SweepFlags, log: (line: string) => void): Promise<number> {
  const { parseQueueUrl, checkQueueReachable } = await import('../queue/connection.ts');
  const target = parseQueueUrl(flags.queue as string);
  if (flags.sweepId !== undefined) {
    const { SweepPointJobSchema } = await import('../pipeline/sweep.ts');
    const ok = SweepPointJobSchema.shape.sweepId.safeParse(flags.sweepId);
    if (!ok.success) throw new UserError(`--sweep-id: ${ok.error.issues[0].message}`, '--sweep-id');
  }
  const warning = await checkQueueReachable(target);
  if (warning !== null) log(`warning: ${warning}`);
  const { defaultSweepId, enqueuePoints, openQueue, sweepJobId, waitForJobs } = await import('../queue/sweep-queue.ts');
  const sweepId = flags.sweepId ?? defaultSweepId(config.base, flags.backend);
  const points = config.betas.flatMap((beta) => config.seeds.map((seed) => ({ sweepId, beta, seed, base: config.base, backend: flags.backend })));
  const queue = openQueue(target);
  try {
    const { added, existing } = await enqueuePoints(queue, points, { attempts: flags.attempts });
    log(`sweep ${sweepId}: ${added.length} job(s) enqueued, ${existing.length} already in the queue, on ${target.redacted}`);
    if (!flags.wait) {
      log(`workers: darla worker --queue <url>; progress: darla sweep status --queue <url> --sweep-id ${sweepId}; report: darla sweep report --queue <url> --sweep-id ${sweepId}`);
      process.stdout.write(JSON.stringify({ sweepId, added, existing }) + '\n');
      return 0;
    }
    const jobs = await waitForJobs(queue, sweepId, points.map((p) => sweepJobId(sweepId, p.beta, p.seed)), { quiet: flags.quiet });
    return await writeQueueReport(jobs, flags.runDir, sweepId, log);
  } finally {
    await queue.close();
  }
}

/** Writes the report of a sweep's finished jobs to `runDir`; prints its points; 1 when some failed. */
async function writeQueueReport(jobs: import('../queue/sweep-queue.ts').SweepJobState[], runDir: string, sweepId: string, log: (line: string) => void): Promise<number> {
  const { reportInputs } = await import('../queue/sweep-queue.ts');
  const { writeSweepReport } = await import('../pipeline/sweep.ts');
  const { meta, points, failed, pending } = reportInputs(jobs);
  const fs = await import('node:fs');
  fs.mkdirSync(runDir, { recursive: true });
  await writeSweepReport(runDir, meta, points, failed);
  log(`sweep ${sweepId}: ${points.length} point(s) completed, ${failed.length} failed, ${pending} not finished · report: ${runDir}/report.md`);
  for (const f of failed) log(`  failed: β=${f.beta} seed ${f.seed} after ${f.attempts} attempt(s): ${f.error.split('\n')[0]}`);
  process.stdout.write(JSON.stringify({ runDir, sweepId, points, failed, pending }) + '\n');
  return failed.length > 0 ? 1 : 0;
}

/** The queue's sweep jobs (one sweep's with --sweep-id; the only sweep's without, else a UserError listing them). */
async function readSweep(flags: QueueReadFlags, requireOne: boolean) {
  const { parseQueueUrl, checkQueueReachable } = await import('../queue/connection.ts');
  const target = parseQueueUrl(flags.queue);
  await checkQueueReachable(target);
  const { openQueue, sweepJobs, sweepIds } = await import('../queue/sweep-queue.ts');
  const queue = openQueue(target);
  try {
    const jobs = await sweepJobs(queue, flags.sweepId);
    const ids = sweepIds(jobs);
    if (requireOne && flags.sweepId === undefined && ids.length > 1) throw new UserError(`--sweep-id: the queue holds several sweeps (${ids.join(', ')}); name one`, '--sweep-id');
    if (requireOne && jobs.length === 0) throw new UserError(`--sweep-id: no jobs of ${flags.sweepId ?? 'any sweep'} in the queue at ${target.redacted}`, '--sweep-id');
    return { jobs, sweepId: flags.sweepId ?? ids[0] ?? '' };
  } finally {
    await queue.close();
  }
}

function registerQueueReaders(sweep: Command): void {
  sweep
    .command('status')
    .description('what each sweep job in the queue is doing: waiting, running where and how far, completed (MIG), failed (error)')
    .requiredOption('--queue <url>', 'the Redis server: redis://[user:password@]host:port')
    .option('--sweep-id <id>', 'only this sweep')
    .action(async (flags: QueueReadFlags) => {
      const { formatStatus } = await import('../queue/sweep-queue.ts');
      const { jobs } = await readSweep(flags, false);
      process.stdout.write(formatStatus(jobs) + '\n');
    });
  sweep
    .command('report')
    .description("the sweep report (table, MIG-against-transfer scatter, failed points) from the queue's completed and failed jobs")
    .requiredOption('--queue <url>', 'the Redis server: redis://[user:password@]host:port')
    .option('--sweep-id <id>', 'which sweep (needed when the queue holds several)')
    .option('--run-dir <dir>', 'where report.md, sweep.json and images/ are written', 'runs/sweep')
    .action(async (flags: QueueReadFlags) => {
      const { jobs, sweepId } = await readSweep(flags, true);
      process.exitCode = await writeQueueReport(jobs, flags.runDir, sweepId, (line) => process.stderr.write(`${line}\n`));
    });
}
