/**
 * L2-regularised multinomial logistic regression, the classifier disentanglement_lib's BetaVAE score
 * uses (sklearn `LogisticRegression()` defaults: C = 1.0, L2 penalty on the weights but not the
 * intercepts, softmax over the classes seen in training, a single logistic for two classes).
 * Objective: Σ_i −log p(y_i | x_i) + ‖W‖² / (2C). sklearn solves it with L-BFGS; we use Newton's
 * method with a backtracking line search (the problem is small and strictly convex in W), which is
 * deterministic and converges to the same optimum.
 */
import { cholesky, choleskySolve } from './linalg.ts';

export interface LogisticRegressionOptions {
  /** Inverse regularisation strength (sklearn's C). */
  c?: number;
  maxIter?: number;
}

export interface LogisticRegressionModel {
  /** The class labels seen in training, ascending; predictions are drawn from these. */
  readonly classes: Int32Array;
  readonly numFeatures: number;
  /** Parameter blocks (one per class; one, for class 1, when there are two classes): [w..., b]. */
  readonly params: Float64Array;
  readonly iterations: number;
  readonly converged: boolean;
}

/** Fits the model to n rows of d features (row-major) and integer labels. */
export function fitLogisticRegression(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  n: number,
  d: number,
  opts: LogisticRegressionOptions = {},
): LogisticRegressionModel {
  const c = opts.c ?? 1.0;
  const maxIter = opts.maxIter ?? 100;
  if (x.length !== n * d) throw new Error(`fitLogisticRegression: x has ${x.length} values, expected ${n}×${d}`);
  if (y.length !== n) throw new Error(`fitLogisticRegression: y has ${y.length} labels, expected ${n}`);
  if (n === 0) throw new Error('fitLogisticRegression: no training rows');
  const classes = Int32Array.from(new Set(Array.from(y, Number))).sort();
  const k = classes.length;
  const yi = new Int32Array(n);
  const index = new Map<number, number>();
  classes.forEach((cl, i) => index.set(cl, i));
  for (let i = 0; i < n; i++) yi[i] = index.get(y[i]) as number;
  const stride = d + 1;
  if (k === 1) {
    return { classes, numFeatures: d, params: new Float64Array(0), iterations: 0, converged: true };
  }
  // Blocks: class b's logit is params[b]·[x, 1]; with two classes only class 1 has a block (class 0's
  // logit is 0), which is sklearn's binomial model.
  const blocks = k === 2 ? 1 : k;
  const blockClass = (b: number) => (k === 2 ? 1 : b);
  const p = blocks * stride;
  const theta = new Float64Array(p);
  const logits = new Float64Array(k);
  const prob = new Float64Array(n * k);

  const objective = (t: Float64Array): number => {
    let loss = 0;
    for (let i = 0; i < n; i++) {
      computeLogits(t, x, i, d, k, logits);
      let mx = -Infinity;
      for (let a = 0; a < k; a++) if (logits[a] > mx) mx = logits[a];
      let s = 0;
      for (let a = 0; a < k; a++) s += Math.exp(logits[a] - mx);
      loss += mx + Math.log(s) - logits[yi[i]];
    }
    let reg = 0;
    for (let b = 0; b < blocks; b++) for (let j = 0; j < d; j++) reg += t[b * stride + j] ** 2;
    return loss + reg / (2 * c);
  };

  let obj = objective(theta);
  let iterations = 0;
  let converged = false;
  const grad = new Float64Array(p);
  const hess = new Float64Array(p * p);
  const xt = new Float64Array(stride);
  for (; iterations < maxIter; iterations++) {
    // Probabilities, gradient and Hessian at theta.
    grad.fill(0);
    hess.fill(0);
    for (let i = 0; i < n; i++) {
      computeLogits(theta, x, i, d, k, logits);
      softmaxInto(logits, k, prob, i * k);
      for (let j = 0; j < d; j++) xt[j] = x[i * d + j];
      xt[d] = 1;
      for (let b = 0; b < blocks; b++) {
        const cb = blockClass(b);
        const pb = prob[i * k + cb];
        const r = pb - (yi[i] === cb ? 1 : 0);
        for (let j = 0; j < stride; j++) grad[b * stride + j] += r * xt[j];
        for (let b2 = b; b2 < blocks; b2++) {
          const w = pb * ((b === b2 ? 1 : 0) - prob[i * k + blockClass(b2)]);
          if (w === 0) continue;
          for (let j = 0; j < stride; j++) {
            const wx = w * xt[j];
            const row = (b * stride + j) * p + b2 * stride;
            for (let j2 = 0; j2 < stride; j2++) hess[row + j2] += wx * xt[j2];
          }
        }
      }
    }
    let maxDiag = 0;
    for (let b = 0; b < blocks; b++) {
      for (let j = 0; j < d; j++) {
        grad[b * stride + j] += theta[b * stride + j] / c;
        hess[(b * stride + j) * p + b * stride + j] += 1 / c;
      }
    }
    // The loops above filled the upper triangle; mirror it. Damp slightly (the softmax intercepts share one flat direction).
    for (let a = 0; a < p; a++) {
      for (let b = a + 1; b < p; b++) {
        hess[b * p + a] = hess[a * p + b];
      }
      if (hess[a * p + a] > maxDiag) maxDiag = hess[a * p + a];
    }
    for (let a = 0; a < p; a++) hess[a * p + a] += 1e-10 * (1 + maxDiag);
    let gmax = 0;
    for (let a = 0; a < p; a++) gmax = Math.max(gmax, Math.abs(grad[a]));
    if (gmax <= 1e-9 * Math.max(1, n)) {
      converged = true;
      break;
    }
    const l = cholesky(hess, p);
    if (l === null) throw new Error('logistic regression: Hessian is not positive definite');
    const step = choleskySolve(l, p, grad);
    let slope = 0;
    for (let a = 0; a < p; a++) slope -= grad[a] * step[a];
    // Backtracking (Armijo) along −step.
    let t = 1;
    const trial = new Float64Array(p);
    let newObj = obj;
    for (let ls = 0; ls < 50; ls++) {
      for (let a = 0; a < p; a++) trial[a] = theta[a] - t * step[a];
      newObj = objective(trial);
      if (newObj <= obj + 1e-4 * t * slope) break;
      t /= 2;
    }
    if (!(newObj <= obj)) {
      converged = true; // no further decrease possible at working precision
      break;
    }
    theta.set(trial);
    const decrease = obj - newObj;
    obj = newObj;
    if (decrease <= 1e-12 * Math.max(1, Math.abs(obj))) {
      converged = true;
      iterations++;
      break;
    }
  }
  return { classes, numFeatures: d, params: theta, iterations, converged };
}

