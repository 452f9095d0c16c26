/**
 * The contract between `darla bench` and each suite module (scripts/bench/<suite>.ts): a suite
 * exports `run(options)` and returns the backend it measured on and its named metrics, using the
 * metric names of ../shared/DESIGN.md. Suites measure; they never assert speed.
 */
import type { BackendChoice } from '../cli/options.ts';

export interface BenchOptions {
  /** Fewer repetitions so the suite ends in under a minute; the same metric names. */
  quick: boolean;
  backend: BackendChoice;
  seed: number;
  /** Progress and explanations go here (stderr), never to stdout. */
  log: (line: string) => void;
}

export interface BenchResult {
  /** The backend(s) actually measured, e.g. 'wasm' or 'wasm,webgpu'; 'none' for tensor-free suites. */
  backend: string;
  metrics: Record<string, number>;
  /** Anything else worth keeping (per-repeat timings, shapes); written to the JSON file only. */
  details?: Record<string, unknown>;
}

export type BenchSuite = (options: BenchOptions) => Promise<BenchResult>;

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of an empty list');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A percentile (0..100) by linear interpolation, as numpy's default. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) throw new Error('percentile of an empty list');
  const s = [...xs].sort((a, b) => a - b);
  const pos = ((s.length - 1) * p) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}
