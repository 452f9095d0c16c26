/**
 * The lock on a run directory: while a process trains (or otherwise writes) in a run, the run holds
 * `run.lock`, a small JSON file naming the owner (pid, host, command, start time). A second process
 * is refused with a message naming that owner; a lock whose owner is no longer running (a process
 * killed with -9 cannot remove it) is taken over with a message. The lock file is created with its
 * full contents in one step (write a temp file, hard-link it into place: the link fails when a lock
 * exists), so a reader never sees half a lock. Locks are released when their run is done and, at
 * the latest, when the process exits. A run.lock that names no process is not darla's: it is
 * refused, never removed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../core/errors.ts';

export const LOCK_FILE = 'run.lock';

export interface LockOwner {
  pid: number;
  host: string;
  command: string;
  startedAt: string;
}

/** Locks this process holds (absolute lock-file paths), removed on exit. */
const held = new Set<string>();
let exitHookInstalled = false;

function lockPath(root: string): string {
  return path.join(root, LOCK_FILE);
}

/** The owner recorded in a run's lock, or null when there is no (readable) lock. */
export function readLock(root: string): LockOwner | null {
  try {
    const v = JSON.parse(fs.readFileSync(lockPath(root), 'utf8')) as Partial<LockOwner>;
    if (typeof v.pid !== 'number') return null;
    return { pid: v.pid, host: String(v.host ?? ''), command: String(v.command ?? ''), startedAt: String(v.startedAt ?? '') };
  } catch {
    return null;
  }
}

/** Whether the owner may still be running: certainly yes on another host (it cannot be checked from here). */
export function ownerAlive(owner: LockOwner): boolean {
  if (owner.host !== os.hostname()) return true;
  if (owner.pid === process.pid) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function describeOwner(o: LockOwner): string {
  return `pid ${o.pid}${o.host !== os.hostname() ? ` on ${o.host}` : ''}${o.command !== '' ? `, ${o.command}` : ''}${o.startedAt !== '' ? `, since ${o.startedAt}` : ''}`;
}

/**
 * Refuses (UserError naming --run-dir) when another running process holds the run's lock. A lock of
 * this process, or of a process that is gone, does not count.
 */
export function assertNotLocked(root: string): void {
  const owner = readLock(root);
  if (owner === null && fs.existsSync(lockPath(root))) throw notOurLock(lockPath(root));
  if (owner === null || owner.pid === process.pid || !ownerAlive(owner)) return;
  throw new UserError(
    `--run-dir: ${root} is in use by another darla process (${describeOwner(owner)}); wait for it to finish or stop it. ` +
      `If no such process is running, delete ${lockPath(root)}`,
    '--run-dir',
  );
}

/**
 * Takes the run's lock (the directory must exist). Re-entrant within one process; a stale lock (its
 * owner no longer runs) is taken over and `log` says so; a live owner is a UserError.
 */
export function acquireLock(root: string, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): void {
  const file = lockPath(root);
  const me: LockOwner = { pid: process.pid, host: os.hostname(), command: commandLine(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(me, null, 2) + '\n');
    try {
      fs.linkSync(tmp, file);
      held.add(file);
      installExitHook();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    const owner = readLock(root);
    if (owner === null) {
      // Gone since the link failed (its owner released it): try again. Otherwise it is not a lock
      // darla wrote (darla's locks appear whole, naming their owner): it is the user's file.
      if (!fs.existsSync(file)) continue;
      throw notOurLock(file);
    }
    if (owner.pid === process.pid && owner.host === me.host) {
      held.add(file);
      installExitHook();
      return;
    }
    assertNotLocked(root);
    log(`taking over the lock of ${root}: its owner (${describeOwner(owner)}) is no longer running`);
    fs.rmSync(file, { force: true });
  }
  throw new UserError(`--run-dir: could not lock ${root}: another process keeps taking it; run one command at a time there`, '--run-dir');
}

function notOurLock(file: string): UserError {
  return new UserError(`--run-dir: ${file} is not a lock darla wrote (it names no process); darla leaves it alone. Move it away if it is not needed, or choose another --run-dir`, '--run-dir');
}

/** Releases the run's lock if this process holds it. */
export function releaseLock(root: string): void {
  const file = lockPath(root);
  if (!held.delete(file)) return;
  if (readLock(root)?.pid === process.pid) fs.rmSync(file, { force: true });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const file of held) {
      try {
        if ((JSON.parse(fs.readFileSync(file, 'utf8')) as LockOwner).pid === process.pid) fs.rmSync(file, { force: true });
      } catch {
        // Already gone.
      }
    }
  });
}

/** What the owner is running, e.g. `darla train-agent --run-dir runs/x` (for the refusal message). */
function commandLine(): string {
  const args = process.argv.slice(2);
  const bin = path.basename(process.argv[1] ?? 'node').replace(/\.js$/, '');
  return [bin, ...args].join(' ').slice(0, 200);
}
