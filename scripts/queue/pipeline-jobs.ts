/**
 * The pipeline's act stage on the queue (`darla demo --queue`): each agent training is a BullMQ job
 * that a `darla worker` runs as the same `darla train-agent` child the local pool would start, in
 * the pipeline's own run directory. That directory must be on a folder the workers share, at the
 * same path, inside their --runs-dir (the agents read the pipeline's encoders and configs from it
 * and write their runs into it); a worker refuses a job whose run directory is anywhere else. The
 * job returns the child's summary line, so the pipeline finishes each piece as after a local run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { Queue, UnrecoverableError, type SandboxedJob } from 'bullmq';
import { writeJsonAtomic } from '../../envs/util/files.ts';
import { runJobs, type Job, type RunJobsOptions } from '../pipeline/jobs.ts';
import { lastJsonLine, resumeIfStarted } from '../pipeline/run.ts';
import { AGENT_KINDS } from '../pipeline/config.ts';
import { connectionOptions, QUEUE_NAME, type QueueTarget } from './connection.ts';

/** The name of an agent-training job. */
export const PIPELINE_AGENT = 'pipeline-agent';

export const PipelineAgentJobSchema = z
  .object({
    /** The pipeline's run directory, an absolute path (inside the worker's --runs-dir). */
    pipelineDir: z.string().refine((p) => path.isAbsolute(p), 'must be an absolute path'),
    /** The agent: <kind>-seed<s>; its config is <pipelineDir>/configs/agent-<piece>.json. */
    piece: z.string().regex(new RegExp(`^(${AGENT_KINDS.join('|')})-seed\\d+$`), 'must be <kind>-seed<n>'),
    backend: z.enum(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']),
  })
  .strict();
export type PipelineAgentJob = z.infer<typeof PipelineAgentJobSchema>;

/** What a worker returns for an agent job. */
export interface PipelineAgentReturn {
  /** The train-agent child's summary line (JSON), as the local pool hands it to the pipeline. */
  summary: string;
  worker: { id: string; startedAt: number; finishedAt: number };
}

// ---- on the worker ---------------------------------------------------------------------------------

/**
 * Runs one agent training of a pipeline (in a worker's sandboxed child). Refuses, without retries,
 * a pipeline directory outside `runsDir` or one that is not a darla pipeline run. A finished
 * training leaves results/agent-<piece>.json, which a redelivered job returns without training.
 */
export async function runPipelineAgent(job: SandboxedJob, runsDir: string, worker: string): Promise<PipelineAgentReturn> {
  const startedAt = Date.now();
  const parsed = PipelineAgentJobSchema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`invalid job payload: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  const { pipelineDir, piece, backend } = parsed.data;
  const rel = path.relative(path.resolve(runsDir), path.resolve(pipelineDir));
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) throw new UnrecoverableError(`${pipelineDir} is not inside this worker's --runs-dir (${path.resolve(runsDir)}); darla demo --queue needs its --run-dir in a folder the workers share`);
  let record: { kind?: unknown };
  try {
    record = JSON.parse(fs.readFileSync(path.join(pipelineDir, 'config.json'), 'utf8')) as { kind?: unknown };
  } catch {
    throw new UnrecoverableError(`${pipelineDir} is not a pipeline run this worker can see (no config.json); is the folder shared at the same path?`);
  }
  if (record.kind !== 'pipeline') throw new UnrecoverableError(`${pipelineDir} is a '${String(record.kind)}' run, not a pipeline`);
  const marker = path.join(pipelineDir, 'results', `agent-${piece}.json`);
  if (fs.existsSync(marker)) return JSON.parse(fs.readFileSync(marker, 'utf8')) as PipelineAgentReturn;
  const configFile = path.join(pipelineDir, 'configs', `agent-${piece}.json`);
  if (!fs.existsSync(configFile)) throw new UnrecoverableError(`${configFile} does not exist`);
  const agentDir = path.join(pipelineDir, 'agents', piece);
  const total = Number((JSON.parse(fs.readFileSync(configFile, 'utf8')) as { totalSteps?: unknown }).totalSteps) || 0;
  let summary: string | null = null;
  let last = 0;
  await job.updateProgress({ worker, stage: 'agent', step: 0, total });
  await runJobs(
    [
      {
        key: `agents/${piece}`,
        runDir: agentDir,
        args: ['train-agent', '--config', configFile, '--run-dir', agentDir, ...resumeIfStarted(agentDir), '--json', '--quiet', '--backend', backend],
        onSuccess: (stdout) => {
          const line = lastJsonLine(stdout);
          if (line === null) throw new Error('train-agent printed no summary');
          summary = JSON.stringify(line);
        },
      },
    ],
    {
      concurrency: 1,
      logDir: path.join(pipelineDir, 'logs'),
      onTick: (running) => {
        if (Date.now() - last < 1000) return;
        last = Date.now();
        for (const r of running) void job.updateProgress({ worker, stage: 'agent', step: r.step, total });
      },
    },
  );
  if (summary === null) throw new Error(`agents/${piece}: no summary`);
  const result: PipelineAgentReturn = { summary, worker: { id: worker, startedAt, finishedAt: Date.now() } };
  writeJsonAtomic(marker, result);
  return result;
}

// ---- in darla demo -----------------------------------------------------------------------------------

/**
 * A drop-in for runJobs in the act stage: enqueues each agent job (id: the pipeline run's identity
 * and the piece, so a resumed pipeline finds its jobs again), then polls them, reporting progress
 * and finishing each piece through its onSuccess as the local pool does. Ctrl-C returns 'stopped'
 * and leaves the jobs to the workers; the next run picks them up.
 */
export function queueAgentRunner(target: QueueTarget, backend: PipelineAgentJob['backend'], log: (line: string) => void) {
  return async (jobs: readonly Job[], opts: RunJobsOptions): Promise<'done' | 'stopped'> => {
    if (jobs.length === 0) return 'done';
    const queue = new Queue<PipelineAgentJob, PipelineAgentReturn, string>(QUEUE_NAME, { connection: connectionOptions(target) });
    try {
      const entries = jobs.map((job) => {
        const pipelineDir = path.resolve(job.runDir, '..', '..');
        const piece = path.basename(job.runDir);
        const record = JSON.parse(fs.readFileSync(path.join(pipelineDir, 'config.json'), 'utf8')) as { createdAt?: string };
        const runId = createHash('sha256').update(`${pipelineDir}\n${record.createdAt ?? ''}`).digest('hex').slice(0, 12);
        return { job, id: `pipeline-${runId}-${piece}`, data: { pipelineDir, piece, backend } };
      });
      for (const e of entries) {
        const existing = await queue.getJob(e.id);
        if (existing === undefined) await queue.add(PIPELINE_AGENT, e.data, { jobId: e.id, attempts: 2, backoff: { type: 'fixed', delay: 2000 }, removeOnComplete: false, removeOnFail: false });
        else if ((await existing.getState()) === 'failed') await existing.retry();
      }
      log(`act: ${entries.length} agent training(s) on the queue at ${target.redacted}; start darla worker --queue <url> --runs-dir <a folder holding ${path.dirname(entries[0].data.pipelineDir)}>`);
      const pending = new Map(entries.map((e) => [e.id, e]));
      const started = new Set<string>();
      while (pending.size > 0) {
        if (opts.shouldStop?.()) return 'stopped';
        const running: { key: string; step: number }[] = [];
        for (const [id, e] of [...pending]) {
          const qjob = await queue.getJob(id);
          if (qjob === undefined) throw new Error(`${e.job.key}: its queue job ${id} disappeared`);
          const state = await qjob.getState();
          if (state === 'active' && !started.has(id)) {
            started.add(id);
            e.job.onStart?.();
          }
          if (state === 'active') {
            const p = qjob.progress as { step?: number } | null;
            running.push({ key: e.job.key, step: typeof p?.step === 'number' ? p.step : 0 });
          } else if (state === 'completed') {
            if (!started.has(id)) e.job.onStart?.();
            pending.delete(id);
            e.job.onSuccess(qjob.returnvalue.summary);
          } else if (state === 'failed') {
            throw new Error(`${e.job.key} failed on the queue after ${qjob.attemptsMade} attempt(s): ${qjob.failedReason}`);
          }
        }
        opts.onTick?.(running);
        if (pending.size > 0) await new Promise((r) => setTimeout(r, 1000));
      }
      return 'done';
    } finally {
      await queue.close();
    }
  };
}
