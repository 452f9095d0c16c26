/**
 * A run directory: the one place a run (pretraining, agent training, transfer, the pipeline) writes
 * to. Layout (DESIGN.md): config.json (config, seed, versions, backend), metrics.jsonl (one JSON
 * record per logged step), checkpoints/, images/, report.md. Every write is atomic; on resume the
 * metrics logged after the last checkpoint are dropped so a resumed run logs each step once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.ts';
import { appendLine, readJsonLines, writeFileAtomic, writeJsonAtomic } from './files.ts';

export interface RunRecord {
  /** What kind of run this is, e.g. 'pretrain', 'train-agent', 'transfer', 'pipeline'. */
  kind: string;
  seed: number;
  config: unknown;
  /** Filled in when the backend is known. */
  backend?: string;
  versions: Record<string, string>;
  createdAt: string;
}

export interface MetricRecord {
  step: number;
  [key: string]: number | string | number[] | undefined;
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

  /**
   * Opens the run for writing. A new directory gets config.json. An existing one is resumed only
   * when `resume` is set and its kind and config match; `fresh` wipes it first. Anything else is a
   * UserError, so nothing is overwritten by accident.
   */
  open(record: Omit<RunRecord, 'createdAt' | 'versions'> & { versions?: Record<string, string> }, mode: { resume?: boolean; fresh?: boolean } = {}): RunRecord {
    if (mode.fresh && fs.existsSync(this.root)) fs.rmSync(this.root, { recursive: true, force: true });
    if (this.exists()) {
      const existing = this.readRecord();
      if (!mode.resume) {
        throw new UserError(`run directory ${this.root} already holds a ${existing.kind} run; pass --resume to continue it or --fresh to start over`, '--run-dir');
      }
      if (existing.kind !== record.kind) {
        throw new UserError(`run directory ${this.root} holds a ${existing.kind} run, not a ${record.kind} run`, '--run-dir');
      }
      if (stableStringify(existing.config) !== stableStringify(record.config) || existing.seed !== record.seed) {
        throw new UserError(`cannot resume ${this.root}: its config or seed differs from this command's (use --fresh to start over, or the run's own flags)`, '--resume');
      }
      return existing;
    }
    const full: RunRecord = { ...record, versions: { ...defaultVersions(), ...(record.versions ?? {}) }, createdAt: new Date().toISOString() };
    fs.mkdirSync(this.root, { recursive: true });
    writeJsonAtomic(this.configPath, full);
    return full;
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
