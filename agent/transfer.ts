/**
 * The zero-shot transfer protocol (DARLA, Higgins et al. 2017, §4):
 * 1. Vision is pretrained on frames of the worlds the agent may see *before acting* (each latent
 *    policy records which variants its encoder saw); the policy is trained on its source variant only.
 * 2. Every target variant (named, or JSON) is first checked to really differ from the policy's
 *    training distribution: every factor value it claims is held out differs perceptibly from the
 *    training variant's, same task (envs' `checkHeldOut`). A failed check refuses the run.
 * 3. Each frozen policy (frozen encoder + frozen policy) plays N episodes × S evaluation seeds on
 *    its source variant and on every target, with the deterministic and the stochastic policy.
 * 4. Per agent kind × variant: source return, target return, target/source ratio and success rate,
 *    each the mean with a 95% t-interval over training seeds (one unit per policy) — or over
 *    evaluation seeds when a kind has a single policy. Written as Markdown (report.md), JSON
 *    (transfer.json, with the full definition of every variant used, as in config.json) and bar
 *    charts (images/transfer_ratio.svg, images/transfer_success.svg), with, for each variant,
 *    whether the vision and the policy saw it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../envs/core/errors.ts';
import { mixSeed } from '../envs/core/rng.ts';
import { RunDir } from '../envs/util/run-dir.ts';
import { checkHeldOut, HELD_OUT_MIN_DEGREES, HELD_OUT_MIN_DELTA_E, HELD_OUT_MIN_SCALE_PX, HELD_OUT_MIN_SCALE_RATIO, parseVariantConfig, transferVariantNames, type Variant, type VariantInput } from '../envs/shapeworld/variants.ts';
import { parseVariantArg, sameWorld, variantDefinitions } from '../envs/shapeworld/variant-arg.ts';
import type { EncoderRecord } from './frontends.ts';
import { barChartSvg } from '../vision/report/charts.ts';
import { encoderLocation, loadPolicyCheckpoint, type LoadedPolicyCheckpoint } from './checkpoint.ts';
import { evaluatePolicy } from './evaluate.ts';
import { loadPolicy } from './load-policy.ts';
import { loadVae } from '../vision/vae/load.ts';
import { meanCi95, mean, type MeanCi } from './stats.ts';
import { SHAPE_WORLD, taskFromRecord, variantFromArg } from './tasks.ts';

export const EVAL_MODES = ['deterministic', 'stochastic'] as const;
export type EvalMode = (typeof EVAL_MODES)[number];

export interface TransferOptions {
  /** Train-agent run directories or policy checkpoint files. */
  policies: string[];
  /** Target variants: names, inline JSON or JSON files (default: every named variant with the source task). */
  variants?: string[];
  /** Episodes per policy × variant × evaluation seed × mode. */
  episodes?: number;
  /** Evaluation seeds (each gives a different set of episodes). */
  seeds?: number[];
  modes?: EvalMode[];
  /** Evaluate latent policies with this encoder (refused unless it is the one they trained with). */
  vae?: string;
  runDir?: string;
  fresh?: boolean;
  log?: (line: string) => void;
  onProgress?: (done: number, total: number) => void;
  /**
   * Cells already evaluated elsewhere (e.g. one policy per queue job, `darla demo --queue`): a
   * policy whose every cell of this protocol is here is not played again. Each cell depends only
   * on its policy, world, mode and seed, so the result is the same as evaluating here.
   */
  precomputed?: readonly TransferCell[];
}

/** One evaluation: a policy on a variant with one evaluation seed and mode. */
export interface TransferCell {
  policy: string;
  agent: string;
  variant: string;
  mode: EvalMode;
  evalSeed: number;
  episodes: number;
  meanReturn: number;
  successRate: number | null;
}

export interface HeldOutSummary {
  /** Factors the target claims are held out from the policy's training variant. */
  claims: string[];
  ok: boolean;
  problems: string[];
}

export interface TransferRow {
  agent: string;
  variant: string;
  mode: EvalMode;
  policies: number;
  /** What the confidence intervals are over. */
  ciOver: 'training seeds' | 'evaluation seeds';
  sourceReturn: MeanCi;
  targetReturn: MeanCi;
  /** target/source per unit; null where some unit's source return is ≤ 0 (the ratio is meaningless). */
  ratio: MeanCi | null;
  successRate: MeanCi | null;
  /** Success rate on the source (the policies' own variant). */
  sourceSuccess: MeanCi | null;
  /** target/source success per unit; null where some unit never succeeded on the source. */
  successRatio: MeanCi | null;
  /** Did the encoder see this variant in pretraining ('n/a' for oracle: no vision). */
  visionSaw: 'yes' | 'no' | 'partly' | 'n/a';
  /** Did the policy train on it. */
  policySaw: 'yes' | 'no' | 'partly';
  /** Null when the variant is the policies' own training variant. */
  heldOut: HeldOutSummary | null;
}

