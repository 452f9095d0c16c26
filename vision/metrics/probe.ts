/**
 * The task probe: does the representation carry what the task needs? Two readers are trained on
 * the codes of one i.i.d. sample and scored on another (Alain & Bengio 2016, "Understanding
 * intermediate layers using linear classifier probes"; nonlinear probes as in Hewitt & Liang 2019):
 * - `mlp` (the headline): a one-hidden-layer network (128 tanh units, Adam, 200 epochs on a fixed
 *   seeded schedule; 64 units × 60 epochs underfitted: goal R² 0.42 where this reads 0.62 from the
 *   same code, measured)
 *   regresses every position factor at once — the kind of reader the agent's policy is;
 * - `linear` (the strict one): ridge regression, one per position factor.
 * Scores, per reader: R² on the test sample per position factor (scaled to [0, 1]) and per object
 * (the mean of its x and y R²), and identity — which object is where: of the test frames where the
 * two objects (goal, hazard) stand at least `minGap` position values apart along an axis, the share
 * where the predicted positions put them in the true order (a tie counts half), averaged over x and
 * y. A code that places two blobs without saying which is which scores 0.5 there.
 * Codes are standardised with the training sample's mean and deviation (constant latents dropped).
 *
 * Not in disentanglement_lib: it measures informativeness about chosen task factors, not
 * disentanglement (MIG, DCI do that). Pure functions over plain arrays plus a sampler, like the others.
 */
import type { GroundTruthData } from '../../envs/core/ground-truth.ts';
import { Rng } from '../../envs/core/rng.ts';
import { UserError } from '../../envs/core/errors.ts';
import { cholesky, choleskySolve, columnMeans, columnVariances } from './linalg.ts';
import type { FactorCode, RepresentationFn, Scores } from './types.ts';
import { countOption, generateFactorCode, DEFAULT_FRAMES_PER_CALL } from './utils.ts';

/** What the probe reads out, by factor name. */
export interface ProbeSpec {
  /** Objects whose x and y factors are regressed (factor `${name}_x`, `${name}_y`). */
  objects: readonly string[];
  /** Two objects whose relative placement is scored (which is left of / above the other). */
  identity?: { first: string; second: string; minGap: number };
}

export interface ProbeOptions {
  /** Training sample (default 5000). */
  numTrain?: number;
  /** Test sample (default 2000). */
  numTest?: number;
  /** Ridge penalty on the standardised code (default 1e-3 × numTrain). */
  ridge?: number;
  /** The MLP reader's training (defaults in DEFAULT_MLP). */
  mlp?: Partial<MlpProbeOptions>;
  framesPerCall?: number;
}

export interface MlpProbeOptions {
  hidden: number;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
}

export const DEFAULT_MLP: MlpProbeOptions = { hidden: 128, epochs: 200, batchSize: 64, lr: 3e-3, seed: 0 };

export const PROBE_READERS = ['mlp', 'linear'] as const;
export type ProbeReader = (typeof PROBE_READERS)[number];

/** Column indices of the code worth reading: non-constant in the training sample. */
function liveColumns(variances: Float64Array): number[] {
  const cols: number[] = [];
  variances.forEach((v, j) => {
    if (v > 1e-12) cols.push(j);
  });
  return cols;
}

/** Standardises the chosen columns of n × d codes with the given means and deviations. */
function standardise(codes: ArrayLike<number>, n: number, d: number, cols: number[], mean: Float64Array, sd: Float64Array): Float64Array {
  const k = cols.length;
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) out[i * k + c] = (codes[i * d + cols[c]] - mean[cols[c]]) / sd[cols[c]];
  return out;
}

/**
 * Ridge regression with an unpenalised intercept: minimises ‖y − Xw − b‖² + λ‖w‖² for one target.
 * Returns [w..., b].
 */
