/**
 * `darla bench <suite>`: runs one benchmark suite (env, backends, agent, viewer) and prints one
 * JSON object on stdout's last line — {suite, backend, machine, metrics} — and, with --out, writes
 * it (plus the suite's details) to a file. Benchmarks measure and report; they never gate CI.
 */
import os from 'node:os';
import type { Command } from 'commander';
import { backendOption, seedOption } from '../cli/options.ts';
import type { BenchSuite } from '../bench/types.ts';
import { writeFileAtomic } from '../../envs/util/files.ts';

const SUITES: Record<string, () => Promise<{ run: BenchSuite }>> = {
  env: () => import('../bench/env.ts'),
  backends: () => import('../bench/backends.ts'),
  agent: () => import('../bench/agent.ts'),
  viewer: () => import('../bench/viewer.ts'),
};

export function machineInfo(): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpu_model: cpus[0]?.model ?? 'unknown',
    mem_gib: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()}-${os.arch()}`,
    node: process.version,
  };
}

export function register(program: Command): void {
  program
    .command('bench')
    .description('run a benchmark suite and print its metrics as JSON')
    .argument('<suite>', `one of: ${Object.keys(SUITES).join(', ')}`)
    .option('--json', 'print only the JSON result line on stdout', false)
    .option('--quick', 'fewer repetitions: finish in under a minute (same metric names)', false)
    .option('--out <file>', 'also write the result (with details) to this JSON file')
    .addOption(backendOption())
    .addOption(seedOption())
    .action(async (suite: string, opts: { json: boolean; quick: boolean; out?: string; backend: never; seed: number }) => {
      const load = SUITES[suite];
      if (load === undefined) {
        const { UserError } = await import('../../envs/core/errors.ts');
        throw new UserError(`unknown bench suite '${suite}'; known suites: ${Object.keys(SUITES).join(', ')}`, 'suite');
      }
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const { run } = await load();
      const result = await run({ quick: opts.quick, backend: opts.backend, seed: opts.seed, log });
      const line = { suite, backend: result.backend, machine: machineInfo(), metrics: result.metrics };
      if (opts.out !== undefined) {
        writeFileAtomic(opts.out, JSON.stringify({ ...line, details: result.details ?? {} }, null, 2) + '\n');
      }
      if (!opts.json) {
        for (const [k, v] of Object.entries(result.metrics)) log(`${k.padEnd(36)} ${formatNumber(v)}`);
      }
      process.stdout.write(JSON.stringify(line) + '\n');
    });
}

function formatNumber(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(4);
}