export interface TransferResult {
  rows: TransferRow[];
  cells: TransferCell[];
  markdown: string;
  protocol: TransferProtocol;
}

export interface TransferProtocol {
  policies: { path: string; agent: string; seed: number; trainedOn: string; encoder: string | null; encoderSaw: string[] | null; steps: number }[];
  variants: string[];
  episodes: number;
  seeds: number[];
  modes: EvalMode[];
}

/** Evaluation episodes of transfer seed s start from this env seed (apart from training and eval-during-training seeds). */
export function transferEnvSeed(s: number): number {
  return mixSeed(0x7a45f3, s);
}

interface PolicyPlan {
  file: string;
  agent: string;
  seed: number;
  trainVariant: Variant;
  encoderSaw: string[] | null;
  /** The variants the encoder saw, resolved to definitions (null: no encoder). */
  encoderWorlds: Variant[] | null;
  meta: LoadedPolicyCheckpoint['meta'];
}

/** Same world, whatever the names (a copy of `source` under another name is `source`). */
const sameVariant = (a: Variant, b: Variant) => sameWorld(a, b);

/**
 * The variants an encoder saw, as variants: its recorded definitions, else (older encoders) each
 * recorded name or path resolved now; one that cannot be resolved any more is left out.
 */
function seenWorlds(enc: EncoderRecord): Variant[] {
  return enc.seenVariants.flatMap((name) => {
    try {
      const def = enc.seenDefinitions?.[name];
      return [def !== undefined ? parseVariantConfig(def, `recorded variant '${name}'`) : parseVariantArg(name)];
    } catch {
      return [];
    }
  });
}

export async function runTransfer(opts: TransferOptions): Promise<TransferResult> {
  const episodes = opts.episodes ?? 50;
  const seeds = opts.seeds ?? [0, 1, 2];
  const modes = opts.modes ?? [...EVAL_MODES];
  if (opts.policies.length === 0) throw new UserError('give at least one policy (a train-agent run directory or a policy checkpoint)', '--policies');
  if (!Number.isInteger(episodes) || episodes < 1) throw new UserError(`--episodes must be an integer >= 1, got ${episodes}`, '--episodes');
  if (seeds.length === 0) throw new UserError('give at least one evaluation seed', '--seeds');

  // ---- validate everything before any work: policies, variants, held-out claims, encoders ------
  const plans: PolicyPlan[] = opts.policies.map((p) => {
    const ckpt = loadPolicyCheckpoint(p, '--policies');
    if (ckpt.meta.task.env !== SHAPE_WORLD) throw new UserError(`${ckpt.file} was trained on ${ckpt.meta.task.env}; transfer evaluates ${SHAPE_WORLD} policies`, '--policies');
    const trainVariant = taskFromRecord(ckpt.meta.task).variant!;
    const enc = ckpt.meta.frontend.encoder;
    return { file: ckpt.file, agent: ckpt.meta.frontend.kind, seed: ckpt.meta.config.seed, trainVariant, encoderSaw: enc === undefined ? null : enc.seenVariants, encoderWorlds: enc === undefined ? null : seenWorlds(enc), meta: ckpt.meta };
  });
  const targets: Variant[] = (opts.variants ?? transferVariantNames()).map((v) => variantFromArg(v, '--variants'));
  const names = new Set<string>();
  for (const t of targets) {
    if (names.has(t.name)) throw new UserError(`--variants: two targets are named '${t.name}'; give each JSON variant its own name`, '--variants');
    names.add(t.name);
  }
  const problems: string[] = [];
  for (const plan of plans) {
    for (const t of targets) {
      // The same world claims nothing held out; one that claims something is checked (and refused).
      if (sameVariant(plan.trainVariant, t) && t.heldOut.length === 0) continue;
      const r = checkHeldOut(plan.trainVariant, t);
      if (!r.ok) problems.push(`${t.name} vs ${path.basename(path.dirname(path.dirname(plan.file)))} (trained on ${plan.trainVariant.name}): ${r.problems.join('; ')}`);
    }
  }
  if (problems.length > 0) throw new UserError(`target variants that do not differ from the training distribution as claimed:\n  ${problems.join('\n  ')}`, '--variants');
  checkEncoders(plans, opts.vae);

  const protocol: TransferProtocol = {
    policies: plans.map((p) => ({
      path: p.file,
      agent: p.agent,
      seed: p.seed,
      trainedOn: p.trainVariant.name,
      encoder: p.meta.frontend.encoder?.fingerprint ?? null,
      encoderSaw: p.encoderSaw,
      steps: p.meta.step,
    })),
    variants: targets.map((t) => t.name),
    episodes,
    seeds,
    modes,
  };
  // The full definition of every variant in play (targets and the policies' training variants).
  const variants = variantDefinitions([...plans.map((p) => p.trainVariant), ...targets]);
  const run = opts.runDir === undefined ? null : new RunDir(opts.runDir);
  run?.open({ kind: 'transfer', seed: 0, config: protocol, variants }, { fresh: opts.fresh, resumeFlag: false });
  try {
    return await evaluateAndWrite(plans, targets, protocol, variants, run, opts);
  } finally {
    run?.release();
  }
}

