/**
 * MultiDiscrete(nvec): a vector of independent discrete values, element i in 0..nvec[i]-1
 * (gymnasium/spaces/multi_discrete.py). Values are Int32Arrays of length nvec.length.
 */
import { Rng } from '../rng.ts';
import type { Space } from '../space.ts';

export class MultiDiscrete implements Space<Int32Array> {
  readonly nvec: Int32Array;
  readonly shape: readonly number[];
  readonly dtype = 'int32' as const;
  private readonly rng = new Rng(0);

  constructor(nvec: ArrayLike<number>) {
    if (nvec.length === 0) throw new Error('MultiDiscrete needs at least one dimension');
    this.nvec = Int32Array.from(nvec);
    for (let i = 0; i < nvec.length; i++) {
      if (!Number.isInteger(nvec[i]) || nvec[i] < 1) throw new Error(`MultiDiscrete nvec[${i}] must be an integer >= 1, got ${nvec[i]}`);
    }
    this.shape = [nvec.length];
  }

  seed(seed: number): void {
    this.rng.reseed(seed);
  }

  sample(): Int32Array {
    const out = new Int32Array(this.nvec.length);
    for (let i = 0; i < out.length; i++) out[i] = this.rng.int(this.nvec[i]);
    return out;
  }

  contains(x: unknown): boolean {
    if (!(x instanceof Int32Array) || x.length !== this.nvec.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] < 0 || x[i] >= this.nvec[i]) return false;
    return true;
  }

  toString(): string {
    return `MultiDiscrete([${Array.from(this.nvec).join(',')}])`;
  }
}
