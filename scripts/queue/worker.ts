/**
 * `darla worker`'s loop: a BullMQ Worker on the darla queue whose jobs run in sandboxed child
 * processes (processor.js), so the worker process only renews locks and reports. A job whose lock
 * is not renewed (this worker was killed) is moved back by another worker's stalled check and
 * resumes from its runs' checkpoints there. Ctrl-C (or SIGTERM) stops taking jobs and exits; the
 * running ones go back to the queue the same way when their locks expire.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'bullmq';
import { connectionOptions, QUEUE_NAME, type QueueTarget } from './connection.ts';
import { RUNS_DIR_ENV, WORKER_ID_ENV } from './process-job.ts';

export interface WorkerOptions {
  target: QueueTarget;
  concurrency: number;
  runsDir: string;
  /** How long a job's lock lives without renewal (ms): how soon a dead worker's job is retaken. */
  lockDurationMs: number;
  /** How often this worker looks for stalled jobs (ms). */
  stalledIntervalMs: number;
  log: (line: string) => void;
}

const PROCESSOR = fileURLToPath(new URL('./processor.js', import.meta.url));

/** Runs until SIGINT/SIGTERM, then exits the process (code 130). */
export async function runWorker(opts: WorkerOptions): Promise<never> {
  const id = `${os.hostname()}:${process.pid}`;
  // The sandboxed children inherit this environment (fork's default).
  process.env[RUNS_DIR_ENV] = path.resolve(opts.runsDir);
  process.env[WORKER_ID_ENV] = id;
  // Jobs side by side share the cores: one wasm thread each (as the local pool does).
  if (opts.concurrency > 1) process.env.DARLA_WASM_THREADS ??= '1';
  const worker = new Worker(QUEUE_NAME, PROCESSOR, {
    connection: connectionOptions(opts.target),
    concurrency: opts.concurrency,
    lockDuration: opts.lockDurationMs,
    stalledInterval: opts.stalledIntervalMs,
    // A job may lose its worker twice (kill -9, a machine gone) and still be retaken.
    maxStalledCount: 2,
    name: id,
  });
  worker.on('active', (job) => opts.log(`worker ${id}: started ${job.id}`));
  worker.on('completed', (job) => opts.log(`worker ${id}: completed ${job.id}`));
  worker.on('failed', (job, err) => opts.log(`worker ${id}: ${job?.id ?? 'a job'} failed (attempt ${job?.attemptsMade ?? '?'}): ${err.message.split('\n')[0]}`));
  worker.on('error', (err) => opts.log(`worker ${id}: ${err.message}`));
  await worker.waitUntilReady();
  opts.log(`worker ${id}: waiting for jobs on ${opts.target.redacted} (concurrency ${opts.concurrency}, runs in ${path.resolve(opts.runsDir)})`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  opts.log(`worker ${id}: stopping; a job it was running goes back to the queue when its lock expires and resumes from its checkpoint`);
  // Exit without waiting (trainings may take hours) and without reporting the children's stop as a
  // failure (it would use up an attempt): the locks expire and another worker resumes the jobs.
  // The sandboxed children and their trainings exit with this process (processor.js).
  process.exit(130);
}
