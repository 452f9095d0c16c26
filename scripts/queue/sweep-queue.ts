/**
 * A sweep on the queue, seen from the command line: enqueue one BullMQ job per (β, seed) with a
 * deterministic id (so the same command adds nothing twice), list a sweep's jobs with where and how
 * far each runs, wait for them with a progress bar, and turn completed and failed jobs into the
 * sweep report (their return values are the points: no shared disk needed). Loaded only with --queue.
 */
import { Queue, type Job } from 'bullmq';
import { createHash } from 'node:crypto';
import { stableStringify } from '../../envs/util/run-dir.ts';
import { createProgress } from '../../envs/util/progress.ts';
import type { PipelineConfig } from '../pipeline/config.ts';
import type { FailedPoint, SweepPointJob, SweepPointResult, SweepReportMeta } from '../pipeline/sweep.ts';
import { connectionOptions, QUEUE_NAME, type QueueTarget } from './connection.ts';

/** The name of a sweep point job (the only job kind a worker runs). */
export const SWEEP_POINT = 'sweep-point';

/** What a worker returns for a sweep point: the point, plus who ran it and when. */
export interface SweepJobReturn extends SweepPointResult {
  worker: { id: string; startedAt: number; finishedAt: number };
}

/** Job progress, as the worker's sandboxed processor reports it. */
export interface SweepJobProgress {
  worker: string;
  stage: string;
  step: number;
  total: number;
}

type SweepJob = Job<SweepPointJob, SweepJobReturn, string>;

/** A sweep id from its recipe and backend: the same command names the same sweep. */
export function defaultSweepId(base: PipelineConfig, backend: string): string {
  return `sweep-${createHash('sha256').update(stableStringify({ base, backend })).digest('hex').slice(0, 10)}`;
}

/** The deterministic job id of one point (BullMQ refuses ':' in custom ids). */
export function sweepJobId(sweepId: string, beta: number, seed: number): string {
  return `${sweepId}-beta${beta}-seed${seed}`;
}

export function openQueue(target: QueueTarget): Queue<SweepPointJob, SweepJobReturn, string> {
  return new Queue<SweepPointJob, SweepJobReturn, string>(QUEUE_NAME, { connection: connectionOptions(target) });
}

export interface EnqueueOptions {
  /** Tries per job before it counts as failed (a stalled job retaken after a dead worker is not a try). */
  attempts: number;
  /** Delay before a failed try is retried, in ms. */
  backoffMs?: number;
}

/** Adds each point's job unless a job with its id exists; returns which ids were added and which were there. */
export async function enqueuePoints(queue: Queue<SweepPointJob, SweepJobReturn, string>, points: readonly SweepPointJob[], opts: EnqueueOptions): Promise<{ added: string[]; existing: string[] }> {
  const added: string[] = [];
  const existing: string[] = [];
  for (const p of points) {
    const jobId = sweepJobId(p.sweepId, p.beta, p.seed);
    if ((await queue.getJob(jobId)) !== undefined) {
      existing.push(jobId);
      continue;
    }
    // add() with an id already present is a no-op in BullMQ, so two racing enqueues still add once.
    await queue.add(SWEEP_POINT, p, { jobId, attempts: opts.attempts, backoff: { type: 'fixed', delay: opts.backoffMs ?? 2000 }, removeOnComplete: false, removeOnFail: false });
    added.push(jobId);
  }
  return { added, existing };
}

const STATES = ['active', 'waiting', 'prioritized', 'delayed', 'completed', 'failed'] as const;

export interface SweepJobState {
  id: string;
  beta: number;
  seed: number;
  state: string;
  progress: SweepJobProgress | null;
  result: SweepJobReturn | null;
  error: string | null;
  attempts: number;
  data: SweepPointJob;
  timestamp: number;
  processedOn: number | null;
  finishedOn: number | null;
}

