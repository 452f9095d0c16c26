/**
 * A run directory: the one place a run (pretraining, agent training, transfer, the pipeline) writes
 * to. Layout (DESIGN.md): config.json (config, seed, versions, backend), metrics.jsonl (one JSON
 * record per logged step), checkpoints/, images/, report.md. Every write is atomic; on resume the
 * metrics logged after the last checkpoint are dropped so a resumed run logs each step once.
 * A run is recognisable as one (config.json with `format: RUN_FORMAT`, or an older run's fields):
 * only such a folder is ever resumed or deleted (--fresh), a folder with anything else in it is
 * never written into, and a run is locked (run-lock.ts) while a process writes in it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.ts';
import { appendLine, readJsonLines, writeFileAtomic, writeJsonAtomic } from './files.ts';
import { acquireLock, assertNotLocked, LOCK_FILE, releaseLock } from './run-lock.ts';

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

/** Entries that do not make a folder "non-empty": a lock and temp files a killed run may leave. */
function isLeftover(name: string): boolean {
  return name === LOCK_FILE || name.endsWith('.tmp');
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
    return fs.readdirSync(this.root).every(isLeftover) ? 'empty' : 'foreign';
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
    const existing = this.readRecord();
    if (existing.kind !== record.kind) {
      throw new UserError(
        `--run-dir: ${this.root} holds a ${existing.kind} run, not a ${record.kind} run; ${mode.fresh ? '--fresh only replaces a run of the same kind, so nothing was deleted. ' : ''}Choose another --run-dir`,
        '--run-dir',
      );
    }
    if (mode.fresh) {
      const cwd = process.cwd();
      const rel = path.relative(this.root, cwd);
      if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) {
        throw new UserError(`--fresh: ${this.root} holds the current folder (${cwd}); refusing to delete it. Change to another folder first`, '--fresh');
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
    fs.mkdirSync(this.root, { recursive: true });
    acquireLock(this.root, mode.log);
    if (action === 'resume') return this.readRecord();
    if (action === 'replace') {
      for (const name of fs.readdirSync(this.root)) if (name !== LOCK_FILE) fs.rmSync(path.join(this.root, name), { recursive: true, force: true });
    }
    const full: RunRecord = { format: RUN_FORMAT, ...record, versions: { ...defaultVersions(), ...(record.versions ?? {}) }, createdAt: new Date().toISOString() };
    writeJsonAtomic(this.configPath, full);
    return full;
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