/** Plays every frozen policy on its source and each target, aggregates, and writes the outputs. */
async function evaluateAndWrite(plans: PolicyPlan[], targets: Variant[], protocol: TransferProtocol, variants: Record<string, VariantInput>, run: RunDir | null, opts: TransferOptions): Promise<TransferResult> {
  const { episodes, seeds, modes } = protocol;
  const log = opts.log ?? (() => {});

  // ---- evaluate: each frozen policy on its source and every target ---------------------------
  const cells: TransferCell[] = [];
  const total = plans.length * (targets.length + 1) * seeds.length * modes.length;
  let done = 0;
  for (const plan of plans) {
    const worlds = [{ label: '(source)', variant: plan.trainVariant }, ...targets.map((t) => ({ label: t.name, variant: t }))];
    const given = (label: string, mode: EvalMode, s: number) => opts.precomputed?.find((c) => c.policy === plan.file && c.variant === label && c.mode === mode && c.evalSeed === s && c.episodes === episodes);
    if (worlds.every((w) => modes.every((mode) => seeds.every((s) => given(w.label, mode, s) !== undefined)))) {
      for (const w of worlds) for (const mode of modes) for (const s of seeds) cells.push(given(w.label, mode, s)!);
      done += worlds.length * modes.length * seeds.length;
      opts.onProgress?.(done, total);
      log(`${plan.agent} seed ${plan.seed} (${plan.file}): evaluated elsewhere`);
      continue;
    }
    const loaded = loadPolicy(plan.file, { vae: opts.vae, flag: '--policies' });
    try {
      for (const w of worlds) {
        for (const mode of modes) {
          for (const s of seeds) {
            const ev = evaluatePolicy(loaded.policy, { env: SHAPE_WORLD, variant: w.variant }, { episodes, seed: transferEnvSeed(s), deterministic: mode === 'deterministic' });
            cells.push({ policy: plan.file, agent: plan.agent, variant: w.label, mode, evalSeed: s, episodes, meanReturn: ev.meanReturn, successRate: ev.successRate });
            opts.onProgress?.(++done, total);
          }
        }
      }
      log(`evaluated ${plan.agent} seed ${plan.seed} (${plan.file})`);
    } finally {
      loaded.policy.dispose();
    }
  }

  // ---- aggregate per agent kind × variant × mode ---------------------------------------------
  const rows: TransferRow[] = [];
  const agents = [...new Set(plans.map((p) => p.agent))];
  for (const mode of modes) {
    for (const agent of agents) {
      const mine = plans.filter((p) => p.agent === agent);
      for (const t of targets) rows.push(aggregate(agent, mine, t, mode, cells, seeds));
    }
  }
  const markdown = renderMarkdown(rows, protocol);
  if (run !== null) {
    run.writeJson('transfer.json', { protocol, variants, rows, cells });
    run.writeText('report.md', markdown);
    fs.mkdirSync(run.imagesDir, { recursive: true });
    const det = rows.filter((r) => r.mode === modes[0]);
    const ratioRows = det.filter((r) => r.ratio !== null).map((r) => ({ group: r.variant, category: r.agent, value: r.ratio!.mean, lo: r.ratio!.lo, hi: r.ratio!.hi }));
    if (ratioRows.length > 0) {
      fs.writeFileSync(
        run.imagePath('transfer_ratio.svg'),
        await barChartSvg({ title: `Zero-shot transfer: target/source return (${modes[0]} policy, 95% CI)`, rows: ratioRows, xLabel: 'variant', yLabel: 'target / source return' }),
      );
    }
    const successRows = det.filter((r) => r.successRate !== null).map((r) => ({ group: r.variant, category: r.agent, value: r.successRate!.mean, lo: r.successRate!.lo, hi: r.successRate!.hi }));
    if (successRows.length > 0) {
      fs.writeFileSync(
        run.imagePath('transfer_success.svg'),
        await barChartSvg({ title: `Zero-shot transfer: success rate (${modes[0]} policy, 95% CI)`, rows: successRows, xLabel: 'variant', yLabel: 'success rate', yDomain: [0, 1] }),
      );
    }
  }
  return { rows, cells, markdown, protocol };
}

