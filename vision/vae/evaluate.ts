/**
 * Evaluating a trained β-VAE (what `darla evaluate-vision` and the end of `darla pretrain` run):
 * disentanglement metrics on the shape world's factor dataset, KL per latent, the latent-traversal
 * and reconstruction pictures, loss and KL curves as SVG, and a Markdown section for the report
 * (with MIG per factor beside the mean, and the task MIG over the objects' positions).
 * Everything is written into the run directory (scores.json, images/, vision.md).
 */
import path from 'node:path';
import { Rng, mixSeed } from '../../envs/core/rng.ts';
import { UserError } from '../../envs/core/errors.ts';
import { ShapeWorldDataset } from '../../envs/shapeworld/factor-dataset.ts';
import type { VariantLike } from '../../envs/shapeworld/variants.ts';
import { FRAME_BYTES } from '../../envs/shapeworld/factors.ts';
import { writePng } from '../../envs/util/png.ts';
import type { RunDir } from '../../envs/util/run-dir.ts';
import { writeFileAtomic } from '../../envs/util/files.ts';
import { evaluateDisentanglement, type Scores } from '../metrics/index.ts';
import type { ProbeSpec } from '../metrics/probe.ts';
import { lineChartSvg, barChartSvg } from '../report/charts.ts';
import { migPerFactorMarkdown } from '../report/mig-per-factor.ts';
import * as tf from '@tensorflow/tfjs-core';
import { encodeFrames, framesToTensor } from './frames.ts';
import type { BetaVae } from './model.ts';
import { latentsByKl, reconstructionImage, traversalImage } from './pictures.ts';

/**
 * Each metric's share of disentanglement_lib's sample sizes at `scale` = 1. The BetaVAE and
 * FactorVAE scores encode 64 frames per training point (≈ 1.3 M frames at the reference sizes), so
 * they run on a fiftieth of them; DCI's 29-class gradient boosting costs minutes at full size, so a
 * fifth; MIG, TC and KL take half. `scale` multiplies all of them (1/these = the reference sizes).
 */
export const METRIC_SHARES: Record<string, number> = { mig: 0.5, beta_vae: 0.02, factor_vae: 0.02, dci: 0.2, total_correlation: 0.5, kl: 0.5, probe: 1 };

export interface VisionEvalOptions {
  /** Variant whose factor dataset the metrics use (default 'source'): a name or a variant config. */
  variant?: VariantLike;
  /** Multiplies METRIC_SHARES (1 = the project's defaults; 50 gives BetaVAE/FactorVAE the reference sizes). */
  scale: number;
  seed: number;
  /** Only these metrics (default: all). */
  metrics?: readonly string[];
  log?: (line: string) => void;
}

export interface VisionEval {
  scores: Scores;
  klPerDim: number[];
  /** Latent indices by KL, largest first (the traversal's row order). */
  latentOrder: number[];
  /** The factors the task MIG (`mig_task`) averages over (shapeWorldTaskFactors). */
  taskFactors: string[];
}

/** Runs the disentanglement metrics (and KL per latent) for a model on a variant's factor dataset. */
export async function measureDisentanglement(model: BetaVae, opts: VisionEvalOptions): Promise<VisionEval> {
  const data = new ShapeWorldDataset(opts.variant ?? 'source');
  const L = model.arch.latents;
  const represent = async (frames: Uint8Array, n: number) => (await encodeFrames(model, frames, n)).mu;
  const posterior = async (frames: Uint8Array, n: number) => {
    const { mu, sigma } = await encodeFrames(model, frames, n);
    const logvar = new Float32Array(sigma.length);
    for (let i = 0; i < sigma.length; i++) logvar[i] = 2 * Math.log(sigma[i]);
    return { mean: mu, logvar };
  };
  const chosen = opts.metrics ?? Object.keys(METRIC_SHARES);
  const taskFactors = shapeWorldTaskFactors(data);
  const scores: Scores = {};
  for (const name of chosen) {
    const share = METRIC_SHARES[name];
    if (share === undefined) throw new UserError(`unknown metric '${name}'; choose from ${Object.keys(METRIC_SHARES).join(', ')}`, '--metrics');
    // One stream per metric (the same for any subset), as evaluateDisentanglement does.
    Object.assign(
      scores,
      await evaluateDisentanglement(data, represent, new Rng(mixSeed(opts.seed, 0xe7a1, Object.keys(METRIC_SHARES).indexOf(name))), {
        scale: Math.min(1, share * opts.scale),
        metrics: [name],
        posterior,
        probe: shapeWorldProbe(data),
        taskFactors,
        onMetric: (n, s, seconds) => opts.log?.(`  ${n.padEnd(18)} ${summarise(s)}  (${seconds.toFixed(1)} s)`),
      }),
    );
  }
  const klPerDim = Array.from({ length: L }, (_, j) => scores[`kl_latent_${j}`] ?? Number.NaN);
  return { scores, klPerDim, latentOrder: latentsByKl(klPerDim.map((k) => (Number.isFinite(k) ? k : -1))), taskFactors };
}

