/**
 * Box: an n-dimensional array of numbers with per-element bounds (gymnasium/spaces/box.py).
 * Values are typed arrays of the box's dtype (Uint8Array, Int32Array or Float32Array) holding
 * prod(shape) elements, row-major. Sampling follows Gymnasium: uniform on bounded dimensions,
 * exponential on half-bounded ones, standard normal on unbounded ones; integer boxes sample
 * uniformly on [low, high] inclusive.
 */
import { Rng } from '../rng.ts';
import type { Dtype, Space } from '../space.ts';

/** The typed array that holds a value of each dtype. */
export interface DtypeArray {
  uint8: Uint8Array;
  int32: Int32Array;
  float32: Float32Array;
}
export type BoxValue = DtypeArray[Dtype];

const DTYPE_RANGE: Record<Dtype, [number, number]> = {
  uint8: [0, 255],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  float32: [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
};

export function allocate<D extends Dtype>(dtype: D, size: number): DtypeArray[D] {
  if (dtype === 'uint8') return new Uint8Array(size) as DtypeArray[D];
  if (dtype === 'int32') return new Int32Array(size) as DtypeArray[D];
  return new Float32Array(size) as DtypeArray[D];
}

function isOfDtype(x: unknown, dtype: Dtype): x is BoxValue {
  if (dtype === 'uint8') return x instanceof Uint8Array;
  if (dtype === 'int32') return x instanceof Int32Array;
  return x instanceof Float32Array;
}

export class Box<D extends Dtype = 'float32'> implements Space<DtypeArray[D]> {
  readonly shape: readonly number[];
  readonly dtype: D;
  /** Number of elements in one value (prod(shape)). */
  readonly size: number;
  /** Per-element bounds, as float64 so ±Infinity survives for float boxes. */
  readonly low: Float64Array;
  readonly high: Float64Array;
  private readonly rng = new Rng(0);

  /**
   * @param low scalar or per-element lower bounds (length prod(shape)); -Infinity allowed for float32
   * @param high scalar or per-element upper bounds
   */
  constructor(low: number | ArrayLike<number>, high: number | ArrayLike<number>, shape: readonly number[], dtype: D = 'float32' as D) {
    if (!shape.every((d) => Number.isInteger(d) && d >= 1)) throw new Error(`Box shape must be positive integers, got [${shape}]`);
    this.shape = [...shape];
    this.dtype = dtype;
    this.size = shape.reduce((a, b) => a * b, 1);
    this.low = broadcast(low, this.size, 'low');
    this.high = broadcast(high, this.size, 'high');
    if (dtype === 'float32') {
      // Bounds are cast to the dtype (as Gymnasium does), so a float32 value equal to a bound is inside.
      for (let i = 0; i < this.size; i++) {
        this.low[i] = Math.fround(this.low[i]);
        this.high[i] = Math.fround(this.high[i]);
      }
    }
    const [dmin, dmax] = DTYPE_RANGE[dtype];
    for (let i = 0; i < this.size; i++) {
      const lo = this.low[i];
      const hi = this.high[i];
      if (Number.isNaN(lo) || Number.isNaN(hi)) throw new Error('Box bounds must not be NaN');
      if (lo > hi) throw new Error(`Box low[${i}]=${lo} exceeds high[${i}]=${hi}`);
      if (dtype !== 'float32') {
        if (!Number.isInteger(lo) || !Number.isInteger(hi)) throw new Error(`Box(${dtype}) bounds must be integers`);
        if (lo < dmin || hi > dmax) throw new Error(`Box(${dtype}) bounds must lie in [${dmin}, ${dmax}]`);
      }
    }
  }

  seed(seed: number): void {
    this.rng.reseed(seed);
  }

  /** True when every dimension has finite low and high. */
  isBounded(): boolean {
    for (let i = 0; i < this.size; i++) if (!Number.isFinite(this.low[i]) || !Number.isFinite(this.high[i])) return false;
    return true;
  }

  sample(): DtypeArray[D] {
    const out: BoxValue = allocate(this.dtype, this.size);
    const r = this.rng;
    for (let i = 0; i < this.size; i++) {
      const lo = this.low[i];
      const hi = this.high[i];
      if (this.dtype !== 'float32') {
        out[i] = lo + r.int(hi - lo + 1);
        continue;
      }
      const loFinite = Number.isFinite(lo);
      const hiFinite = Number.isFinite(hi);
      let v: number;
      if (loFinite && hiFinite) v = r.range(lo, hi);
      else if (loFinite) v = lo + expSample(r);
      else if (hiFinite) v = hi - expSample(r);
      else v = r.normal();
      // Rounding to float32 may step just outside a bound: clamp.
      out[i] = v;
      if (out[i] < lo) out[i] = lo;
      if (out[i] > hi) out[i] = hi;
    }
    return out as DtypeArray[D];
  }

  contains(x: unknown): x is DtypeArray[D] {
    if (!isOfDtype(x, this.dtype) || x.length !== this.size) return false;
    for (let i = 0; i < this.size; i++) {
      const v = x[i];
      // NaN fails both comparisons, so it is rejected here too.
      if (!(v >= this.low[i] && v <= this.high[i])) return false;
    }
    return true;
  }

  toString(): string {
    return `Box(${boundText(this.low)}, ${boundText(this.high)}, [${this.shape.join(',')}], ${this.dtype})`;
  }
}

function expSample(r: Rng): number {
  let u = 0;
  while (u === 0) u = r.uniform();
  return -Math.log(u);
}

function broadcast(v: number | ArrayLike<number>, size: number, name: string): Float64Array {
  const out = new Float64Array(size);
  if (typeof v === 'number') {
    out.fill(v);
    return out;
  }
  if (v.length !== size) throw new Error(`Box ${name} has ${v.length} elements, shape needs ${size}`);
  for (let i = 0; i < size; i++) out[i] = v[i];
  return out;
}

function boundText(b: Float64Array): string {
  const first = b[0];
  for (let i = 1; i < b.length; i++) if (b[i] !== first) return `[${Array.from(b.slice(0, 4)).join(',')}${b.length > 4 ? ',…' : ''}]`;
  return String(first);
}
