/**
 * A run directory: the one place a run (pretraining, agent training, transfer, the pipeline) writes
 * to. Layout (DESIGN.md): config.json (config, seed, versions, backend), metrics.jsonl (one JSON
 * record per logged step), checkpoints/, images/, report.md. Every write is atomic; on resume the
 * metrics logged after the last checkpoint are dropped so a resumed run logs each step once.
 * A run is recognisable as one (config.json with `format: RUN_FORMAT`, or an older run's fields):
 * only such a folder is ever resumed or deleted (--fresh), a folder with anything else in it is
 * never written into, and a run is locked (run-lock.ts) while a process writes in it. What is
 * protected beyond that: a shipped model (provenance.json) is never replaced nor resumed into;
 * --fresh refuses a run holding files darla did not write (it names them), refuses the folder the
 * user stands in (compared by real paths, so a symlink cannot hide it), and warns which agent runs
 * nearby used the encoder it deletes. A path that cannot hold a run (a dangling symlink, a file
 * where a folder should be, an unwritable folder) is refused with one sentence before any work.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.ts';
import { appendLine, readJsonLines, writeFileAtomic, writeJsonAtomic } from './files.ts';
import { acquireLock, assertNotLocked, LOCK_FILE, readLock, releaseLock } from './run-lock.ts';

/** config.json's `format`: marks a directory as a darla run (older runs are recognised by their fields). */
export const RUN_FORMAT = 'darla-run/1';
/** The kinds of run the project writes. */
export const RUN_KINDS = ['pretrain', 'train-agent', 'transfer', 'pipeline', 'sweep'] as const;

export interface RunRecord {
  /** RUN_FORMAT: this directory is a darla run (so --fresh may delete it). Absent in runs made before it. */
  format?: string;
  /** What kind of run this is, e.g. 'pretrain', 'train-agent', 'transfer', 'pipeline'. */
  kind: string;
  seed: number;
  config: unknown;
  /** The full definition (JSON) of every shape-world variant the run uses, by name, so it can be redone from its own files. */
  variants?: Record<string, unknown>;
  /** Filled in when the backend is known. */
  backend?: string;
  versions: Record<string, string>;
  createdAt: string;
}

export interface MetricRecord {
  step: number;
  [key: string]: number | string | number[] | undefined;
}

export type NewRunRecord = Omit<RunRecord, 'createdAt' | 'versions' | 'format'> & { versions?: Record<string, string> };

export interface OpenMode {
  /**
   * true: continue the run there (the --resume flag; refused when there is none); 'auto': continue
   * it when there is one, else start one (the pipeline); false/absent: start a new run.
   */
  resume?: boolean | 'auto';
  /** Replace the run there with a new one (only ever a darla run is deleted). */
  fresh?: boolean;
  /** Whether the command has a --resume flag (messages then advise it); default true. */
  resumeFlag?: boolean;
  /** Where a taken-over stale lock is reported; default stderr. */
  log?: (line: string) => void;
}

/** What is at a run directory's path. */
export type RunDirState = 'absent' | 'empty' | 'run' | 'foreign' | 'file';

/** The file that marks a shipped model (vision/vae/shipped.ts); such a run is never replaced nor resumed into. */
export const PROVENANCE_FILE = 'provenance.json';

/**
 * Top-level names darla writes into a run directory (any kind of run); anything else in a run is
 * the user's, and --fresh refuses to delete it.
 */
const DARLA_ENTRIES = new Set([
  'config.json', 'metrics.jsonl', 'checkpoints', 'images', 'report.md', 'report.html', 'done.json', 'scores.json', 'vision.md',
  'transfer.json', 'sweep.json', 'timings.json', 'agents', 'vision', 'transfer', 'logs', 'configs', 'dae', LOCK_FILE,
]);

/** A temp file of darla's atomic writes (`<file>.<pid>.<n>.tmp`) or of its lock (`run.lock.<pid>.tmp`). */
function isDarlaTemp(name: string): boolean {
  return /^run\.lock\.\d+\.tmp$/.test(name) || /\.\d+\.\d+\.tmp$/.test(name);
}