/** The shape world's task probe: agent, goal and hazard positions, and which of goal/hazard is where (in different columns / rows). */
export function shapeWorldProbe(data: ShapeWorldDataset): ProbeSpec {
  return { objects: ['agent', 'goal', 'hazard'], identity: { first: 'goal', second: 'hazard', minGap: 1 } };
}

/**
 * The factors the task needs, which the task MIG (`mig_task`) averages over: the x and y of each
 * object the probe reads (agent, goal, hazard), those of them the world has. MIG itself leaves out
 * any of them that does not vary.
 */
export function shapeWorldTaskFactors(data: ShapeWorldDataset): string[] {
  return shapeWorldProbe(data).objects.flatMap((o) => [`${o}_x`, `${o}_y`]).filter((name) => data.factorNames.includes(name));
}

function summarise(s: Scores): string {
  return Object.entries(s)
    .filter(([k]) => !k.startsWith('kl_latent_') && !k.startsWith('mig_gap_') && !k.startsWith('mig_top_latent_'))
    .slice(0, 4)
    .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(3)}`)
    .join(' ');
}

/** A fixed, varied set of frames from a variant (for reconstructions and the traversal reference). */
export function sampleFrames(variant: VariantLike, n: number, seed: number): Uint8Array {
  const ds = new ShapeWorldDataset(variant);
  const rng = new Rng(seed);
  return ds.render(ds.sampleFactors(n, rng), rng);
}

/** Mean reconstruction error (summed over pixels, Bernoulli or Gaussian as trained) on frames. */
export async function reconstructionLoss(model: BetaVae, frames: Uint8Array, n: number): Promise<number> {
  const total = tf.tidy(() => {
    const x = framesToTensor(frames, n);
    const { mu } = model.encode(x);
    const logits = model.decode(mu);
    const perPixel =
      model.arch.likelihood === 'bernoulli'
        ? tf.add(tf.sub(tf.relu(logits), tf.mul(logits, x)), tf.softplus(tf.neg(tf.abs(logits))))
        : tf.mul(0.5, tf.square(tf.sub(tf.sigmoid(logits), x)));
    return tf.sum(perPixel);
  });
  try {
    return (await total.data())[0] / n;
  } finally {
    total.dispose();
  }
}

export interface PicturePaths {
  traversals: string;
  reconstructions: string;
  lossCurve?: string;
  klCurve?: string;
  klBars: string;
}

/** Writes the traversal and reconstruction PNGs and the KL/loss charts into the run's images/. */
export async function writeVisionPictures(
  run: RunDir,
  model: BetaVae,
  klPerDim: number[],
  opts: { seed: number; variant?: VariantLike; label?: string },
): Promise<PicturePaths> {
  const variant = opts.variant ?? 'source';
  const frames = sampleFrames(variant, 8, mixSeed(opts.seed, 0x91c));
  const trav = await traversalImage(model, frames.subarray(0, FRAME_BYTES), klPerDim, { steps: 9, range: 3, scale: 2 });
  const paths: PicturePaths = {
    traversals: run.imagePath('traversals.png'),
    reconstructions: run.imagePath('reconstructions.png'),
    klBars: run.imagePath('kl_per_latent.svg'),
  };
  writePng(paths.traversals, trav.image);
  writePng(paths.reconstructions, await reconstructionImage(model, frames, 8, 2));
  writeFileAtomic(
    paths.klBars,
    await barChartSvg({
      title: `KL per latent${opts.label ? ` (${opts.label})` : ''}`,
      xLabel: 'latent (traversal row order)',
      yLabel: 'KL (nats)',
      rows: trav.rowLatents.map((j) => ({ group: `z${j}`, category: 'KL', value: klPerDim[j] })),
    }),
  );
  const metrics = run.readMetrics();
  if (metrics.length > 1) {
    paths.lossCurve = run.imagePath('loss.svg');
    const series = (key: string) => ({ name: key, points: metrics.filter((m) => typeof m[key] === 'number').map((m) => [m.step, m[key] as number] as const) });
    writeFileAtomic(paths.lossCurve, await lineChartSvg({ title: 'Training loss', xLabel: 'step', yLabel: 'nats', logY: true, series: [series('recon'), series('kl'), series('loss')] }));
    paths.klCurve = run.imagePath('kl_curves.svg');
    const L = model.arch.latents;
    writeFileAtomic(
      paths.klCurve,
      await lineChartSvg({
        title: 'KL per latent during training',
        xLabel: 'step',
        yLabel: 'KL (nats)',
        series: Array.from({ length: L }, (_, j) => ({
          name: `z${j}`,
          points: metrics.filter((m) => Array.isArray(m.kl_per_dim)).map((m) => [m.step, (m.kl_per_dim as number[])[j]] as const),
        })),
      }),
    );
  }
  return paths;
}

/** A Markdown section describing a vision run's results, with image links relative to `relTo`. */
export function visionMarkdown(
  title: string,
  run: RunDir,
  evalResult: VisionEval,
  pictures: PicturePaths,
  extra: { recon?: number; imgPerSec?: number; steps?: number; objective?: string; relTo?: string },
): string {
  const rel = (p: string) => path.relative(extra.relTo ?? run.root, p).split(path.sep).join('/');
  const s = evalResult.scores;
  const fmt = (k: string) => (s[k] === undefined ? 'n/a' : s[k].toFixed(3));
  const migRows = migPerFactorMarkdown([{ label: 'MIG', scores: s }], evalResult.taskFactors);
  const migSection = migRows.length === 0 ? [] : ['MIG per factor: each varying factor\'s normalised gap between its two most informative latents, and which latent is the top one. The mean can be carried by one factor; the task MIG averages the objects\' positions only.', '', ...migRows, ''];
  const lines = [
    `### ${title}`,
    '',
    `Objective: ${extra.objective ?? 'n/a'}; steps: ${extra.steps ?? 'n/a'}${extra.imgPerSec ? `; ${extra.imgPerSec.toFixed(0)} img/s` : ''}.`,
    '',
    '| metric | value |',
    '|---|---|',
    `| probe (MLP) R² agent / goal / hazard position | ${fmt('probe_r2_agent')} / ${fmt('probe_r2_goal')} / ${fmt('probe_r2_hazard')} |`,
    `| probe (MLP) identity: goal and hazard in the true order | ${fmt('probe_identity_accuracy')} |`,
    `| probe (linear) R² agent / goal / hazard position | ${fmt('probe_linear_r2_agent')} / ${fmt('probe_linear_r2_goal')} / ${fmt('probe_linear_r2_hazard')} |`,
    `| probe (linear) identity | ${fmt('probe_linear_identity_accuracy')} |`,
    `| MIG (mean over the varying factors) | ${fmt('mig')} |`,
    `| task MIG (mean over the objects' positions) | ${fmt('mig_task')} |`,
    `| BetaVAE score (eval accuracy) | ${fmt('beta_vae_eval_accuracy')} |`,
    `| FactorVAE score (eval accuracy) | ${fmt('factor_vae_eval_accuracy')} |`,
    `| DCI disentanglement | ${fmt('dci_disentanglement')} |`,
    `| DCI completeness | ${fmt('dci_completeness')} |`,
    `| Gaussian total correlation of μ | ${fmt('gaussian_total_correlation')} |`,
    `| active latents (KL > 0.01) | ${s.active_units ?? 'n/a'} |`,
    `| total KL (nats) | ${fmt('kl_total')} |`,
    ...(extra.recon !== undefined ? [`| reconstruction loss (held-out, nats/frame) | ${extra.recon.toFixed(1)} |`] : []),
    '',
    ...migSection,
    `Latent traversals (rows: latents by KL, largest first — ${evalResult.latentOrder.map((j) => `z${j} ${evalResult.klPerDim[j].toFixed(2)}`).join(', ')}; columns: −3 … +3):`,
    '',
    `![traversals](${rel(pictures.traversals)})`,
    '',
    'Inputs (top) and reconstructions from μ (bottom):',
    '',
    `![reconstructions](${rel(pictures.reconstructions)})`,
    '',
    `![KL per latent](${rel(pictures.klBars)})`,
    ...(pictures.lossCurve ? ['', `![loss](${rel(pictures.lossCurve)})`] : []),
    ...(pictures.klCurve ? ['', `![KL curves](${rel(pictures.klCurve)})`] : []),
    '',
  ];
  return lines.join('\n');
}

