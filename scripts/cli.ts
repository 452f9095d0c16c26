/**
 * The `darla` command line: parses flags with commander, runs one sub-command, and maps user
 * errors (bad flags, bad configs, mismatched checkpoints) to one clear message and exit code 2.
 */
import { Command, CommanderError } from 'commander';
import { ZodError } from 'zod';
import { UserError } from '../envs/core/errors.ts';
import { COMMANDS } from './commands/index.ts';
import { exitWithParent } from '../envs/util/interrupt.ts';
import { fsCause } from '../envs/util/run-dir.ts';

// A pipeline's training child stops when the pipeline dies (no-op when run from a shell).
exitWithParent();

const program = new Command('darla')
  .description('DARLA in TypeScript: learn to see (β-VAE), learn to act (PPO), measure zero-shot transfer, watch it live.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  // Each command's options after its name belong to it (`darla sweep status --queue …` is status's --queue, not sweep's).
  .enablePositionalOptions()
  .exitOverride();

for (const register of COMMANDS) register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = exitCodeFor(err);
}

/** File-system errors a user causes and can fix (not a bug of ours). */
const USER_FS_ERRORS = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'ENOTDIR']);

function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    // Help and version print and end with code 0; commander has already printed any error.
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof UserError) {
    // Name the flag at fault when the message does not already (e.g. a checkpoint loader's message).
    const flag = err.field?.startsWith('--') && !err.message.includes(err.field) ? `${err.field}: ` : '';
    console.error(`error: ${flag}${err.message}`);
    return 2;
  }
  if (err instanceof ZodError) {
    for (const issue of err.issues) {
      const where = issue.path.length > 0 ? issue.path.join('.') : '(root)';
      console.error(`error: ${where}: ${issue.message}`);
    }
    return 2;
  }
  const sys = err as NodeJS.ErrnoException | null;
  if (sys instanceof Error && typeof sys.path === 'string' && USER_FS_ERRORS.has(sys.code ?? '')) {
    // The file system refused (permissions, a read-only or full disk): the user can fix that, so a sentence, not a trace.
    console.error(`error: cannot ${sys.syscall ?? 'use'} ${sys.path}: ${fsCause(sys)}`);
    return 2;
  }
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  return 1;
}