export function fitRidge(x: Float64Array, y: ArrayLike<number>, n: number, d: number, lambda: number): Float64Array {
  if (x.length !== n * d || y.length !== n) throw new Error(`fitRidge: expected x ${n}×${d} and y ${n}, got ${x.length} and ${y.length}`);
  const xm = columnMeans(x, n, d);
  let ym = 0;
  for (let i = 0; i < n; i++) ym += y[i];
  ym /= n;
  // Normal equations on centred data: (XcᵀXc + λI) w = Xcᵀ yc.
  const a = new Float64Array(d * d);
  const b = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const yc = y[i] - ym;
    for (let p = 0; p < d; p++) {
      const xp = x[i * d + p] - xm[p];
      b[p] += xp * yc;
      for (let q = 0; q <= p; q++) a[p * d + q] += xp * (x[i * d + q] - xm[q]);
    }
  }
  for (let p = 0; p < d; p++) {
    for (let q = 0; q < p; q++) a[q * d + p] = a[p * d + q];
    a[p * d + p] += lambda;
  }
  const l = cholesky(a, d);
  if (l === null) throw new Error('fitRidge: the regularised normal equations are not positive definite');
  const w = choleskySolve(l, d, b);
  let intercept = ym;
  for (let p = 0; p < d; p++) intercept -= w[p] * xm[p];
  const out = new Float64Array(d + 1);
  out.set(w);
  out[d] = intercept;
  return out;
}

/** Predictions of a fitRidge model for n rows. */
export function predictRidge(model: Float64Array, x: Float64Array, n: number, d: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = model[d];
    for (let p = 0; p < d; p++) s += model[p] * x[i * d + p];
    out[i] = s;
  }
  return out;
}

/** A fitted one-hidden-layer tanh network: d inputs → h hidden → t outputs (linear). */
export interface MlpModel {
  d: number;
  h: number;
  t: number;
  /** [d × h] row-major, then biases [h], then [h × t], then biases [t]. */
  params: Float64Array;
}

/**
 * Fits an MLP regressor (mean squared error, Adam, seeded init and minibatch order) to n rows of d
 * inputs and t targets (both row-major). Deterministic for a seed.
 */
export function fitMlp(x: Float64Array, y: Float64Array, n: number, d: number, t: number, opts: MlpProbeOptions = DEFAULT_MLP): MlpModel {
  if (x.length !== n * d || y.length !== n * t) throw new Error(`fitMlp: expected x ${n}×${d} and y ${n}×${t}`);
  const h = opts.hidden;
  const rng = new Rng(opts.seed);
  const size = d * h + h + h * t + t;
  const p = new Float64Array(size);
  const w1 = 0;
  const b1 = d * h;
  const w2 = b1 + h;
  const b2 = w2 + h * t;
  // Glorot-uniform weights, zero biases.
  const lim1 = Math.sqrt(6 / (d + h));
  for (let i = 0; i < d * h; i++) p[w1 + i] = (2 * rng.uniform() - 1) * lim1;
  const lim2 = Math.sqrt(6 / (h + t));
  for (let i = 0; i < h * t; i++) p[w2 + i] = (2 * rng.uniform() - 1) * lim2;
  const m = new Float64Array(size);
  const v = new Float64Array(size);
  const g = new Float64Array(size);
  const hid = new Float64Array(h);
  const dh = new Float64Array(h);
  const out = new Float64Array(t);
  let step = 0;
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    const order = rng.permutation(n);
    for (let start = 0; start < n; start += opts.batchSize) {
      const end = Math.min(n, start + opts.batchSize);
      g.fill(0);
      for (let r = start; r < end; r++) {
        const i = order[r];
        const xi = i * d;
        for (let j = 0; j < h; j++) {
          let s = p[b1 + j];
          for (let q = 0; q < d; q++) s += x[xi + q] * p[w1 + q * h + j];
          hid[j] = Math.tanh(s);
        }
        for (let k = 0; k < t; k++) {
          let s = p[b2 + k];
          for (let j = 0; j < h; j++) s += hid[j] * p[w2 + j * t + k];
          out[k] = s - y[i * t + k]; // ∂(½ err²)/∂out
        }
        dh.fill(0);
        for (let j = 0; j < h; j++) {
          for (let k = 0; k < t; k++) {
            g[w2 + j * t + k] += hid[j] * out[k];
            dh[j] += p[w2 + j * t + k] * out[k];
          }
          dh[j] *= 1 - hid[j] * hid[j];
        }
        for (let k = 0; k < t; k++) g[b2 + k] += out[k];
        for (let j = 0; j < h; j++) {
          g[b1 + j] += dh[j];
          for (let q = 0; q < d; q++) g[w1 + q * h + j] += x[xi + q] * dh[j];
        }
      }
      // Adam on the batch-mean gradient.
      step += 1;
      const scale = 1 / (end - start);
      const bc1 = 1 - 0.9 ** step;
      const bc2 = 1 - 0.999 ** step;
      for (let i = 0; i < size; i++) {
        const gi = g[i] * scale;
        m[i] = 0.9 * m[i] + 0.1 * gi;
        v[i] = 0.999 * v[i] + 0.001 * gi * gi;
        p[i] -= (opts.lr * (m[i] / bc1)) / (Math.sqrt(v[i] / bc2) + 1e-8);
      }
    }
  }
  return { d, h, t, params: p };
}

