/**
 * Optional cross-check against scikit-learn (not part of the vitest suite): writes data sets and our
 * results to a JSON file that compare.py reads. Run from the repository root:
 *   npx tsx test/vision/metrics/sklearn-crosscheck/make-cases.ts /tmp/cases.json
 *   python3 test/vision/metrics/sklearn-crosscheck/compare.py /tmp/cases.json
 * (needs numpy, scipy and scikit-learn, e.g. Debian's python3-sklearn).
 */
import { writeFileSync } from 'node:fs';
import { Rng } from '../../../../envs/core/rng.ts';
import { migFromCodes } from '../../../../vision/metrics/mig.ts';
import { histogramDiscretize } from '../../../../vision/metrics/utils.ts';
import { fitLogisticRegression, predictLogisticRegression } from '../../../../vision/metrics/logistic-regression.ts';
import { fitGradientBoosting, predictGradientBoosting } from '../../../../vision/metrics/gradient-boosting.ts';
import { dciCompleteness, dciDisentanglement } from '../../../../vision/metrics/dci.ts';
import { gaussianTotalCorrelation } from '../../../../vision/metrics/total-correlation.ts';

const out = process.argv[2] ?? '/tmp/metrics-cases.json';
const rng = new Rng(2024);
const sizes = [10, 8, 6, 4];
const f = sizes.length;

/** n samples: factors uniform; d latents = a random linear mix of the factors, plus noise. */
function sample(n: number, d: number, mixing: number, noise: number) {
  const factors = new Int32Array(n * f);
  const codes = new Float64Array(n * d);
  const a = Array.from({ length: d * f }, (_, i) => (Math.floor(i / f) % f === i % f ? 1 : mixing * rng.normal()));
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < f; k++) factors[i * f + k] = rng.int(sizes[k]);
    for (let j = 0; j < d; j++) {
      let s = noise * rng.normal();
      for (let k = 0; k < f; k++) s += a[j * f + k] * factors[i * f + k];
      codes[i * d + j] = s;
    }
  }
  return { factors, codes };
}

const cases: Record<string, unknown>[] = [];
for (const [name, mixing, noise, d] of [['clean', 0, 0.1, 4], ['mixed', 0.5, 0.5, 5], ['noisy', 0.2, 2, 6]] as const) {
  const n = 2000;
  const train = sample(n, d, mixing, noise);
  const test = sample(1000, d, mixing, noise);
  const mig = migFromCodes(train.codes, train.factors, n, d, f);
  const disc = histogramDiscretize(train.codes, n, d, 20);
  // Logistic regression on (code → factor 0), and gradient boosting per factor as DCI does.
  const y0 = Int32Array.from({ length: n }, (_, i) => train.factors[i * f]);
  const lr = fitLogisticRegression(train.codes, y0, n, d);
  const lrPred = predictLogisticRegression(lr, test.codes, 1000);
  const gbt = [];
  const importance = new Float64Array(d * f);
  for (let k = 0; k < f; k++) {
    const y = Int32Array.from({ length: n }, (_, i) => train.factors[i * f + k]);
    const m = fitGradientBoosting(train.codes, y, n, d, rng);
    for (let j = 0; j < d; j++) importance[j * f + k] = m.featureImportances[j];
    gbt.push({ importances: Array.from(m.featureImportances), testPred: Array.from(predictGradientBoosting(m, test.codes, 1000)) });
  }
  cases.push({
    name, n, d, f,
    codes: Array.from(train.codes), factors: Array.from(train.factors),
    testCodes: Array.from(test.codes), testFactors: Array.from(test.factors),
    ours: {
      mig: mig.mig, mutualInfo: Array.from(mig.mutualInfo), entropy: Array.from(mig.entropy), disc: Array.from(disc),
      lrParams: Array.from(lr.params), lrPred: Array.from(lrPred),
      gbt, dciD: dciDisentanglement(importance, d, f), dciC: dciCompleteness(importance, d, f),
      tc: gaussianTotalCorrelation(train.codes, n, d),
    },
  });
}
writeFileSync(out, JSON.stringify(cases));
console.log(`wrote ${cases.length} cases to ${out}`);
