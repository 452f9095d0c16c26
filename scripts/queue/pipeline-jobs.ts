/**
 * The pipeline's act stage and transfer evaluations on the queue (`darla demo --queue`): each agent
 * training, and each trained agent's transfer evaluation, is a BullMQ job that a `darla worker` runs
 * as the same `darla train-agent` / `darla transfer` child the local pipeline would, in the
 * pipeline's own run directory. That directory must be on a folder the workers share, at the same
 * path, inside their --runs-dir (the agents read the pipeline's encoders and configs from it and
 * write their runs into it); a worker refuses a job whose run directory is anywhere else. An agent
 * job returns the child's summary line and a transfer job its evaluation cells, so the pipeline
 * finishes each piece, and its one transfer table, as after local work.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { Queue, UnrecoverableError, type SandboxedJob } from 'bullmq';
import { writeJsonAtomic } from '../../envs/util/files.ts';
import { isWithin } from '../../envs/util/run-dir.ts';
import type { TransferCell } from '../../agent/transfer.ts';
import { runJobs, type Job, type RunJobsOptions } from '../pipeline/jobs.ts';
import { lastJsonLine, resumeIfStarted } from '../pipeline/run.ts';
import { AGENT_KINDS, PipelineConfigSchema } from '../pipeline/config.ts';
import { connectionOptions, QUEUE_NAME, type QueueTarget } from './connection.ts';

/** The names of the pipeline's job kinds. */
export const PIPELINE_AGENT = 'pipeline-agent';
export const PIPELINE_TRANSFER = 'pipeline-transfer';