/** Predictions of a fitted MLP for n rows [n × t]. */
export function predictMlp(model: MlpModel, x: Float64Array, n: number): Float64Array {
  const { d, h, t, params: p } = model;
  const b1 = d * h;
  const w2 = b1 + h;
  const b2 = w2 + h * t;
  const out = new Float64Array(n * t);
  const hid = new Float64Array(h);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < h; j++) {
      let s = p[b1 + j];
      for (let q = 0; q < d; q++) s += x[i * d + q] * p[q * h + j];
      hid[j] = Math.tanh(s);
    }
    for (let k = 0; k < t; k++) {
      let s = p[b2 + k];
      for (let j = 0; j < h; j++) s += hid[j] * p[w2 + j * t + k];
      out[i * t + k] = s;
    }
  }
  return out;
}

/** Coefficient of determination 1 − SS_res / SS_tot (sklearn's r2_score; a constant target scores 1 when predicted exactly, else 0). */
export function r2Score(pred: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = y.length;
  if (pred.length !== n || n === 0) throw new Error(`r2Score: ${pred.length} predictions for ${n} targets`);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i];
  mean /= n;
  let res = 0;
  let tot = 0;
  for (let i = 0; i < n; i++) {
    res += (y[i] - pred[i]) ** 2;
    tot += (y[i] - mean) ** 2;
  }
  if (tot === 0) return res === 0 ? 1 : 0;
  return 1 - res / tot;
}

/**
 * Share of pairs (a_i, b_i) whose predicted order agrees with the true one, over the rows where the
 * true values are at least `minGap` apart; a predicted tie counts half. NaN when there is no such row.
 */
export function orderAccuracy(trueA: ArrayLike<number>, trueB: ArrayLike<number>, predA: ArrayLike<number>, predB: ArrayLike<number>, minGap: number): number {
  let n = 0;
  let right = 0;
  for (let i = 0; i < trueA.length; i++) {
    const gap = trueA[i] - trueB[i];
    if (Math.abs(gap) < minGap) continue;
    n += 1;
    const p = predA[i] - predB[i];
    right += p === 0 ? 0.5 : Math.sign(p) === Math.sign(gap) ? 1 : 0;
  }
  return n === 0 ? Number.NaN : right / n;
}

/**
 * The probe on two samples of (code, factors). `factorNames` and `factorSizes` describe the factor
 * columns. Keys, for the mlp reader `probe_…` and for the linear one `probe_linear_…`:
 * `r2_<factor>` for each position factor, `r2_<object>` (mean of its x and y), `r2_min` (the worst
 * object), and with an identity spec `identity_accuracy`.
 */
