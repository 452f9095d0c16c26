/**
 * The Space contract (gymnasium/spaces/space.py): a set of valid values with a seeded `sample()`,
 * a `contains()` test, and a shape and dtype. Concrete spaces (Box, Discrete, MultiDiscrete, Dict)
 * live in envs/core/spaces/.
 */
export type Dtype = 'uint8' | 'int32' | 'float32';

export interface Space<T> {
  /** Shape of one value; [] for scalars (Discrete), undefined for Dict. */
  readonly shape: readonly number[] | undefined;
  readonly dtype: Dtype | undefined;
  /** Reseeds this space's own generator (so action sampling is reproducible). */
  seed(seed: number): void;
  sample(): T;
  contains(x: unknown): boolean;
  /** A short human-readable description, e.g. `Discrete(5)` or `Box(0, 255, [64,64,3], uint8)`. */
  toString(): string;
}