export const PipelineJobSchema = z
  .object({
    /** The pipeline's run directory, an absolute path (inside the worker's --runs-dir). */
    pipelineDir: z.string().refine((p) => path.isAbsolute(p), 'must be an absolute path'),
    /** The agent: <kind>-seed<s>; its config is <pipelineDir>/configs/agent-<piece>.json, its run agents/<piece>. */
    piece: z.string().regex(new RegExp(`^(${AGENT_KINDS.join('|')})-seed\\d+$`), 'must be <kind>-seed<n>'),
    backend: z.enum(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']),
  })
  .strict();
export type PipelineJob = z.infer<typeof PipelineJobSchema>;

/** What a worker returns for a pipeline job. */
export interface PipelineJobReturn {
  /** Agent job: the train-agent child's summary line (JSON), as the local pool hands it to the pipeline. */
  summary?: string;
  /** Transfer job: the agent's evaluation cells (scripts/pipeline/run.ts merges them into one table). */
  cells?: TransferCell[];
  worker: { id: string; startedAt: number; finishedAt: number };
}

type Progress = (p: { worker: string; stage: string; step: number; total: number }) => Promise<void>;

// ---- on the worker ---------------------------------------------------------------------------------

/**
 * Runs one agent training or one transfer evaluation of a pipeline (in a worker's sandboxed child).
 * Refuses, without retries, a pipeline directory outside `runsDir` or one that is not a darla
 * pipeline run. A finished job leaves results/<agent|transfer>-<piece>.json, which a redelivered
 * job returns without running again.
 */
export async function runPipelineJob(job: SandboxedJob, runsDir: string, worker: string): Promise<PipelineJobReturn> {
  const startedAt = Date.now();
  const parsed = PipelineJobSchema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`invalid job payload: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  const { pipelineDir, piece, backend } = parsed.data;
  const root = path.resolve(runsDir);
  const dir = path.resolve(pipelineDir);
  if (dir === root || !isWithin(root, dir)) throw new UnrecoverableError(`${pipelineDir} is not inside this worker's --runs-dir (${root}); darla demo --queue needs its --run-dir in a folder the workers share`);
  let record: { kind?: unknown; config?: unknown };
  try {
    record = JSON.parse(fs.readFileSync(path.join(pipelineDir, 'config.json'), 'utf8')) as typeof record;
  } catch {
    throw new UnrecoverableError(`${pipelineDir} is not a pipeline run this worker can see (no config.json); is the folder shared at the same path?`);
  }
  if (record.kind !== 'pipeline') throw new UnrecoverableError(`${pipelineDir} is a '${String(record.kind)}' run, not a pipeline`);
  const what = job.name === PIPELINE_TRANSFER ? 'transfer' : 'agent';
  const marker = path.join(pipelineDir, 'results', `${what}-${piece}.json`);
  if (fs.existsSync(marker)) return JSON.parse(fs.readFileSync(marker, 'utf8')) as PipelineJobReturn;
  const agentDir = path.join(pipelineDir, 'agents', piece);
  const progress: Progress = (p) => job.updateProgress(p);
  let out: string | null = null;
  let args: string[];
  let runDir: string;
  let total: number;
  if (what === 'agent') {
    const configFile = path.join(pipelineDir, 'configs', `agent-${piece}.json`);
    if (!fs.existsSync(configFile)) throw new UnrecoverableError(`${configFile} does not exist`);
    total = Number((JSON.parse(fs.readFileSync(configFile, 'utf8')) as { totalSteps?: unknown }).totalSteps) || 0;
    runDir = agentDir;
    args = ['train-agent', '--config', configFile, '--run-dir', agentDir, ...resumeIfStarted(agentDir), '--json', '--quiet', '--backend', backend];
  } else {
    // The protocol comes from the pipeline's own record, not from the job: variants are checked there.
    const cfg = PipelineConfigSchema.parse(record.config).transfer;
    total = 1;
    runDir = path.join(pipelineDir, 'transfer-parts', piece);
    args = ['transfer', '--policies', agentDir, '--variants', ...cfg.variants, '--episodes', String(cfg.episodes), '--seeds', ...cfg.seeds.map(String), '--run-dir', runDir, '--fresh', '--json', '--quiet', '--backend', backend];
  }
  await progress({ worker, stage: what, step: 0, total });
  let last = 0;
  await runJobs([{ key: `${what}/${piece}`, runDir, args, onSuccess: (stdout) => (out = stdout) }], {
    concurrency: 1,
    logDir: path.join(pipelineDir, 'logs'),
    onTick: (running) => {
      if (Date.now() - last < 1000) return;
      last = Date.now();
      for (const r of running) void progress({ worker, stage: what, step: r.step, total });
    },
  });
  const result: PipelineJobReturn = { worker: { id: worker, startedAt, finishedAt: Date.now() } };
  if (what === 'agent') {
    const line = out === null ? null : lastJsonLine(out);
    if (line === null) throw new Error(`agents/${piece}: train-agent printed no summary`);
    result.summary = JSON.stringify(line);
  } else {
    result.cells = (JSON.parse(fs.readFileSync(path.join(runDir, 'transfer.json'), 'utf8')) as { cells: TransferCell[] }).cells;
  }
  writeJsonAtomic(marker, result);
  return result;
}

// ---- in darla demo -----------------------------------------------------------------------------------

interface Entry {
  id: string;
  name: string;
  data: PipelineJob;
  onActive?: () => void;
  onCompleted: (value: PipelineJobReturn) => void;
}

/** The pipeline run's identity: its path and creation time (a --fresh run gets new job ids). */
function runId(pipelineDir: string): string {
  const record = JSON.parse(fs.readFileSync(path.join(pipelineDir, 'config.json'), 'utf8')) as { createdAt?: string };
  return createHash('sha256').update(`${pipelineDir}\n${record.createdAt ?? ''}`).digest('hex').slice(0, 12);
}

/**
 * Enqueues the entries (an existing id is kept; a failed one retried), then polls them every second,
 * passing running steps to onTick; resolves when all completed, 'stopped' when asked to stop (the
 * jobs stay with the workers: the next run finds them by id); throws on the first failed job.
 */
async function runEntries(target: QueueTarget, entries: Entry[], opts: { onTick?: RunJobsOptions['onTick']; shouldStop?: () => boolean; keyOf: (e: Entry) => string }): Promise<'done' | 'stopped'> {
  if (entries.length === 0) return 'done';
  const queue = new Queue<PipelineJob, PipelineJobReturn, string>(QUEUE_NAME, { connection: connectionOptions(target) });
  try {
    for (const e of entries) {
      const existing = await queue.getJob(e.id);
      if (existing === undefined) await queue.add(e.name, e.data, { jobId: e.id, attempts: 2, backoff: { type: 'fixed', delay: 2000 }, removeOnComplete: false, removeOnFail: false });
      else if ((await existing.getState()) === 'failed') await existing.retry();
    }
    const pending = new Map(entries.map((e) => [e.id, e]));
    const active = new Set<string>();
    while (pending.size > 0) {
      if (opts.shouldStop?.()) return 'stopped';
      const running: { key: string; step: number }[] = [];
      for (const [id, e] of [...pending]) {
        // The state first, then the job: a job fetched before it finished would lack its result.
        const state = await queue.getJobState(id);
        const job = await queue.getJob(id);
        if (job === undefined || state === 'unknown') throw new Error(`${opts.keyOf(e)}: its queue job ${id} disappeared`);
        if ((state === 'active' || state === 'completed') && !active.has(id)) {
          active.add(id);
          e.onActive?.();
        }
        if (state === 'active') {
          const p = job.progress as { step?: number } | null;
          running.push({ key: opts.keyOf(e), step: typeof p?.step === 'number' ? p.step : 0 });
        } else if (state === 'completed') {
          pending.delete(id);
          e.onCompleted(job.returnvalue);
        } else if (state === 'failed') {
          throw new Error(`${opts.keyOf(e)} failed on the queue after ${job.attemptsMade} attempt(s): ${job.failedReason}`);
        }
      }
      opts.onTick?.(running);
      if (pending.size > 0) await new Promise((r) => setTimeout(r, 1000));
    }
    return 'done';
  } finally {
    await queue.close();
  }
}

/**
 * A drop-in for runJobs in the act stage: each agent job (agents/<piece> in a pipeline run) goes to
 * the queue and is finished through its own onSuccess with the worker's summary line.
 */
export function queueAgentRunner(target: QueueTarget, backend: PipelineJob['backend'], log: (line: string) => void) {
  return async (jobs: readonly Job[], opts: RunJobsOptions): Promise<'done' | 'stopped'> => {
    if (jobs.length === 0) return 'done';
    const pipelineDir = path.resolve(jobs[0].runDir, '..', '..');
    const id = runId(pipelineDir);
    const entries: Entry[] = jobs.map((job) => {
      const piece = path.basename(job.runDir);
      return { id: `pipeline-${id}-agent-${piece}`, name: PIPELINE_AGENT, data: { pipelineDir, piece, backend }, onActive: job.onStart, onCompleted: (v) => job.onSuccess(v.summary ?? '') };
    });
    log(`act: ${entries.length} agent training(s) on the queue at ${target.redacted}; workers need --runs-dir to hold ${pipelineDir}`);
    const keys = new Map(entries.map((e, i) => [e.id, jobs[i].key]));
    return runEntries(target, entries, { onTick: opts.onTick, shouldStop: opts.shouldStop, keyOf: (e) => keys.get(e.id) ?? e.id });
  };
}

/**
 * The transfer stage's evaluations on the queue: one job per trained agent, each returning its
 * cells; resolves with all of them (runTransfer then aggregates without playing again).
 */
export function queueTransferEvaluator(target: QueueTarget, backend: PipelineJob['backend'], log: (line: string) => void) {
  return async (agentDirs: readonly string[], opts: { shouldStop?: () => boolean; onProgress?: (done: number, total: number) => void }): Promise<TransferCell[] | 'stopped'> => {
    const pipelineDir = path.resolve(agentDirs[0], '..', '..');
    const id = runId(pipelineDir);
    const cells: TransferCell[] = [];
    let done = 0;
    const entries: Entry[] = agentDirs.map((dir) => {
      const piece = path.basename(dir);
      return {
        id: `pipeline-${id}-transfer-${piece}`,
        name: PIPELINE_TRANSFER,
        data: { pipelineDir, piece, backend },
        onCompleted: (v) => {
          cells.push(...(v.cells ?? []));
          opts.onProgress?.(++done, agentDirs.length);
        },
      };
    });
    log(`transfer: ${entries.length} evaluation(s) on the queue at ${target.redacted}`);
    const outcome = await runEntries(target, entries, { shouldStop: opts.shouldStop, keyOf: (e) => `transfer/${e.data.piece}` });
    return outcome === 'stopped' ? 'stopped' : cells;
  };
}