/** Every job of one sweep (or of all sweeps without an id), in β then seed order, with its state. */
export async function sweepJobs(queue: Queue<SweepPointJob, SweepJobReturn, string>, sweepId?: string): Promise<SweepJobState[]> {
  const out: SweepJobState[] = [];
  for (const state of STATES) {
    const jobs = (await queue.getJobs([state], 0, -1)) as SweepJob[];
    for (const job of jobs) {
      if (job === undefined || job === null || job.name !== SWEEP_POINT || job.id === undefined) continue;
      const data = job.data;
      if (sweepId !== undefined && data?.sweepId !== sweepId) continue;
      if (out.some((o) => o.id === job.id)) continue; // a job moving between states while we list
      const progress = typeof job.progress === 'object' && job.progress !== null && 'worker' in job.progress ? (job.progress as unknown as SweepJobProgress) : null;
      out.push({
        id: job.id,
        beta: data?.beta,
        seed: data?.seed,
        state,
        progress,
        result: state === 'completed' ? (job.returnvalue ?? null) : null,
        error: state === 'failed' ? (job.failedReason ?? 'failed') : null,
        attempts: job.attemptsMade,
        data,
        timestamp: job.timestamp,
        processedOn: job.processedOn ?? null,
        finishedOn: job.finishedOn ?? null,
      });
    }
  }
  return out.sort((a, b) => (a.data?.sweepId ?? '').localeCompare(b.data?.sweepId ?? '') || a.beta - b.beta || a.seed - b.seed);
}

/** One line per job: state, worker and progress, or the result's MIG, or the error. */
export function formatStatus(jobs: readonly SweepJobState[]): string {
  if (jobs.length === 0) return 'no sweep jobs in the queue';
  return jobs
    .map((j) => {
      const what = `${j.data?.sweepId ?? '?'}  β=${j.beta} seed ${j.seed}  ${j.state.padEnd(9)}`;
      if (j.state === 'active' && j.progress !== null) return `${what}  on ${j.progress.worker}  ${j.progress.stage} ${j.progress.step}/${j.progress.total}`;
      if (j.state === 'completed' && j.result !== null) return `${what}  by ${j.result.worker?.id ?? '?'}  MIG ${typeof j.result.scores.mig === 'number' ? j.result.scores.mig.toFixed(3) : 'n/a'}  ${j.result.runDir}`;
      if (j.state === 'failed') return `${what}  after ${j.attempts} attempt(s): ${(j.error ?? '').split('\n')[0]}`;
      return what;
    })
    .join('\n');
}

/** The sweep ids present in the queue. */
export function sweepIds(jobs: readonly SweepJobState[]): string[] {
  return [...new Set(jobs.map((j) => j.data?.sweepId).filter((s): s is string => typeof s === 'string'))].sort();
}

/** The report's inputs from a sweep's jobs: completed ones are points, failed ones are listed. */
export function reportInputs(jobs: readonly SweepJobState[]): { meta: SweepReportMeta; points: SweepJobReturn[]; failed: FailedPoint[]; pending: number } {
  const points = jobs.filter((j) => j.state === 'completed' && j.result !== null).map((j) => j.result as SweepJobReturn);
  const failed = jobs.filter((j) => j.state === 'failed').map((j) => ({ beta: j.beta, seed: j.seed, error: j.error ?? 'failed', attempts: j.attempts }));
  const betas = [...new Set(jobs.map((j) => j.beta))].sort((a, b) => a - b);
  const seeds = [...new Set(jobs.map((j) => j.seed))].sort((a, b) => a - b);
  return { meta: { betas, seeds, base: jobs[0].data.base }, points, failed, pending: jobs.length - points.length - failed.length };
}

/** Polls until every listed job completed or failed, with a progress bar over finished jobs. */
export async function waitForJobs(queue: Queue<SweepPointJob, SweepJobReturn, string>, sweepId: string, ids: readonly string[], opts: { quiet?: boolean; pollMs?: number; log?: (line: string) => void }): Promise<SweepJobState[]> {
  const progress = createProgress({ label: 'sweep', total: ids.length, fields: ['running'], quiet: opts.quiet });
  const wanted = new Set(ids);
  try {
    for (;;) {
      const jobs = (await sweepJobs(queue, sweepId)).filter((j) => wanted.has(j.id));
      const finished = jobs.filter((j) => j.state === 'completed' || j.state === 'failed').length;
      const running = jobs.filter((j) => j.state === 'active').map((j) => (j.progress ? `β=${j.beta}/s${j.seed} ${j.progress.stage} ${j.progress.step}/${j.progress.total} on ${j.progress.worker}` : `β=${j.beta}/s${j.seed}`));
      progress.update(finished, { running: running.join(', ') || '-' });
      if (finished === ids.length) return jobs;
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
    }
  } finally {
    progress.stop();
  }
}
