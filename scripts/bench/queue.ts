/**
 * What the queue costs (a benchmark script, not a CI test): one tiny sweep run by the local pool
 * (`darla sweep --jobs 2`) and the same sweep on a throwaway loopback Redis with two `darla worker`
 * processes (concurrency 1 each) on this machine, wall-clock against wall-clock; then the per-job
 * overhead of the queue, from BullMQ's own timestamps and the worker's:
 *   pickup     enqueued (or its worker free again) → a worker takes the job (→ processedOn)
 *   sandbox    taken → the job function starts in the sandboxed child: cold (fork, tsx, imports)
 *              for a worker's first job, warm (the child reused) after
 *   return     the job function returns → the job is completed in Redis (finishedOn)
 *   seen       completed → this process sees it (polling every 50 ms)
 *   report     all jobs fetched and the report written
 * and a round trip of jobs that do no work (their points' completion markers exist: a redelivery).
 * On one 2-core machine the speed-up cannot exceed about 1 — both run two trainings at a time;
 * the queue pays off across machines. Needs redis-server (Debian: apt-get install redis-server).
 *
 *   npx tsx scripts/bench/queue.ts [--betas 1,4] [--seeds 0,1] [--vision-steps 8] [--out docs/bench/queue.json]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { writeFileAtomic } from '../../envs/util/files.ts';
import { machineInfo } from '../commands/bench.ts';
import { PRESETS } from '../pipeline/config.ts';
import { writeSweepReport, type SweepPointJob } from '../pipeline/sweep.ts';
import { intInRange } from '../cli/options.ts';
import { parseQueueUrl } from '../queue/connection.ts';
import { enqueuePoints, openQueue, reportInputs, sweepJobs, type SweepJobState } from '../queue/sweep-queue.ts';
import { startRedis } from '../queue/throwaway-redis.ts';

const program = new Command('bench-queue')
  .option('--betas <list>', 'β values', '1,4')
  .option('--seeds <list>', 'seeds', '0,1')
  .option('--vision-steps <n>', 'β-VAE steps per point (tiny preset otherwise)', intInRange(1), 8)
  .option('--out <file>', 'also write the result JSON here')
  .parse();
const opts = program.opts<{ betas: string; seeds: string; visionSteps: number; out?: string }>();
const betas = opts.betas.split(',').map(Number);
const seeds = opts.seeds.split(',').map(Number);
const log = (line: string) => process.stderr.write(`${line}\n`);
const BIN = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../bin/darla.js');
const ENV = { ...process.env, DARLA_WASM_THREADS: '1' };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-queue-'));
const base = { ...PRESETS.tiny, vision: { ...PRESETS.tiny.vision, steps: opts.visionSteps } };
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function run(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: ENV, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('close', (code) => (code === 0 ? resolve(0) : reject(new Error(`darla ${args[0]} exited with ${code}`))));
  });
}

// ---- the local pool ----------------------------------------------------------------------------
log(`local pool: ${betas.length} β × ${seeds.length} seeds, --jobs 2`);
let t0 = performance.now();
await run(['sweep', '--preset', 'tiny', '--betas', opts.betas, '--seeds', opts.seeds, '--vision-steps', String(opts.visionSteps), '--jobs', '2', '--backend', 'wasm', '--run-dir', path.join(tmp, 'local')]);
const localSeconds = (performance.now() - t0) / 1000;
log(`local pool: ${localSeconds.toFixed(1)} s`);

// ---- the queue: two workers on this machine -------------------------------------------------------
const redis = await startRedis();
const workers: ChildProcess[] = [];
try {
  const target = parseQueueUrl(redis.url);
  const ready = (child: ChildProcess) => new Promise<void>((resolve) => child.stderr!.on('data', (c: Buffer) => c.toString().includes('waiting for jobs') && resolve()));
  for (let i = 0; i < 2; i++) {
    const w = spawn(process.execPath, [BIN, 'worker', '--queue', redis.url, '--concurrency', '1', '--runs-dir', path.join(tmp, 'workers')], { env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
    workers.push(w);
  }
  await Promise.all(workers.map(ready));
  const queue = openQueue(target);
  const points = (sweepId: string): SweepPointJob[] => betas.flatMap((beta) => seeds.map((seed) => ({ sweepId, beta, seed, base, backend: 'wasm' as const })));
  /** Enqueues, then polls every 50 ms; returns the jobs and when each was first seen finished. */
  const sweep = async (sweepId: string) => {
    const seen = new Map<string, number>();
    const start = performance.now();
    const { added } = await enqueuePoints(queue, points(sweepId), { attempts: 1 });
    let jobs: SweepJobState[] = [];
    while (seen.size < added.length) {
      jobs = await sweepJobs(queue, sweepId);
      for (const j of jobs) if ((j.state === 'completed' || j.state === 'failed') && !seen.has(j.id)) seen.set(j.id, Date.now());
      await new Promise((r) => setTimeout(r, 50));
    }
    return { jobs, seen, seconds: (performance.now() - start) / 1000 };
  };
  log('queue: 2 workers, concurrency 1 each');
  const trained = await sweep('bench');
  log(`queue: ${trained.seconds.toFixed(1)} s`);
  const failed = trained.jobs.filter((j) => j.state !== 'completed');
  if (failed.length > 0) throw new Error(`jobs failed: ${failed.map((j) => `${j.id}: ${j.error}`).join('; ')}`);
  t0 = performance.now();
  const inputs = reportInputs(await sweepJobs(queue, 'bench'));
  await writeSweepReport(path.join(tmp, 'report'), inputs.meta, inputs.points, inputs.failed);
  const reportMs = performance.now() - t0;
  const perJob = (jobs: SweepJobState[], seen: Map<string, number>) => {
    // A job waits in the queue while both workers are busy: pickup counts from when it was enqueued
    // or its worker became free, whichever is later. The first job on a worker forks its sandboxed
    // child (cold); later ones reuse it (warm).
    const pickup: number[] = [];
    const cold: number[] = [];
    const warm: number[] = [];
    const byWorker = new Map<string, SweepJobState[]>();
    for (const j of jobs) byWorker.set(j.result?.worker.id ?? '?', [...(byWorker.get(j.result?.worker.id ?? '?') ?? []), j]);
    for (const list of byWorker.values()) {
      list.sort((a, b) => (a.processedOn ?? 0) - (b.processedOn ?? 0));
      list.forEach((j, i) => {
        const free = i === 0 ? j.timestamp : Math.max(j.timestamp, list[i - 1].finishedOn ?? 0);
        pickup.push((j.processedOn ?? Number.NaN) - free);
        (i === 0 ? cold : warm).push((j.result?.worker.startedAt ?? Number.NaN) - (j.processedOn ?? Number.NaN));
      });
    }
    return {
      pickup_ms: median(pickup),
      sandbox_cold_ms: median(cold),
      sandbox_warm_ms: median(warm),
      return_ms: median(jobs.map((j) => (j.finishedOn ?? Number.NaN) - (j.result?.worker.finishedAt ?? Number.NaN))),
      seen_ms: median(jobs.map((j) => (seen.get(j.id) ?? Number.NaN) - (j.finishedOn ?? Number.NaN))),
    };
  };
  const trainedOverhead = perJob(trained.jobs, trained.seen);

  // ---- jobs that do no work: the same points under a new id, their completion markers copied ----
  fs.cpSync(path.join(tmp, 'workers', 'bench', 'results'), path.join(tmp, 'workers', 'noop', 'results'), { recursive: true });
  const noop = await sweep('noop');
  await queue.close();

  const result = {
    suite: 'queue',
    backend: 'wasm',
    machine: machineInfo(),
    metrics: {
      jobs: trained.jobs.length,
      local_pool_seconds: Number(localSeconds.toFixed(2)),
      queue_two_workers_seconds: Number(trained.seconds.toFixed(2)),
      speedup_two_workers_vs_local: Number((localSeconds / trained.seconds).toFixed(3)),
      ...Object.fromEntries(Object.entries(trainedOverhead).map(([k, v]) => [`job_${k}`, Math.round(v)])),
      report_ms: Math.round(reportMs),
      noop_jobs_seconds: Number(noop.seconds.toFixed(2)),
      noop_job_pickup_ms: Math.round(perJob(noop.jobs, noop.seen).pickup_ms),

    },
    details: {
      command: `npx tsx scripts/bench/queue.ts --betas ${opts.betas} --seeds ${opts.seeds} --vision-steps ${opts.visionSteps}`,
      sizes: `tiny preset, ${opts.visionSteps} β-VAE steps, ${base.agents.totalSteps} agent env steps per point`,
      note: 'Both runs train two points at a time on the same cores (DARLA_WASM_THREADS=1), so a speed-up near 1 is expected on one machine; the queue helps when workers run on several machines. Medians over jobs; *_ms of one job, wall clock, one machine. noop: the same points again under a new sweep id with their completion markers in place, so each job only travels the queue and the sandbox.',
      date: new Date().toISOString(),
    },
  };
  for (const [k, v] of Object.entries(result.metrics)) log(`${k.padEnd(34)} ${v}`);
  if (opts.out !== undefined) writeFileAtomic(opts.out, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(JSON.stringify(result) + '\n');
} finally {
  for (const w of workers) w.kill('SIGTERM');
  await redis.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}
