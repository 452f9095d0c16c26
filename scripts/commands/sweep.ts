/**
 * `darla sweep` — the β sweep behind DARLA's correlation claim (scripts/pipeline/sweep.ts): for each
 * β and seed a β-VAE, a DARLA agent on its μ, and its zero-shot transfer; the report plots MIG
 * against the target/source success ratio. Sized by a pipeline preset (its vision, agent and
 * transfer budgets); runs outside `npm start`. Flags are validated before any work.
 */
import os from 'node:os';
import { Option, type Command } from 'commander';
import { UserError } from '../../envs/core/errors.ts';
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
  program
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
    .action(async (flags: SweepFlags) => {
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const betas = numberList(flags.betas, '--betas', (x) => x >= 0, 'a number >= 0');
      const seeds = numberList(flags.seeds, '--seeds', (x) => Number.isInteger(x) && x >= 0, 'an integer >= 0');
      if (new Set(betas).size !== betas.length) throw new UserError('--betas: each β once', '--betas');
      if (new Set(seeds).size !== seeds.length) throw new UserError('--seeds: each seed once', '--seeds');
      if (betas.length < 2) throw new UserError('--betas: a sweep needs at least two β values', '--betas');
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
}
