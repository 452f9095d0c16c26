/**
 * `darla transfer`: the zero-shot transfer evaluation (agent/transfer.ts). Frozen policies (train-
 * agent runs or checkpoints) play their source variant and every target variant — by default all
 * named variants — for N episodes × S evaluation seeds, deterministic and stochastic; the table
 * (Markdown on stdout and in the run's report.md, JSON in transfer.json) and bar charts go to
 * --run-dir. Bad input is refused before any evaluation: unknown variants (with the list of known
 * ones), targets that do not differ perceptibly from the training distribution, policies paired with
 * another encoder or another observation size, a --run-dir that is not a new folder or a transfer run.
 */
import { Option, type Command } from 'commander';
import { UserError } from '../../envs/core/errors.ts';
import { backendOption, intInRange, type BackendChoice } from '../cli/options.ts';

interface TransferFlags {
  policies: string[];
  variants?: string[];
  episodes: number;
  seeds: number[];
  modes: ('deterministic' | 'stochastic')[];
  vae?: string;
  runDir: string;
  fresh: boolean;
  quiet: boolean;
  json: boolean;
  backend: BackendChoice;
}

const seedParser = intInRange(0, 2 ** 32 - 1);

export function register(program: Command): void {
  program
    .command('transfer')
    .description('zero-shot transfer: evaluate frozen policies on held-out shape-world variants (the "transfer" stage)')
    .requiredOption('--policies <runs...>', 'train-agent run directories or policy checkpoints (several seeds of a kind give CIs over seeds)')
    .option('--variants <variants...>', 'target variants: names, inline JSON or JSON files (default: every named variant)')
    .option('--episodes <n>', 'episodes per policy × variant × seed × mode', intInRange(1, 100_000), 50)
    .option('--seeds <n...>', 'evaluation seeds', (raw: string, prev: number[] | undefined) => [...(prev ?? []), seedParser(raw)])
    .addOption(new Option('--modes <mode...>', 'policy modes to evaluate').choices(['deterministic', 'stochastic']).default(['deterministic', 'stochastic']))
    .option('--vae <run>', 'evaluate latent policies with this encoder (refused unless it is the one they trained with)')
    .option('--run-dir <dir>', 'where the table, JSON and charts are written', 'runs/transfer')
    .option('--fresh', 'replace the transfer run in --run-dir with a new one (nothing but a darla run is ever deleted)', false)
    .option('--quiet', 'no progress bar', false)
    .option('--json', 'print the rows as one JSON line on stdout instead of the Markdown table', false)
    .addOption(backendOption())
    .action(async (flags: TransferFlags) => {
      const variants = flags.variants?.flatMap((v) => (v.trim().startsWith('{') ? [v] : v.split(',').map((s) => s.trim()).filter((s) => s !== '')));
      if (variants !== undefined && variants.length === 0) throw new UserError('--variants: give at least one variant', '--variants');
      const seeds = flags.seeds ?? [0, 1, 2];
      // Cheap checks first, before the backend starts.
      const fs = await import('node:fs');
      for (const p of flags.policies) if (!fs.existsSync(p)) throw new UserError(`--policies: no agent run or policy checkpoint at ${p}`, '--policies');
      if (flags.vae !== undefined && !fs.existsSync(flags.vae)) throw new UserError(`--vae: no pretraining run or checkpoint at ${flags.vae}`, '--vae');
      const { RunDir } = await import('../../envs/util/run-dir.ts');
      new RunDir(flags.runDir).check({ kind: 'transfer', seed: 0, config: null }, { fresh: flags.fresh, resumeFlag: false });
      const log = (s: string) => process.stderr.write(`${s}\n`);
      const { useBackend } = await import('../../agent/backend.ts');
      await useBackend(flags.backend, log);
      const { runTransfer } = await import('../../agent/transfer.ts');
      const { createProgress } = await import('../../envs/util/progress.ts');
      let bar: ReturnType<typeof createProgress> | null = null;
      let result;
      try {
        result = await runTransfer({
          policies: flags.policies,
          variants,
          episodes: flags.episodes,
          seeds,
          modes: flags.modes,
          vae: flags.vae,
          runDir: flags.runDir,
          fresh: flags.fresh,
          log,
          onProgress: (done, total) => {
            bar ??= createProgress({ label: 'transfer', total, quiet: flags.quiet || flags.json });
            bar.update(done);
          },
        });
      } finally {
        (bar as ReturnType<typeof createProgress> | null)?.stop();
      }
      if (flags.json) process.stdout.write(JSON.stringify({ runDir: flags.runDir, rows: result.rows }) + '\n');
      else {
        process.stdout.write(result.markdown + '\n');
        log(`written to ${flags.runDir} (report.md, transfer.json, images/)`);
      }
    });
}