/** Predicted labels for n rows (ties go to the lower class, as argmax). */
export function predictLogisticRegression(model: LogisticRegressionModel, x: ArrayLike<number>, n: number): Int32Array {
  const d = model.numFeatures;
  const k = model.classes.length;
  if (x.length !== n * d) throw new Error(`predictLogisticRegression: x has ${x.length} values, expected ${n}×${d}`);
  const out = new Int32Array(n);
  if (k === 1) return out.fill(model.classes[0]);
  const logits = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    computeLogits(model.params, x, i, d, k, logits);
    let best = 0;
    for (let a = 1; a < k; a++) if (logits[a] > logits[best]) best = a;
    out[i] = model.classes[best];
  }
  return out;
}

/** Fraction of rows whose predicted label equals y. */
export function accuracyScore(pred: ArrayLike<number>, y: ArrayLike<number>): number {
  if (pred.length !== y.length) throw new Error('accuracyScore: lengths differ');
  if (pred.length === 0) return 0;
  let hits = 0;
  for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) hits++;
  return hits / y.length;
}

function computeLogits(theta: Float64Array, x: ArrayLike<number>, i: number, d: number, k: number, out: Float64Array): void {
  const stride = d + 1;
  if (k === 2) {
    out[0] = 0;
    let s = theta[d];
    for (let j = 0; j < d; j++) s += theta[j] * x[i * d + j];
    out[1] = s;
    return;
  }
  for (let a = 0; a < k; a++) {
    let s = theta[a * stride + d];
    for (let j = 0; j < d; j++) s += theta[a * stride + j] * x[i * d + j];
    out[a] = s;
  }
}

function softmaxInto(logits: Float64Array, k: number, out: Float64Array, offset: number): void {
  let mx = -Infinity;
  for (let a = 0; a < k; a++) if (logits[a] > mx) mx = logits[a];
  let s = 0;
  for (let a = 0; a < k; a++) {
    const e = Math.exp(logits[a] - mx);
    out[offset + a] = e;
    s += e;
  }
  for (let a = 0; a < k; a++) out[offset + a] /= s;
}