/**
 * Refuses latent policies whose encoder (the recorded one, or `vae`) is not the one they trained
 * with, and a `vae` that is not a β-VAE (even when no policy needs it).
 */
function checkEncoders(plans: PolicyPlan[], vae: string | undefined): void {
  const fingerprints = new Map<string, string>();
  const fingerprintAt = (where: string): string => {
    let fp = fingerprints.get(where);
    if (fp === undefined) {
      const loaded = loadVae(where);
      fp = loaded.info.fingerprint;
      loaded.model.dispose();
      fingerprints.set(where, fp);
    }
    return fp;
  };
  if (vae !== undefined) fingerprintAt(vae);
  for (const plan of plans) {
    const enc = plan.meta.frontend.encoder;
    if (enc === undefined) continue;
    const where = vae ?? encoderLocation(plan, '--policies');
    const fp = fingerprintAt(where);
    if (fp !== enc.fingerprint) {
      throw new UserError(
        `refusing ${plan.file}: the ${plan.agent} policy was trained with encoder ${enc.fingerprint} (${enc.path}), but ${where} holds encoder ${fp}; evaluate it with the encoder it was trained with`,
        vae !== undefined ? '--vae' : '--policies',
      );
    }
  }
}

function aggregate(agent: string, plans: PolicyPlan[], target: Variant, mode: EvalMode, cells: TransferCell[], seeds: number[]): TransferRow {
  const byPolicy = (file: string, variant: string) => cells.filter((c) => c.policy === file && c.variant === variant && c.mode === mode);
  // Units: one per policy (training seed) when there are several, else one per evaluation seed.
  const overPolicies = plans.length > 1;
  const src: number[] = [];
  const tgt: number[] = [];
  const succ: number[] = [];
  const srcSucc: number[] = [];
  for (const p of plans) {
    const s = byPolicy(p.file, '(source)');
    const t = byPolicy(p.file, target.name);
    if (overPolicies) {
      src.push(mean(s.map((c) => c.meanReturn)));
      tgt.push(mean(t.map((c) => c.meanReturn)));
      if (t.every((c) => c.successRate !== null)) succ.push(mean(t.map((c) => c.successRate!)));
      if (s.every((c) => c.successRate !== null)) srcSucc.push(mean(s.map((c) => c.successRate!)));
    } else {
      for (const seed of seeds) {
        const sc = s.find((c) => c.evalSeed === seed)!;
        src.push(sc.meanReturn);
        if (sc.successRate !== null) srcSucc.push(sc.successRate);
        const tc = t.find((c) => c.evalSeed === seed)!;
        tgt.push(tc.meanReturn);
        if (tc.successRate !== null) succ.push(tc.successRate);
      }
    }
  }
  const ratioDefined = src.every((x) => x > 0);
  const successKnown = succ.length === tgt.length && srcSucc.length === src.length;
  const sawTrain = plans.map((p) => sameVariant(p.trainVariant, target));
  const policySaw = sawTrain.every(Boolean) ? 'yes' : sawTrain.some(Boolean) ? 'partly' : 'no';
  let visionSaw: TransferRow['visionSaw'];
  if (agent === 'oracle' || agent === 'state') visionSaw = 'n/a';
  else {
    const saw = plans.map((p, i) => (p.encoderWorlds === null ? sawTrain[i] : p.encoderWorlds.some((w) => sameVariant(w, target))));
    visionSaw = saw.every(Boolean) ? 'yes' : saw.some(Boolean) ? 'partly' : 'no';
  }
  let heldOut: HeldOutSummary | null = null;
  const others = plans.filter((_, i) => !sawTrain[i]);
  if (others.length > 0) {
    const reports = others.map((p) => checkHeldOut(p.trainVariant, target));
    heldOut = { claims: [...target.heldOut], ok: reports.every((r) => r.ok), problems: reports.flatMap((r) => r.problems) };
  }
  return {
    agent,
    variant: target.name,
    mode,
    policies: plans.length,
    ciOver: overPolicies ? 'training seeds' : 'evaluation seeds',
    sourceReturn: meanCi95(src),
    targetReturn: meanCi95(tgt),
    ratio: ratioDefined ? meanCi95(src.map((s, i) => tgt[i] / s)) : null,
    successRate: succ.length === tgt.length ? meanCi95(succ) : null,
    sourceSuccess: srcSucc.length === src.length ? meanCi95(srcSucc) : null,
    successRatio: successKnown && srcSucc.every((x) => x > 0) ? meanCi95(srcSucc.map((s, i) => succ[i] / s)) : null,
    visionSaw,
    policySaw,
    heldOut,
  };
}