/** Entries that do not make a folder "non-empty": a darla lock and darla temp files a killed run may leave. */
function isLeftover(root: string, name: string): boolean {
  if (name === LOCK_FILE) return readLock(root) !== null;
  return isDarlaTemp(name);
}

/** What darla writes inside a run's checkpoints/ and images/ folders. */
const DARLA_INNER: Record<string, RegExp> = { checkpoints: /^(step-\d+\.ckpt|latest)$/, images: /\.(png|svg)$/ };

/**
 * Entries of a run that darla did not write (relative paths): at the top level, anything but the
 * names darla writes; inside checkpoints/ and images/, anything but checkpoints and pictures.
 */
function userEntries(root: string): string[] {
  const out: string[] = [];
  for (const name of fs.readdirSync(root)) {
    if (!DARLA_ENTRIES.has(name) && !isDarlaTemp(name)) {
      out.push(name);
      continue;
    }
    const inner = DARLA_INNER[name];
    if (inner === undefined) continue;
    let names: string[] = [];
    try {
      names = fs.readdirSync(path.join(root, name));
    } catch {
      continue; // not a folder
    }
    for (const n of names) if (!inner.test(n) && !isDarlaTemp(n)) out.push(`${name}/${n}`);
  }
  return out;
}

/** The one-sentence cause of a file-system error (e.g. 'permission denied'), for messages. */
export function fsCause(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'the disk is full';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    case 'ENOENT':
      return 'a part of the path does not exist';
    default:
      return code ?? (err instanceof Error ? err.message : String(err));
  }
}

/** The real path (symlinks resolved in every part), or null when it cannot be resolved. */
function realPath(p: string): string | null {
  try {
    return fs.realpathSync(p);
  } catch {
    return null;
  }
}

