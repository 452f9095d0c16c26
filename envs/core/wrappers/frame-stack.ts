/**
 * FrameStack (gymnasium/wrappers/stateful_observation.py FrameStackObservation): the observation
 * becomes the last `stackSize` observations of a Box env, stacked along a new leading axis
 * ([stackSize, ...shape], oldest first). At reset the stack is padded with copies of the reset
 * observation ('reset', Gymnasium's default) or with zeros ('zero').
 */
import type { Env, ResetArgs, ResetResult, StepResult } from '../env.ts';
import type { Dtype, Space } from '../space.ts';
import { Box, allocate, type BoxValue } from '../spaces/box.ts';
import { Wrapper } from './wrapper.ts';

export type FramePadding = 'reset' | 'zero';

export class FrameStack<O extends BoxValue, Act> extends Wrapper<O, Act> {
  private readonly space: Box<Dtype>;
  private readonly inner: Box<Dtype>;
  /** Ring buffer of the last stackSize frames. */
  private readonly frames: O[];
  private head = 0;

  constructor(
    env: Env<O, Act>,
    readonly stackSize: number,
    readonly padding: FramePadding = 'reset',
  ) {
    super(env);
    if (!Number.isInteger(stackSize) || stackSize < 1) throw new Error(`FrameStack needs an integer stackSize >= 1, got ${stackSize}`);
    if (!(env.observationSpace instanceof Box)) throw new Error('FrameStack needs a Box observation space');
    this.inner = env.observationSpace;
    const n = this.inner.size;
    const low = new Float64Array(n * stackSize);
    const high = new Float64Array(n * stackSize);
    for (let k = 0; k < stackSize; k++) {
      low.set(this.inner.low, k * n);
      high.set(this.inner.high, k * n);
    }
    if (padding === 'zero') {
      for (let i = 0; i < low.length; i++) {
        low[i] = Math.min(low[i], 0);
        high[i] = Math.max(high[i], 0);
      }
    }
    this.space = new Box(low, high, [stackSize, ...this.inner.shape], this.inner.dtype);
    this.frames = Array.from({ length: stackSize }, () => allocate(this.inner.dtype, n) as O);
  }

  /** Box([stackSize, ...shape]) of the inner dtype (so its values are O). */
  override get observationSpace(): Box<Dtype> & Space<O> {
    return this.space as Box<Dtype> & Space<O>;
  }

  override reset(args?: ResetArgs): ResetResult<O> {
    const r = this.env.reset(args);
    for (const f of this.frames) {
      if (this.padding === 'reset') f.set(r.observation);
      else f.fill(0);
    }
    this.head = 0;
    this.push(r.observation);
    return { observation: this.stacked(), info: r.info };
  }

  override step(action: Act): StepResult<O> {
    const r = this.env.step(action);
    this.push(r.observation);
    return { ...r, observation: this.stacked() };
  }

  private push(obs: O): void {
    this.frames[this.head].set(obs);
    this.head = (this.head + 1) % this.stackSize;
  }

  private stacked(): O {
    const n = this.inner.size;
    const out = allocate(this.inner.dtype, n * this.stackSize) as O;
    // Oldest first: the slot after the most recent write is the oldest.
    for (let k = 0; k < this.stackSize; k++) out.set(this.frames[(this.head + k) % this.stackSize], k * n);
    return out;
  }
}