export function probeFromCodes(
  train: FactorCode,
  test: FactorCode,
  factorNames: readonly string[],
  factorSizes: readonly number[],
  spec: ProbeSpec,
  opts: { ridge?: number; mlp?: Partial<MlpProbeOptions>; readers?: readonly ProbeReader[] } = {},
): Scores {
  const d = train.numLatents;
  if (test.numLatents !== d || test.numFactors !== train.numFactors) throw new Error('probe: train and test samples differ in shape');
  if (factorNames.length !== train.numFactors || factorSizes.length !== train.numFactors) throw new Error('probe: factor names/sizes do not match the samples');
  const index = (name: string) => {
    const k = factorNames.indexOf(name);
    if (k < 0) throw new UserError(`probe: the ground truth has no factor '${name}' (it has ${factorNames.join(', ')})`, 'probe');
    return k;
  };
  // Targets: every position factor, scaled to [0, 1].
  const targets = spec.objects.flatMap((o) => ['x', 'y'].map((axis) => ({ object: o, axis, name: `${o}_${axis}`, k: index(`${o}_${axis}`) })));
  const t = targets.length;
  const targetMatrix = (s: FactorCode) => {
    const y = new Float64Array(s.numPoints * t);
    for (let i = 0; i < s.numPoints; i++) targets.forEach((c, j) => (y[i * t + j] = s.factors[i * s.numFactors + c.k] / Math.max(1, factorSizes[c.k] - 1)));
    return y;
  };
  const yTrain = targetMatrix(train);
  const yTest = targetMatrix(test);
  const column = (m: Float64Array, n: number, j: number) => Float64Array.from({ length: n }, (_, i) => m[i * t + j]);

  const mean = columnMeans(train.codes, train.numPoints, d);
  const variances = columnVariances(train.codes, train.numPoints, d, 0);
  const cols = liveColumns(variances);
  const sd = Float64Array.from(variances, Math.sqrt);
  const k = cols.length;
  const xTrain = standardise(train.codes, train.numPoints, d, cols, mean, sd);
  const xTest = standardise(test.codes, test.numPoints, d, cols, mean, sd);

  const out: Scores = {};
  for (const reader of opts.readers ?? PROBE_READERS) {
    const prefix = reader === 'mlp' ? 'probe_' : 'probe_linear_';
    // Predictions on the test sample [numPoints × t]; a constant code predicts the training mean.
    let pred: Float64Array;
    if (k === 0) {
      pred = new Float64Array(test.numPoints * t);
      for (let j = 0; j < t; j++) {
        const m = column(yTrain, train.numPoints, j).reduce((a, b) => a + b, 0) / train.numPoints;
        for (let i = 0; i < test.numPoints; i++) pred[i * t + j] = m;
      }
    } else if (reader === 'linear') {
      pred = new Float64Array(test.numPoints * t);
      const lambda = opts.ridge ?? 1e-3 * train.numPoints;
      for (let j = 0; j < t; j++) {
        const p = predictRidge(fitRidge(xTrain, column(yTrain, train.numPoints, j), train.numPoints, k, lambda), xTest, test.numPoints, k);
        for (let i = 0; i < test.numPoints; i++) pred[i * t + j] = p[i];
      }
    } else {
      pred = predictMlp(fitMlp(xTrain, yTrain, train.numPoints, k, t, { ...DEFAULT_MLP, ...opts.mlp }), xTest, test.numPoints);
    }
    const objectR2 = new Map<string, number[]>();
    targets.forEach((c, j) => {
      const r2 = r2Score(column(pred, test.numPoints, j), column(yTest, test.numPoints, j));
      out[`${prefix}r2_${c.name}`] = r2;
      objectR2.set(c.object, [...(objectR2.get(c.object) ?? []), r2]);
    });
    for (const [o, r] of objectR2) out[`${prefix}r2_${o}`] = (r[0] + r[1]) / 2;
    out[`${prefix}r2_min`] = Math.min(...spec.objects.map((o) => out[`${prefix}r2_${o}`]));
    if (spec.identity) {
      const { first, second, minGap } = spec.identity;
      const accs = ['x', 'y'].map((axis) => {
        const a = targets.findIndex((c) => c.name === `${first}_${axis}`);
        const b = targets.findIndex((c) => c.name === `${second}_${axis}`);
        if (a < 0 || b < 0) throw new UserError(`probe: identity needs ${first} and ${second} among the probed objects`, 'probe');
        const scale = Math.max(1, factorSizes[targets[a].k] - 1);
        return orderAccuracy(column(yTest, test.numPoints, a), column(yTest, test.numPoints, b), column(pred, test.numPoints, a), column(pred, test.numPoints, b), minGap / scale);
      });
      if (accs.some(Number.isNaN)) throw new UserError(`probe: no test frames with ${first} and ${second} ${minGap} apart; sample more points`, 'probe');
      out[`${prefix}identity_accuracy`] = (accs[0] + accs[1]) / 2;
    }
  }
  return out;
}

/** Samples two i.i.d. sets of frames from the world, encodes them and runs the probe. */
export async function computeProbe(data: GroundTruthData, represent: RepresentationFn, rng: Rng, spec: ProbeSpec, opts: ProbeOptions = {}): Promise<Scores> {
  const numTrain = countOption('numTrain', opts.numTrain, 5000, 2);
  const numTest = countOption('numTest', opts.numTest, 2000, 2);
  const framesPerCall = opts.framesPerCall ?? DEFAULT_FRAMES_PER_CALL;
  const train = await generateFactorCode(data, represent, numTrain, rng, framesPerCall);
  const test = await generateFactorCode(data, represent, numTest, rng, framesPerCall);
  return probeFromCodes(train, test, data.factorNames, data.factorSizes, spec, { ridge: opts.ridge, mlp: opts.mlp });
}