/** Whether `inner` is `outer` or inside it (paths compared as given; resolve or realpath them first). */
export function isWithin(outer: string, inner: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Whether a parsed config.json was written by this project (RUN_FORMAT, or the fields older runs have). */
export function isRunRecord(v: unknown): v is RunRecord {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const r = v as Record<string, unknown>;
  if (r.format === RUN_FORMAT && typeof r.kind === 'string') return true;
  return (
    typeof r.kind === 'string' &&
    (RUN_KINDS as readonly string[]).includes(r.kind) &&
    typeof r.seed === 'number' &&
    'config' in r &&
    typeof r.createdAt === 'string' &&
    r.versions !== null &&
    typeof r.versions === 'object'
  );
}

export class RunDir {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  get configPath(): string {
    return path.join(this.root, 'config.json');
  }
  get metricsPath(): string {
    return path.join(this.root, 'metrics.jsonl');
  }
  get checkpointsDir(): string {
    return path.join(this.root, 'checkpoints');
  }
  get imagesDir(): string {
    return path.join(this.root, 'images');
  }
  get reportPath(): string {
    return path.join(this.root, 'report.md');
  }

  exists(): boolean {
    return fs.existsSync(this.configPath);
  }

  /** What is at the path: nothing, an empty folder, a darla run, a folder of something else, or a file. */
  state(): RunDirState {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(this.root);
    } catch {
      return 'absent';
    }
    if (!stat.isDirectory()) return 'file';
    if (this.exists()) {
      try {
        if (isRunRecord(JSON.parse(fs.readFileSync(this.configPath, 'utf8')))) return 'run';
      } catch {
        // A config.json that is not JSON: not recognisably ours.
      }
      return 'foreign';
    }
    return fs.readdirSync(this.root).every((name) => isLeftover(this.root, name)) ? 'empty' : 'foreign';
  }

  /**
   * Refuses, before anything is written, what `open` with these arguments would refuse: a path that
   * is a file; a folder with other content (never written into, never deleted, --fresh or not);
   * --fresh on the folder the user stands in; --resume with nothing to resume; an existing run
   * without --resume/--fresh; a run of another kind or config; a run another process is writing.
   * Returns what `open` will do. Messages name the flag to change.
   */
  check(record: NewRunRecord, mode: OpenMode = {}): 'create' | 'resume' | 'replace' {
    if (mode.fresh && mode.resume === true) throw new UserError('--resume and --fresh contradict each other; pick one', '--resume');
    this.assertUsablePath();
    const state = this.state();
    if (state === 'file') throw new UserError(`--run-dir: ${this.root} is a file, not a folder; give a new or empty folder, or an existing darla run`, '--run-dir');
    if (state === 'foreign') {
      throw new UserError(
        `--run-dir: ${this.root} is not a darla run (it has no darla config.json) and is not empty; ` +
          `${mode.fresh ? '--fresh only ever deletes a darla run, so nothing was deleted' : 'nothing is written into it'}. Give a new or empty folder`,
        '--run-dir',
      );
    }
    if (state === 'absent' || state === 'empty') {
      if (mode.resume === true) {
        throw new UserError(`--resume: there is nothing to resume in ${this.root} (no run there); run without --resume to start one`, '--resume');
      }
      assertNotLocked(this.root);
      return 'create';
    }
    assertNotLocked(this.root);
    this.assertNotShipped();
    const existing = this.readRecord();
    if (existing.kind !== record.kind) {
      throw new UserError(
        `--run-dir: ${this.root} holds a ${existing.kind} run, not a ${record.kind} run; ${mode.fresh ? '--fresh only replaces a run of the same kind, so nothing was deleted. ' : ''}Choose another --run-dir`,
        '--run-dir',
      );
    }
    if (mode.fresh) {
      // Real paths on both sides: a symlinked --run-dir or working folder cannot hide that one holds the other.
      let cwd: string | null;
      try {
        cwd = realPath(process.cwd());
      } catch {
        cwd = null;
      }
      const real = realPath(this.root) ?? this.root;
      if (cwd === null || isWithin(real, cwd) || isWithin(this.root, cwd)) {
        throw new UserError(`--fresh: ${this.root}${real !== this.root ? ` (really ${real})` : ''} holds the current folder (${cwd ?? 'unknown'}); refusing to delete it. Change to another folder first`, '--fresh');
      }
      const theirs = userEntries(this.root);
      if (theirs.length > 0) {
        throw new UserError(
          `--fresh: ${this.root} holds files darla did not write (${theirs.map((n) => `'${n}'`).join(', ')}); --fresh deletes only darla's own, so nothing was deleted. Move them out first, or choose another --run-dir`,
          '--fresh',
        );
      }
      return 'replace';
    }
    const canResume = mode.resumeFlag ?? true;
    if (!mode.resume) {
      throw new UserError(
        `--run-dir: ${this.root} already holds a ${existing.kind} run; ${canResume ? 'pass --resume to continue it, ' : ''}pass --fresh to replace it, or choose another --run-dir`,
        '--run-dir',
      );
    }
    const again = mode.resume === 'auto' ? 'run with the same flags as before' : "use the run's own flags";
    if (stableStringify(existing.config) !== stableStringify(record.config) || existing.seed !== record.seed) {
      throw new UserError(`cannot resume ${this.root}: its config or seed differs from this command's (${again}, or --fresh to start over)`, mode.resume === true ? '--resume' : '--run-dir');
    }
    if (existing.variants !== undefined && record.variants !== undefined) {
      const changed = Object.keys(record.variants).filter((name) => name in existing.variants! && stableStringify(existing.variants![name]) !== stableStringify(record.variants![name]));
      if (changed.length > 0) {
        throw new UserError(`cannot resume ${this.root}: the definition of variant ${changed.map((n) => `'${n}'`).join(', ')} differs from the one this run started with (its config.json has it; use --fresh to start over)`, mode.resume === true ? '--resume' : '--run-dir');
      }
    }
    return 'resume';
  }

  /**
   * Opens the run for writing, after `check` (so nothing is touched when it refuses), and locks it
   * for this process (release() or the process's exit unlocks it). A new directory gets config.json;
   * an existing run is resumed (mode.resume) or, with mode.fresh, emptied and started again.
   */
  open(record: NewRunRecord, mode: OpenMode = {}): RunRecord {
    const action = this.check(record, mode);
    try {
      fs.mkdirSync(this.root, { recursive: true });
    } catch (err) {
      throw new UserError(`--run-dir: cannot create ${this.root}: ${fsCause(err)}`, '--run-dir');
    }
    try {
      acquireLock(this.root, mode.log);
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new UserError(`--run-dir: cannot write the lock in ${this.root}: ${fsCause(err)}`, '--run-dir');
    }
    if (action === 'resume') return this.readRecord();
    if (action === 'replace') {
      // Only an encoder (a pretraining run) has agents that depend on it.
      const orphans = record.kind === 'pretrain' ? dependentAgents(this.root) : [];
      if (orphans.length > 0) {
        (mode.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(
          `warning: --fresh replaces the encoder in ${this.root}, which these agent runs were trained with; they will no longer find a matching encoder (its fingerprint changes): ${orphans.join(', ')}`,
        );
      }
      for (const name of fs.readdirSync(this.root)) if (name !== LOCK_FILE) fs.rmSync(path.join(this.root, name), { recursive: true, force: true });
    }
    const full: RunRecord = { format: RUN_FORMAT, ...record, versions: { ...defaultVersions(), ...(record.versions ?? {}) }, createdAt: new Date().toISOString() };
    writeJsonAtomic(this.configPath, full);
    return full;
  }

  /**
   * Refuses (one sentence naming the path and the cause) a --run-dir that cannot hold a run: a
   * dangling symlink on the way, a file where a folder should be, a folder this process cannot write.
   */
  assertUsablePath(): void {
    let p = this.root;
    for (;;) {
      let st: fs.Stats | null = null;
      try {
        st = fs.lstatSync(p);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new UserError(`--run-dir: cannot use ${this.root}: ${p}: ${fsCause(err)}`, '--run-dir');
      }
      if (st !== null) {
        if (st.isSymbolicLink() && realPath(p) === null) {
          let target = '?';
          try {
            target = fs.readlinkSync(p);
          } catch {
            // Unreadable link: the message names the link alone.
          }
          throw new UserError(`--run-dir: ${p} is a symbolic link to ${target}, which does not exist; point --run-dir at a real folder or fix the link`, '--run-dir');
        }
        const isDir = fs.statSync(p).isDirectory();
        if (p !== this.root && !isDir) throw new UserError(`--run-dir: cannot create ${this.root}: ${p} is a file, not a folder`, '--run-dir');
        if (isDir) {
          try {
            fs.accessSync(p, fs.constants.W_OK | fs.constants.X_OK);
          } catch (err) {
            throw new UserError(`--run-dir: cannot write in ${p}${p !== this.root ? ` (to create ${this.root})` : ''}: ${fsCause(err)}`, '--run-dir');
          }
        }
        return;
      }
      const parent = path.dirname(p);
      if (parent === p) return;
      p = parent;
    }
  }

  /** Refuses a shipped model (its provenance.json marks it): darla never replaces nor resumes into one. */
  assertNotShipped(): void {
    if (!fs.existsSync(path.join(this.root, PROVENANCE_FILE))) return;
    throw new UserError(
      `--run-dir: ${this.root} is a shipped model (its ${PROVENANCE_FILE} marks it); darla never replaces nor continues a shipped model (--fresh, --resume), so nothing was changed. ` +
        'Train in another --run-dir and ship the result with `npx tsx scripts/ship-vision.ts --run <that run> --kind <darla|entangled> --command "<how you trained it>"`',
      '--run-dir',
    );
  }

  /** Takes the run's lock without opening it (e.g. to add an evaluation to a finished run). */
  lock(log?: (line: string) => void): void {
    acquireLock(this.root, log);
  }

  /** Releases this process's lock on the run (no-op when it holds none). */
  release(): void {
    releaseLock(this.root);
  }

  readRecord(): RunRecord {
    if (!this.exists()) throw new UserError(`no run found at ${this.root} (config.json is missing)`, 'run');
    try {
      return JSON.parse(fs.readFileSync(this.configPath, 'utf8')) as RunRecord;
    } catch {
      throw new UserError(`config.json in ${this.root} is not valid JSON; the run directory is damaged`, 'run');
    }
  }

  /** Updates fields of config.json (e.g. the backend once chosen). */
  updateRecord(patch: Partial<RunRecord>): void {
    writeJsonAtomic(this.configPath, { ...this.readRecord(), ...patch });
  }

  logMetrics(record: MetricRecord): void {
    appendLine(this.metricsPath, JSON.stringify({ ...record, time: Date.now() / 1000 }));
  }

  readMetrics(): MetricRecord[] {
    return readJsonLines<MetricRecord>(this.metricsPath);
  }

  /** Drops metric records logged after `step` (those a resumed run will log again). */
  truncateMetricsAfter(step: number): void {
    if (!fs.existsSync(this.metricsPath)) return;
    const kept = this.readMetrics().filter((r) => r.step <= step);
    writeFileAtomic(this.metricsPath, kept.map((r) => JSON.stringify(r)).join('\n') + (kept.length > 0 ? '\n' : ''));
  }

  imagePath(name: string): string {
    return path.join(this.imagesDir, name);
  }

  writeJson(name: string, value: unknown): void {
    writeJsonAtomic(path.join(this.root, name), value);
  }

  writeText(name: string, text: string): void {
    writeFileAtomic(path.join(this.root, name), text);
  }
}

/**
 * Agent runs near an encoder's run (its parent's and grandparent's sub-folders, two levels deep: a
 * pipeline's agents/, or sibling runs) whose recorded encoder (`config.vae`) is that run.
 */
export function dependentAgents(encoderRoot: string): string[] {
  const real = realPath(encoderRoot) ?? path.resolve(encoderRoot);
  const parent = path.dirname(real);
  const out = new Set<string>();
  let budget = 2000; // folders looked into at most: a run placed in a big folder costs little
  const visit = (dir: string, depth: number) => {
    if (budget-- <= 0) return;
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names.slice(0, 500)) {
      const sub = path.join(dir, name);
      if (sub === real) continue;
      let isDir = false;
      try {
        isDir = fs.lstatSync(sub).isDirectory();
      } catch {
        continue;
      }
      if (!isDir) continue;
      try {
        const rec = JSON.parse(fs.readFileSync(path.join(sub, 'config.json'), 'utf8')) as unknown;
        if (isRunRecord(rec) && rec.kind === 'train-agent') {
          const vae = (rec.config as { vae?: unknown } | null)?.vae;
          // The path as given (relative to where train-agent ran, or to the agent's run); a run or one of its checkpoints.
          const uses = (p: string) => isWithin(real, realPath(p) ?? p);
          if (typeof vae === 'string' && (uses(path.resolve(vae)) || uses(path.resolve(sub, vae)))) out.add(sub);
          continue;
        }
      } catch {
        // No config.json here: look deeper.
      }
      if (depth > 0) visit(sub, depth - 1);
    }
  };
  visit(parent, 1);
  if (path.dirname(parent) !== parent) visit(path.dirname(parent), 1);
  return [...out].sort();
}

/** JSON with sorted keys, for comparing configs. */
export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableStringify(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

let cachedVersions: Record<string, string> | null = null;

/** Versions recorded with every run: node, darla-ts, and the pinned tfjs packages. */
export function defaultVersions(): Record<string, string> {
  if (cachedVersions !== null) return cachedVersions;
  const out: Record<string, string> = { node: process.version };
  try {
    const pkgPath = new URL('../../package.json', import.meta.url);
    const pkg = JSON.parse(fs.readFileSync(pkgPath, 'utf8')) as { version: string; dependencies?: Record<string, string> };
    out['darla-ts'] = pkg.version;
    for (const [name, version] of Object.entries(pkg.dependencies ?? {})) {
      if (name.startsWith('@tensorflow/')) out[name] = version;
    }
  } catch {
    // Running from an unusual layout: node's version alone is still recorded.
  }
  cachedVersions = out;
  return out;
}
