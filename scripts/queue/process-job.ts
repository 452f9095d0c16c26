/**
 * What a worker's sandboxed child does with one job: validates its payload with the sweep's own
 * schema (a job that fails validation fails at once with the message, never retried), then runs the
 * sweep's job function (scripts/pipeline/sweep.ts) under the worker's --runs-dir, reporting its
 * stage and step as job progress; the return value is the point plus who ran it and when. A
 * pipeline's agent and transfer jobs (`darla demo --queue`) go to scripts/queue/pipeline-jobs.ts.
 */
import os from 'node:os';
import path from 'node:path';
import { UnrecoverableError, type SandboxedJob } from 'bullmq';
import { SweepPointJobSchema, sweepPoint } from '../pipeline/sweep.ts';
import { SWEEP_POINT, type SweepJobProgress, type SweepJobReturn } from './sweep-queue.ts';
import { PIPELINE_AGENT, PIPELINE_TRANSFER, runPipelineJob, type PipelineJobReturn } from './pipeline-jobs.ts';

/** Environment the worker sets for its sandboxed children. */
export const RUNS_DIR_ENV = 'DARLA_WORKER_RUNS_DIR';
export const WORKER_ID_ENV = 'DARLA_WORKER_ID';

export async function processJob(job: SandboxedJob): Promise<SweepJobReturn | PipelineJobReturn> {
  const startedAt = Date.now();
  const runsDir = process.env[RUNS_DIR_ENV];
  if (runsDir === undefined) throw new Error(`${RUNS_DIR_ENV} is not set (the processor runs under darla worker)`);
  const worker = process.env[WORKER_ID_ENV] ?? `${os.hostname()}:${process.pid}`;
  if (job.name === PIPELINE_AGENT || job.name === PIPELINE_TRANSFER) return runPipelineJob(job, runsDir, worker);
  if (job.name !== SWEEP_POINT) throw new UnrecoverableError(`unknown job kind '${job.name}' (this worker runs ${SWEEP_POINT}, ${PIPELINE_AGENT} and ${PIPELINE_TRANSFER} jobs)`);
  const parsed = SweepPointJobSchema.safeParse(job.data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new UnrecoverableError(`invalid job payload: ${issues}`);
  }
  const report = (p: SweepJobProgress) => job.updateProgress(p as unknown as Record<string, unknown>);
  await report({ worker, stage: 'starting', step: 0, total: 0 });
  let last = 0;
  const result = await sweepPoint(parsed.data, {
    root: path.join(runsDir, parsed.data.sweepId),
    log: (line) => process.stderr.write(`${line}\n`),
    onProgress: (p) => {
      if (Date.now() - last < 1000) return;
      last = Date.now();
      void report({ worker, ...p });
    },
  });
  return { ...result, worker: { id: worker, startedAt, finishedAt: Date.now() } };
}
