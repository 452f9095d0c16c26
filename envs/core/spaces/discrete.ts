/**
 * Discrete(n, start): the integers start, start+1, …, start+n-1 (gymnasium/spaces/discrete.py).
 * `sample(mask)` optionally restricts sampling to the values whose mask entry is 1.
 */
import { Rng } from '../rng.ts';
import type { Space } from '../space.ts';

export class Discrete implements Space<number> {
  readonly shape: readonly number[] = [];
  readonly dtype = 'int32' as const;
  private readonly rng = new Rng(0);

  constructor(
    readonly n: number,
    readonly start = 0,
  ) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`Discrete needs an integer n >= 1, got ${n}`);
    if (!Number.isInteger(start)) throw new Error(`Discrete start must be an integer, got ${start}`);
  }

  seed(seed: number): void {
    this.rng.reseed(seed);
  }

  /** A uniform value; with `mask` (length n, 0/1), uniform over the allowed values only. */
  sample(mask?: ArrayLike<number>): number {
    if (mask === undefined) return this.start + this.rng.int(this.n);
    if (mask.length !== this.n) throw new Error(`Discrete(${this.n}).sample: mask has length ${mask.length}`);
    let allowed = 0;
    for (let i = 0; i < this.n; i++) if (mask[i]) allowed++;
    if (allowed === 0) return this.start; // Gymnasium's rule: an all-zero mask returns start.
    let k = this.rng.int(allowed);
    for (let i = 0; i < this.n; i++) {
      if (mask[i] && k-- === 0) return this.start + i;
    }
    throw new Error('unreachable');
  }

  contains(x: unknown): boolean {
    return typeof x === 'number' && Number.isInteger(x) && x >= this.start && x < this.start + this.n;
  }

  toString(): string {
    return this.start === 0 ? `Discrete(${this.n})` : `Discrete(${this.n}, start=${this.start})`;
  }
}
