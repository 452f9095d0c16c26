/**
 * Running the pipeline's training jobs as child `darla` processes, a few at a time. Independent
 * trainings (the two β-VAEs; the agents) run side by side, each on one wasm thread: two processes
 * keep both cores busy through the whole step, where one process's second XNNPACK thread only helps
 * inside large operators. Each child writes its own run directory (and so resumes on its own);
 * its stderr goes to logs/<key>.log, its progress is read back from its metrics.jsonl. A child
 * stops when this process dies (it watches an IPC channel), so a killed pipeline leaves no training
 * behind, and each child locks its run directory while it trains (a rerun cannot start a second one).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface Job {
  /** Unique name, e.g. 'vision/darla' (also the log file name, slashes → dashes). */
  key: string;
  /** Arguments after `darla`, e.g. ['pretrain', '--config', …]. */
  args: string[];
  /** The child's run directory (its metrics.jsonl is polled for progress). */
  runDir: string;
  /** Called when the child is started. */
  onStart?: () => void;
  /** Called with the child's stdout when it exits with code 0. */
  onSuccess: (stdout: string) => void;
}

export interface RunJobsOptions {
  concurrency: number;
  logDir: string;
  env?: NodeJS.ProcessEnv;
  /** Called about once a second with each running job's last logged step. */
  onTick?: (running: { key: string; step: number }[]) => void;
  shouldStop?: () => boolean;
  log?: (line: string) => void;
}

export class JobFailed extends Error {
  override readonly name = 'JobFailed';
  constructor(
    readonly key: string,
    readonly code: number | null,
    readonly logFile: string,
  ) {
    super(`${key} failed (exit code ${code ?? 'signal'}); see ${logFile}:\n${tail(logFile, 15)}`);
  }
}

const BIN = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../bin/darla.js');

function tail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines - 1).join('\n');
  } catch {
    return '(no log)';
  }
}

/** The step of the last record in a run's metrics.jsonl (0 when there is none yet). */
export function lastLoggedStep(runDir: string): number {
  const file = path.join(runDir, 'metrics.jsonl');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return 0;
  }
  const lines = text.trimEnd().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const step = (JSON.parse(lines[i]) as { step?: unknown }).step;
      if (typeof step === 'number') return step;
    } catch {
      // A line being written right now: look at the one before.
    }
  }
  return 0;
}

/** Runs the jobs, at most `concurrency` at once, in order; rejects on the first failure. */
export async function runJobs(jobs: readonly Job[], opts: RunJobsOptions): Promise<'done' | 'stopped'> {
  fs.mkdirSync(opts.logDir, { recursive: true });
  const queue = [...jobs];
  const running = new Map<string, { job: Job; child: ChildProcess }>();
  let failure: JobFailed | null = null;
  let stopped = false;
  const forwardTerm = () => {
    for (const { child } of running.values()) child.kill('SIGTERM');
  };
  process.on('SIGTERM', forwardTerm);
  const ticker = setInterval(() => {
    opts.onTick?.([...running.values()].map(({ job }) => ({ key: job.key, step: lastLoggedStep(job.runDir) })));
  }, 1000);
  try {
    await new Promise<void>((resolve) => {
      const startNext = () => {
        if (failure !== null || (opts.shouldStop?.() ?? false)) {
          if (opts.shouldStop?.()) stopped = true;
          if (running.size === 0) resolve();
          return;
        }
        while (running.size < opts.concurrency && queue.length > 0) {
          const job = queue.shift()!;
          const logFile = path.join(opts.logDir, `${job.key.replace(/[\\/]/g, '-')}.log`);
          const logFd = fs.openSync(logFile, 'a');
          // The IPC channel is how the child notices this process dying (envs/util/interrupt.ts).
          const child = spawn(process.execPath, [BIN, ...job.args], { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', logFd, 'ipc'] });
          fs.closeSync(logFd);
          let stdout = '';
          child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
          running.set(job.key, { job, child });
          job.onStart?.();
          opts.log?.(`started ${job.key} (pid ${child.pid})`);
          child.on('close', (code) => {
            running.delete(job.key);
            if (code === 0) {
              try {
                job.onSuccess(stdout);
              } catch (err) {
                failure ??= new JobFailed(job.key, code, `${logFile} (${(err as Error).message})`);
              }
            } else if (opts.shouldStop?.()) {
              stopped = true;
            } else {
              failure ??= new JobFailed(job.key, code, logFile);
            }
            startNext();
          });
        }
        if (running.size === 0 && queue.length === 0) resolve();
      };
      startNext();
    });
  } finally {
    clearInterval(ticker);
    process.off('SIGTERM', forwardTerm);
  }
  if (failure !== null) throw failure;
  return stopped || queue.length > 0 ? 'stopped' : 'done';
}
