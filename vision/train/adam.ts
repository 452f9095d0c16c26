/**
 * Adam (Kingma & Ba 2015) with PyTorch's update rule and an explicit, serialisable state, shared by
 * the β-VAE and the agent. tfjs's own AdamOptimizer keeps β^t as a running product that its
 * setWeights() rebuilds with pow(), so a resumed run drifts in the last bits; here the bias
 * corrections are computed from the step count in float64, and a restored optimizer continues
 * bit-exactly. Optional global gradient-norm clipping (PPO's max_grad_norm).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedArray } from '../checkpoint/format.ts';

export interface AdamConfig {
  lr: number;
  beta1?: number;
  beta2?: number;
  /** PyTorch's eps (added to sqrt(v̂)); 1e-8 default, PPO uses 1e-5. */
  eps?: number;
  /** Clip the global L2 norm of all gradients to this value before the update. */
  maxGradNorm?: number;
}

export interface AdamStepInfo {
  /** The global gradient norm before clipping, when clipping is on (else NaN: not computed). */
  gradNorm: number;
}

/** The global L2 norm of a set of gradients, read back as a number (what clipping measures). */
export function globalGradNorm(grads: Record<string, tf.Tensor>): number {
  return tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))).dataSync()[0]);
}

export class Adam {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly maxGradNorm: number | undefined;
  lr: number;
  /** Number of updates applied so far. */
  t = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(
    readonly params: ReadonlyArray<[string, tf.Variable]>,
    config: AdamConfig,
  ) {
    this.lr = config.lr;
    this.beta1 = config.beta1 ?? 0.9;
    this.beta2 = config.beta2 ?? 0.999;
    this.eps = config.eps ?? 1e-8;
    this.maxGradNorm = config.maxGradNorm;
    for (const [name, p] of params) {
      // tidy frees the zerosLike temporaries; variables survive it.
      this.m.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
      this.v.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
    }
  }

  /**
   * Applies one update. `grads` maps each param's name to its gradient (all params must be present).
   * `knownGradNorm`: the global norm of exactly these gradients when the caller has already read it
   * back (to check it before updating), so it is not computed twice.
   */
  apply(grads: Record<string, tf.Tensor>, knownGradNorm?: number): AdamStepInfo {
    this.t += 1;
    const t = this.t;
    const bc1 = 1 - Math.pow(this.beta1, t);
    const bc2 = 1 - Math.pow(this.beta2, t);
    let gradNorm = Number.NaN;
    let scale = 1;
    if (this.maxGradNorm !== undefined) {
      gradNorm = knownGradNorm ?? tf.tidy(() => {
        const sq = this.params.map(([name]) => tf.sum(tf.square(grads[name])));
        return tf.sqrt(tf.addN(sq)).dataSync()[0];
      });
      // Same formula as torch.nn.utils.clip_grad_norm_.
      scale = Math.min(1, this.maxGradNorm / (gradNorm + 1e-6));
    }
    tf.tidy(() => {
      const stepSize = tf.scalar(this.lr / bc1);
      const b1 = tf.scalar(this.beta1);
      const b2 = tf.scalar(this.beta2);
      const oneMinusB1 = tf.scalar(1 - this.beta1);
      const oneMinusB2 = tf.scalar(1 - this.beta2);
      const sqrtBc2 = tf.scalar(Math.sqrt(bc2));
      const eps = tf.scalar(this.eps);
      const gScale = tf.scalar(scale);
      for (const [name, p] of this.params) {
        const raw = grads[name];
        if (raw === undefined) throw new Error(`Adam.apply: no gradient for ${name}`);
        const g = scale === 1 ? raw : tf.mul(raw, gScale);
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const mNew = tf.add(tf.mul(m, b1), tf.mul(g, oneMinusB1));
        const vNew = tf.add(tf.mul(v, b2), tf.mul(tf.square(g), oneMinusB2));
        m.assign(mNew);
        v.assign(vNew);
        // p -= lr/bc1 · m / (sqrt(v)/sqrt(bc2) + eps)   (torch.optim.Adam)
        const denom = tf.add(tf.div(tf.sqrt(vNew), sqrtBc2), eps);
        p.assign(tf.sub(p, tf.mul(stepSize, tf.div(mNew, denom))));
      }
    });
    return { gradNorm };
  }

  /** The optimizer's state as named arrays (for a checkpoint), plus its step count. */
  getState(): { t: number; arrays: Record<string, NamedArray> } {
    const arrays: Record<string, NamedArray> = {};
    for (const [name] of this.params) {
      for (const [suffix, store] of [['m', this.m], ['v', this.v]] as const) {
        const t = store.get(name)!;
        arrays[`adam/${suffix}/${name}`] = { dtype: 'float32', shape: [...t.shape], data: t.dataSync() as Float32Array };
      }
    }
    return { t: this.t, arrays };
  }

  /** Restores what getState returned; every param's moments must be present with its shape. */
  setState(state: { t: number; arrays: Record<string, NamedArray> }): void {
    for (const [name, p] of this.params) {
      for (const [suffix, store] of [['m', this.m], ['v', this.v]] as const) {
        const a = state.arrays[`adam/${suffix}/${name}`];
        if (a === undefined) throw new Error(`optimizer state lacks adam/${suffix}/${name}`);
        if (a.shape.join(',') !== p.shape.join(',')) throw new Error(`optimizer state adam/${suffix}/${name} has shape [${a.shape}], expected [${p.shape}]`);
        tf.tidy(() => store.get(name)!.assign(tf.tensor(a.data, a.shape, 'float32')));
      }
    }
    this.t = state.t;
  }

  dispose(): void {
    for (const v of this.m.values()) v.dispose();
    for (const v of this.v.values()) v.dispose();
  }
}