function fmt(ci: MeanCi | null, digits = 3): string {
  if (ci === null) return 'n/a';
  if (ci.n < 2) return ci.mean.toFixed(digits);
  return `${ci.mean.toFixed(digits)} [${ci.lo.toFixed(digits)}, ${ci.hi.toFixed(digits)}]`;
}

function fmtPct(ci: MeanCi | null): string {
  if (ci === null) return 'n/a';
  const p = (x: number) => `${(100 * x).toFixed(1)}%`;
  return ci.n < 2 ? p(ci.mean) : `${p(ci.mean)} [${p(Math.max(0, ci.lo))}, ${p(Math.min(1, ci.hi))}]`;
}

export function renderMarkdown(rows: TransferRow[], protocol: TransferProtocol): string {
  const lines: string[] = ['# Zero-shot transfer', ''];
  lines.push(
    `Protocol: each frozen policy (frozen encoder, frozen policy) plays ${protocol.episodes} episodes × ${protocol.seeds.length} evaluation seeds (${protocol.seeds.join(', ')}) ` +
      `on the variant it trained on (the source) and on each target, with the ${protocol.modes.join(' and the ')} policy. ` +
      'Each cell is the mean with a 95% t-interval over training seeds (one unit per policy), or over evaluation seeds where an agent kind has a single policy. ' +
      `target/source (of the return, and of the success rate) is computed per unit, then averaged. Every target was checked to differ perceptibly from the training variant in each factor it claims is held out (colours ΔE*ab ≥ ${HELD_OUT_MIN_DELTA_E}, orientations ≥ ${HELD_OUT_MIN_DEGREES}°, scales ≥ ${HELD_OUT_MIN_SCALE_PX} px and ${100 * HELD_OUT_MIN_SCALE_RATIO}%).`,
    '',
    '| policy | agent | seed | trained on | env steps | encoder | encoder saw |',
    '|---|---|---|---|---|---|---|',
  );
  for (const p of protocol.policies) {
    lines.push(`| ${path.basename(path.dirname(path.dirname(p.path)))} | ${p.agent} | ${p.seed} | ${p.trainedOn} | ${p.steps} | ${p.encoder ?? '—'} | ${p.encoderSaw === null ? '—' : p.encoderSaw.join(', ')} |`);
  }
  for (const mode of protocol.modes) {
    lines.push('', `## ${mode[0].toUpperCase()}${mode.slice(1)} policy`, '');
    lines.push('| agent | variant | vision saw it | policy saw it | held out (checked) | source return | target return | target/source return | source success | target success | target/source success | CI over |');
    lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of rows.filter((x) => x.mode === mode)) {
      const held = r.heldOut === null ? '— (source)' : r.heldOut.claims.length === 0 ? 'nothing claimed' : `${r.heldOut.claims.join(', ')} ${r.heldOut.ok ? '✓' : '✗'}`;
      lines.push(
        `| ${r.agent} | ${r.variant} | ${r.visionSaw} | ${r.policySaw} | ${held} | ${fmt(r.sourceReturn)} | ${fmt(r.targetReturn)} | ${fmt(r.ratio, 2)} | ${fmtPct(r.sourceSuccess)} | ${fmtPct(r.successRate)} | ${fmt(r.successRatio, 2)} | ${r.ciOver} (n=${r.targetReturn.n}) |`,
      );
    }
  }
  lines.push('', '![target/source return](images/transfer_ratio.svg)', '', '![success rate](images/transfer_success.svg)', '');
  return lines.join('\n');
}