/** Evaluates a model end to end and writes scores.json, the pictures and vision.md into its run. */
export async function evaluateVisionRun(
  run: RunDir,
  model: BetaVae,
  opts: VisionEvalOptions & { title?: string; imgPerSec?: number; steps?: number; objective?: string; heldOutFrames?: { frames: Uint8Array; n: number } },
): Promise<VisionEval & { markdown: string; pictures: PicturePaths; recon?: number }> {
  const evalResult = await measureDisentanglement(model, opts);
  const pictures = await writeVisionPictures(run, model, evalResult.klPerDim, { seed: opts.seed, variant: opts.variant });
  const recon = opts.heldOutFrames ? await reconstructionLoss(model, opts.heldOutFrames.frames, Math.min(256, opts.heldOutFrames.n)) : undefined;
  const variant = opts.variant ?? 'source';
  run.writeJson('scores.json', {
    ...evalResult.scores,
    recon_heldout: recon,
    kl_per_dim: evalResult.klPerDim,
    latent_order: evalResult.latentOrder,
    task_factors: evalResult.taskFactors,
    variant: typeof variant === 'string' ? variant : variant.name,
    variant_definition: typeof variant === 'string' ? undefined : variant,
    scale: opts.scale,
  });
  const markdown = visionMarkdown(opts.title ?? 'Vision', run, evalResult, pictures, { recon, imgPerSec: opts.imgPerSec, steps: opts.steps, objective: opts.objective });
  run.writeText('vision.md', markdown);
  return { ...evalResult, markdown, pictures, recon };
}
