/**
 * Dict: a fixed set of named sub-spaces (gymnasium/spaces/dict.py). Values are plain objects
 * with exactly those keys. Seeding a Dict seeds each sub-space with a seed derived from the
 * Dict's seed and the key's position, so the whole sample stream is reproducible.
 */
import { mixSeed } from '../rng.ts';
import type { Space } from '../space.ts';

export type DictValue<S extends Record<string, Space<unknown>>> = { [K in keyof S]: S[K] extends Space<infer T> ? T : never };

export class Dict<S extends Record<string, Space<unknown>>> implements Space<DictValue<S>> {
  readonly shape = undefined;
  readonly dtype = undefined;
  readonly keys: readonly string[];

  constructor(readonly spaces: S) {
    // Gymnasium sorts plain-dict keys; we keep them sorted too so sample order never depends on insertion.
    this.keys = Object.keys(spaces).sort();
    if (this.keys.length === 0) throw new Error('Dict needs at least one sub-space');
    this.seed(0);
  }

  seed(seed: number): void {
    this.keys.forEach((k, i) => this.spaces[k].seed(mixSeed(seed, i)));
  }

  sample(): DictValue<S> {
    const out: Record<string, unknown> = {};
    for (const k of this.keys) out[k] = this.spaces[k].sample();
    return out as DictValue<S>;
  }

  contains(x: unknown): boolean {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
    const obj = x as Record<string, unknown>;
    const got = Object.keys(obj);
    if (got.length !== this.keys.length) return false;
    return this.keys.every((k) => k in obj && this.spaces[k].contains(obj[k]));
  }

  toString(): string {
    return `Dict(${this.keys.map((k) => `${k}: ${this.spaces[k].toString()}`).join(', ')})`;
  }
}
