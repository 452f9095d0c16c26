/**
 * How long each piece of the pipeline took and how fast it trained, summed over every invocation
 * that worked on it: a piece interrupted and resumed took the time of both sessions. timings.json
 * is rewritten while pieces run (on every progress tick and whenever one starts, ends or stops), so
 * even a pipeline killed with -9 leaves the time it had spent, and the next invocation adds to it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readJsonLines, writeJsonAtomic } from '../../envs/util/files.ts';

export interface StageTiming {
  stage: string;
  item: string;
  /** Seconds spent on the piece, all invocations together. */
  seconds: number;
  /** Done before any time was recorded for it (older runs): its time is unknown. */
  skipped: boolean;
}

export class Timings {
  private readonly entries = new Map<string, StageTiming>();
  private readonly started = new Map<string, number>();

  /** Loads what earlier invocations recorded in `file` (none when it is missing or unreadable). */
  constructor(
    readonly file: string,
    private readonly now: () => number = () => performance.now(),
  ) {
    let previous: unknown = [];
    try {
      previous = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      // No earlier invocation (or a damaged file): start from nothing.
    }
    if (!Array.isArray(previous)) return;
    for (const t of previous as Partial<StageTiming>[]) {
      if (typeof t.stage !== 'string' || typeof t.item !== 'string' || typeof t.seconds !== 'number') continue;
      this.entries.set(key(t.stage, t.item), { stage: t.stage, item: t.item, seconds: t.seconds, skipped: t.skipped === true && t.seconds === 0 });
    }
  }

  /** A piece starts (or resumes) work in this invocation. */
  start(stage: string, item: string): void {
    const k = key(stage, item);
    if (!this.entries.has(k)) this.entries.set(k, { stage, item, seconds: 0, skipped: false });
    this.entries.get(k)!.skipped = false;
    this.started.set(k, this.now());
    this.save();
  }

  /** A piece ends its work in this invocation (finished, or stopped): its time so far is added. */
  finish(stage: string, item: string): void {
    const k = key(stage, item);
    const t0 = this.started.get(k);
    if (t0 === undefined) return;
    this.started.delete(k);
    this.entries.get(k)!.seconds += (this.now() - t0) / 1000;
    this.save();
  }

  /** A piece that was done in an earlier invocation: its recorded time stays. */
  skip(stage: string, item: string): void {
    const k = key(stage, item);
    if (!this.entries.has(k)) this.entries.set(k, { stage, item, seconds: 0, skipped: true });
  }

  /** Ends every piece still running (the pipeline was stopped or failed). */
  stopAll(): void {
    for (const k of [...this.started.keys()]) {
      const { stage, item } = this.entries.get(k)!;
      this.finish(stage, item);
    }
    this.save();
  }

  /** Every piece, with the time running ones have spent so far. */
  list(): StageTiming[] {
    const at = this.now();
    return [...this.entries.entries()].map(([k, t]) => {
      const t0 = this.started.get(k);
      return t0 === undefined ? { ...t } : { ...t, seconds: t.seconds + (at - t0) / 1000 };
    });
  }

  /** Writes the list to timings.json (atomically). */
  save(): void {
    writeJsonAtomic(this.file, this.list());
  }
}

function key(stage: string, item: string): string {
  return `${stage}/${item}`;
}

/**
 * A run's training speed over all of its sessions: the mean of a speed it logs (e.g. `img_per_sec`,
 * `charts/SPS`) over every metrics record that has it (a resumed run keeps its earlier records), or
 * null when none does. A session that resumes at the very end logs nothing, so it cannot drag the
 * speed to 0.
 */
export function loggedSpeed(runDir: string, metric: string): number | null {
  const values = readJsonLines<Record<string, unknown>>(path.join(runDir, 'metrics.jsonl'))
    .map((r) => r[metric])
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0);
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}
