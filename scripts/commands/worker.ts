/**
 * `darla worker --queue redis://…` — runs sweep jobs from a BullMQ queue on this machine, each in a
 * sandboxed child process, under --runs-dir (a shared folder lets a job resume on another machine
 * from the checkpoint a dead worker left). Start one per machine; Ctrl-C stops it. The queue URL is
 * checked before anything starts and is never printed with its password.
 */
import os from 'node:os';
import type { Command } from 'commander';
import { intInRange } from '../cli/options.ts';

interface WorkerFlags {
  queue: string;
  concurrency: number;
  runsDir: string;
  lockDuration: number;
  stalledInterval: number;
}

export function register(program: Command): void {
  program
    .command('worker')
    .description('run sweep jobs from a Redis queue (BullMQ) on this machine: start one per machine, `darla sweep --queue` enqueues')
    .requiredOption('--queue <url>', 'the Redis server: redis://[user:password@]host:port[/db]')
    .option('--concurrency <n>', 'jobs run side by side, each in its own child process, one wasm thread each when more than one (default: CPU cores)', intInRange(1, 64), os.cpus().length)
    .option('--runs-dir <dir>', 'where the runs go: <dir>/<sweep id>/{vision,agents,transfer}/… (share it between machines to resume anywhere)', 'runs/queue')
    .option('--lock-duration <ms>', "how long a job's lock lives without renewal: a dead worker's job is retaken after about this long", intInRange(500, 3_600_000), 30_000)
    .option('--stalled-interval <ms>', 'how often this worker checks for jobs of dead workers', intInRange(200, 3_600_000), 30_000)
    .action(async (flags: WorkerFlags) => {
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const { parseQueueUrl, checkQueueReachable } = await import('../queue/connection.ts');
      const target = parseQueueUrl(flags.queue);
      const warning = await checkQueueReachable(target);
      if (warning !== null) log(`warning: ${warning}`);
      const { runWorker } = await import('../queue/worker.ts');
      await runWorker({ target, concurrency: flags.concurrency, runsDir: flags.runsDir, lockDurationMs: flags.lockDuration, stalledIntervalMs: flags.stalledInterval, log });
    });
}
