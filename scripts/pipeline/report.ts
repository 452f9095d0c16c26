/**
 * The pipeline's report: report.md in the run directory (config, backend and versions, timings,
 * disentanglement scores of both encoders with their traversals, learning curves, the transfer table
 * and chart, and a short plain-language reading of the numbers) and report.html, the same page
 * self-contained (Markdown rendered by marked, every image inlined as a data URI).
 */
import fs from 'node:fs';
import path from 'node:path';
import { marked } from 'marked';
import { writeFileAtomic } from '../../envs/util/files.ts';
import type { RunDir } from '../../envs/util/run-dir.ts';
import { lineChartSvg } from '../../vision/report/charts.ts';
import { migPerFactorMarkdown } from '../../vision/report/mig-per-factor.ts';
import type { AgentKind, PipelineConfig } from './config.ts';
import type { StageTiming } from './timings.ts';

export interface ReportInput {
  visionDirs: Record<'darla' | 'entangled', string>;
  agentDirs: { kind: AgentKind; seed: number; dir: string }[];
  transferDir: string;
  timings: StageTiming[];
  seed: number;
}

type Json = Record<string, unknown>;

function readJson(file: string): Json | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Json;
  } catch {
    return null;
  }
}

function readJsonl(file: string): Json[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Json];
      } catch {
        return [];
      }
    });
}

const num = (v: unknown, digits = 3) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const pct = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? `${(100 * v).toFixed(0)}%` : 'n/a');

interface TransferRowJson {
  agent: string;
  variant: string;
  mode: string;
  sourceReturn: { mean: number };
  targetReturn: { mean: number };
  ratio: { mean: number; lo: number; hi: number } | null;
  successRate: { mean: number } | null;
  successRatio?: { mean: number; lo: number; hi: number } | null;
  /** Success rate on the policies' own (source) variant. */
  sourceSuccess?: { mean: number } | null;
  visionSaw: string;
  policySaw: string;
}

/**
 * An agent "solved the source world" at this held-out success rate or above; only such agents'
 * transfer ratios are compared (a ratio of two poor success rates says nothing about transfer).
 */
export const SOLVED_SOURCE_SUCCESS = 0.5;

/** Two success ratios closer than this are read as a tie. */
const RATIO_TIE = 0.02;

/** Plain-language sentences about what the numbers say (no claim the numbers do not make). */
export function readingOfResults(scores: Record<'darla' | 'entangled', Json | null>, transferRows: TransferRowJson[], agents: { kind: string; success: number | null }[]): string[] {
  const out: string[] = [];
  const migD = scores.darla?.mig;
  const migE = scores.entangled?.mig;
  if (typeof migD === 'number' && typeof migE === 'number') {
    out.push(
      Math.abs(migD - migE) < 0.01
        ? `By MIG the two encoders are about equally disentangled (DARLA ${migD.toFixed(3)}, β = 1 baseline ${migE.toFixed(3)}).`
        : migD > migE
        ? `The DARLA encoder's latents are more disentangled than the β = 1 baseline's by MIG (${migD.toFixed(3)} vs ${migE.toFixed(3)}): more of what each ground-truth factor carries sits in a single latent.`
        : `By MIG the DARLA encoder is not more disentangled than the β = 1 baseline here (${migD.toFixed(3)} vs ${migE.toFixed(3)}); with this training budget the extra KL pressure did not separate the factors better.`,
    );
  }
  const taskD = scores.darla?.mig_task;
  const taskE = scores.entangled?.mig_task;
  if (typeof taskD === 'number' && typeof taskE === 'number') {
    const largest = (s: Json | null) => {
      let best: { name: string; gap: number } | null = null;
      for (const [k, v] of Object.entries(s ?? {})) if (k.startsWith('mig_gap_') && typeof v === 'number' && (best === null || v > best.gap)) best = { name: k.slice(8), gap: v };
      return best === null ? '' : `${best.name} ${best.gap.toFixed(3)}`;
    };
    out.push(
      `Over the task factors alone (the objects' positions, what the policy needs), MIG is ${taskD.toFixed(3)} for DARLA and ${taskE.toFixed(3)} for the β = 1 baseline; the largest single factor gap is ${largest(scores.darla)} (DARLA) and ${largest(scores.entangled)} (baseline).`,
    );
  }
  const bySuccess = agents.filter((a) => a.success !== null);
  if (bySuccess.length > 0) {
    const kinds = [...new Set(bySuccess.map((a) => a.kind))];
    const means = kinds.map((k) => {
      const xs = bySuccess.filter((a) => a.kind === k).map((a) => a.success as number);
      return `${k} ${(100 * xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(0)}%`;
    });
    out.push(`On the source world, after training, the agents reach the goal in: ${means.join(', ')} of held-out episodes (deterministic policy, mean over seeds).`);
  }
  const det = transferRows.filter((r) => r.mode === 'deterministic');
  for (const variant of ['color-shift', 'background-shift']) {
    const rows = det.filter((r) => r.variant === variant && r.successRatio != null);
    if (rows.length === 0) continue;
    const ci = (r: TransferRowJson) => `${r.successRatio!.mean.toFixed(2)} [${r.successRatio!.lo.toFixed(2)}, ${r.successRatio!.hi.toFixed(2)}]`;
    const parts = rows.map((r) => `${r.agent} ${ci(r)}`);
    const verdict = darlaVerdict(variant, rows, det);
    out.push(`Zero-shot on ${variant}, target/source success ratios (mean [95% CI over training seeds]) are: ${parts.join(', ')}.${verdict}`);
  }
  const unsolved = det.filter((r) => r.variant === 'source' && r.successRate !== null && r.successRate.mean < SOLVED_SOURCE_SUCCESS).map((r) => r.agent);
  if (unsolved.length > 0) {
    out.push(`Ratios are only meaningful for agents that solved the source world; ${[...new Set(unsolved)].join(', ')} did not (source success below ${pct(SOLVED_SOURCE_SUCCESS)}), so their ratios compare two poor returns.`);
  }
  return out;
}

/** An agent's source success: the row's own record, else the agent's deterministic row on 'source'. */
function sourceSuccessOf(row: TransferRowJson, det: TransferRowJson[]): number | null {
  if (row.sourceSuccess != null) return row.sourceSuccess.mean;
  const src = det.find((r) => r.agent === row.agent && r.variant === 'source');
  return src?.successRate?.mean ?? null;
}

/**
 * The sentence comparing DARLA's success ratio on one variant with every other agent's — only
 * among agents that solved the source world (source success ≥ SOLVED_SOURCE_SUCCESS), and said so.
 */
function darlaVerdict(variant: string, rows: TransferRowJson[], det: TransferRowJson[]): string {
  const darla = rows.find((r) => r.agent === 'darla');
  if (darla === undefined) return '';
  const bar = pct(SOLVED_SOURCE_SUCCESS);
  const darlaSource = sourceSuccessOf(darla, det);
  if (darlaSource === null || darlaSource < SOLVED_SOURCE_SUCCESS) {
    return ` DARLA's ratio is not compared with the others': it did not solve the source world (source success ${pct(darlaSource)}, below ${bar}).`;
  }
  const solved = rows.filter((r) => r.agent !== 'darla' && (sourceSuccessOf(r, det) ?? 0) >= SOLVED_SOURCE_SUCCESS);
  if (solved.length === 0) return ` No other agent solved the source world (source success ≥ ${bar}), so DARLA's ratio is compared with none.`;
  const among = `Among the agents that solved the source world (source success ≥ ${bar})`;
  const best = solved.reduce((a, b) => (b.successRatio!.mean > a.successRatio!.mean ? b : a));
  const d = darla.successRatio!;
  const o = best.successRatio!;
  const names = solved.map((r) => r.agent).join(', ');
  if (d.lo > o.hi) return ` ${among}, DARLA keeps more of its source success on ${variant} than every other (${names}), beyond the 95% intervals.`;
  if (Math.abs(d.mean - o.mean) < RATIO_TIE) return ` ${among}, DARLA and ${best.agent} keep about the same share of their source success on ${variant}.`;
  if (d.mean > o.mean) return ` ${among}, DARLA keeps more of its source success on ${variant} than the others (${names}) on average, but its interval overlaps ${best.agent}'s.`;
  return ` ${among}, DARLA keeps less of its source success on ${variant} than ${best.agent}.`;
}

/** The task factors the vision evaluation recorded (scores.json `task_factors`), from either encoder. */
function taskFactorsOf(scores: Record<'darla' | 'entangled', Json | null>): string[] {
  const names = new Set<string>();
  for (const s of [scores.darla, scores.entangled]) {
    const t = s?.task_factors;
    if (Array.isArray(t)) for (const n of t) if (typeof n === 'string') names.add(n);
  }
  return [...names];
}

/** One shipped encoder in words: objective, data, steps, hours, machine, command, fingerprint. */
function shippedLine(which: string, done: Json | null, record: Json | null): string {
  const p = (done?.provenance ?? null) as { steps?: number; hours?: number; machine?: string; backend?: string; command?: string; fingerprint?: string } | null;
  const config = (record?.config ?? null) as { objective?: { kind?: string; beta?: number }; arch?: { latents?: number }; data?: { variants?: string[]; randomPolicyFrames?: number; factorFrames?: number } } | null;
  if (p === null || config === null) return `${which}: (no provenance found)`;
  const o = config.objective;
  const objective = o?.kind === 'beta' ? `β = ${o.beta}` : (o?.kind ?? '?');
  const data = config.data;
  return (
    `${which} (${objective}, ${config.arch?.latents ?? '?'} latents, ${p.steps} steps of batch 64 on ${data?.randomPolicyFrames ?? '?'} random-policy + ${data?.factorFrames ?? '?'} factor-sampled frames of ${(data?.variants ?? []).join(', ')}; ` +
    `${(p.hours ?? 0).toFixed(1)} h on ${p.machine} with the ${p.backend} backend; \`${p.command}\`; weights ${p.fingerprint})`
  );
}

export async function writePipelineReport(root: RunDir, cfg: PipelineConfig, input: ReportInput): Promise<{ md: string; html: string }> {
  const rel = (p: string) => path.relative(root.root, p).split(path.sep).join('/');
  const record = root.readRecord();
  const scores = { darla: readJson(path.join(input.visionDirs.darla, 'scores.json')), entangled: readJson(path.join(input.visionDirs.entangled, 'scores.json')) };
  const visionDone = { darla: readJson(path.join(input.visionDirs.darla, 'done.json')), entangled: readJson(path.join(input.visionDirs.entangled, 'done.json')) };
  const agentDone = input.agentDirs.map((a) => ({ ...a, done: readJson(path.join(a.dir, 'done.json')) }));
  const transfer = readJson(path.join(input.transferDir, 'transfer.json'));
  const transferRows = (transfer?.rows ?? []) as TransferRowJson[];
  const transferMd = fs.existsSync(path.join(input.transferDir, 'report.md')) ? fs.readFileSync(path.join(input.transferDir, 'report.md'), 'utf8') : '';

  // Learning curves: mean training return per agent kind (seeds overlaid).
  const series = input.agentDirs.map((a) => ({
    name: `${a.kind} s${a.seed}`,
    points: readJsonl(path.join(a.dir, 'metrics.jsonl'))
      .filter((m) => typeof m['charts/episodic_return'] === 'number')
      .map((m) => [m.step as number, m['charts/episodic_return'] as number] as const),
  }));
  fs.mkdirSync(root.imagesDir, { recursive: true });
  const curvesFile = root.imagePath('learning_curves.svg');
  writeFileAtomic(curvesFile, await lineChartSvg({ title: 'PPO on source: training episodic return', series, xLabel: 'env steps', yLabel: 'episodic return', width: 560 }));

  const totalSeconds = input.timings.reduce((a, t) => a + t.seconds, 0);
  const vrow = (label: string, key: string, digits = 3) => `| ${label} | ${num(scores.darla?.[key], digits)} | ${num(scores.entangled?.[key], digits)} |`;
  const objective = cfg.vision.objective;
  const objText = objective.kind === 'beta' ? `β = ${objective.beta}` : objective.kind === 'capacity' ? `capacity, γ = ${objective.gamma}, C_max = ${objective.cMax}` : `β-TCVAE, β = ${objective.beta}`;
  const migRows = migPerFactorMarkdown([{ label: 'DARLA', scores: scores.darla }, { label: 'entangled (β = 1)', scores: scores.entangled }], taskFactorsOf(scores));
  const migSection =
    migRows.length === 0
      ? []
      : ['MIG per factor — where the mean comes from: each varying factor\'s normalised gap between its two most informative latents, and which latent is the top one. The task MIG averages the objects\' positions (task), the factors the policy needs.', '', ...migRows, ''];
  const reading = readingOfResults(scores, transferRows, agentDone.map((a) => ({ kind: a.kind, success: (a.done?.successRate as number | null | undefined) ?? null })));

  const md = [
    '# darla-ts pipeline report',
    '',
    `Run directory \`${root.root}\` · seed ${input.seed} · backend **${record.backend ?? 'unknown'}** · ${Object.entries(record.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')} · created ${record.createdAt} · compute time ${(totalSeconds / 60).toFixed(1)} min.`,
    '',
    '## What this run did',
    '',
    cfg.vision.from === 'shipped'
      ? `1. **see** — the two β-VAEs shipped with the repository (\`models/vision\`, trained for hours; this run copied them into \`vision/\`): ${(['darla', 'entangled'] as const)
          .map((w) => shippedLine(w, visionDone[w], readJson(path.join(input.visionDirs[w], 'config.json'))))
          .join('; ')}. \`darla demo --train-vision\` trains them in the run instead.`
      : `1. **see** — two β-VAEs (${cfg.vision.latents} latents, ${cfg.vision.steps} steps of batch ${cfg.vision.batchSize}) trained in this run on ${cfg.vision.randomPolicyFrames} random-policy + ${cfg.vision.factorFrames} factor-sampled frames from: ${cfg.vision.variants.join(', ')}. DARLA's encoder uses ${objText}; the entangled baseline is the same with β = 1.`,
    `2. **act** — PPO agents (${cfg.agents.kinds.join(', ')}) × seeds ${cfg.agents.seeds.join(', ')} on \`source\` only: ${cfg.agents.totalSteps} env steps each (pixels: ${cfg.agents.pixelsTotalSteps}), frozen encoders.`,
    `3. **transfer** — every frozen agent on ${cfg.transfer.variants.join(', ')}, ${cfg.transfer.episodes} episodes × evaluation seeds ${cfg.transfer.seeds.join(', ')}, deterministic and stochastic policy.`,
    '',
    '## What the numbers say',
    '',
    ...(reading.length > 0 ? reading.map((r) => `- ${r}`) : ['- (no results yet)']),
    '',
    '## 1. Seeing: disentanglement of the two encoders',
    '',
    `Measured on the \`source\` factor dataset (its ground-truth factors; positions are the board's cells, one object per cell). The task probe reads μ with two readers fitted on 5000 frames and scored on 2000 others — an MLP (128 tanh units: the kind of reader the policy is) and a linear one (ridge regression) — and asks whether the task is readable from the code: R² of each object's position, and identity, the share of frames where the predicted goal and hazard positions are in the true order (0.5 = cannot tell which is which). The other metrics ask whether the code is disentangled.`,
    '',
    '| metric | DARLA | entangled (β = 1) |',
    '|---|---|---|',
    vrow('probe (MLP) R² agent position', 'probe_r2_agent'),
    vrow('probe (MLP) R² goal position', 'probe_r2_goal'),
    vrow('probe (MLP) R² hazard position', 'probe_r2_hazard'),
    vrow('probe (MLP) identity: goal and hazard in the true order', 'probe_identity_accuracy'),
    vrow('probe (linear) R², worst of agent / goal / hazard', 'probe_linear_r2_min'),
    vrow('probe (linear) identity', 'probe_linear_identity_accuracy'),
    vrow('MIG', 'mig'),
    vrow('task MIG (mean over the objects\' positions)', 'mig_task'),
    vrow('BetaVAE score', 'beta_vae_eval_accuracy'),
    vrow('FactorVAE score', 'factor_vae_eval_accuracy'),
    vrow('DCI disentanglement', 'dci_disentanglement'),
    vrow('DCI completeness', 'dci_completeness'),
    vrow('Gaussian TC of μ', 'gaussian_total_correlation'),
    vrow('active latents', 'active_units', 0),
    vrow('total KL (nats)', 'kl_total', 2),
    vrow('held-out reconstruction (nats/frame)', 'recon_heldout', 1),
    `| training speed (img/s) | ${num(visionDone.darla?.imgPerSec, 0)} | ${num(visionDone.entangled?.imgPerSec, 0)} |`,
    '',
    ...migSection,
    'Latent traversals (rows: latents by KL, largest first; columns: the latent swept from −3 to +3 around one frame\'s μ):',
    '',
    '| DARLA | entangled (β = 1) |',
    '|---|---|',
    `| ![DARLA traversals](${rel(path.join(input.visionDirs.darla, 'images', 'traversals.png'))}) | ![entangled traversals](${rel(path.join(input.visionDirs.entangled, 'images', 'traversals.png'))}) |`,
    '',
    'Reconstructions (inputs above, reconstructions from μ below):',
    '',
    `DARLA: ![DARLA reconstructions](${rel(path.join(input.visionDirs.darla, 'images', 'reconstructions.png'))})`,
    '',
    `Entangled: ![entangled reconstructions](${rel(path.join(input.visionDirs.entangled, 'images', 'reconstructions.png'))})`,
    '',
    `![DARLA KL per latent](${rel(path.join(input.visionDirs.darla, 'images', 'kl_per_latent.svg'))}) ![DARLA loss](${rel(path.join(input.visionDirs.darla, 'images', 'loss.svg'))})`,
    '',
    '## 2. Acting: PPO on the source world',
    '',
    '| agent | seed | env steps | steps/s | held-out return | success |',
    '|---|---|---|---|---|---|',
    ...agentDone.map((a) => `| ${a.kind} | ${a.seed} | ${a.done?.globalStep ?? 'n/a'} | ${num(a.done?.sps, 0)} | ${num(a.done?.finalReturn)} | ${pct(a.done?.successRate)} |`),
    '',
    `![learning curves](${rel(curvesFile)})`,
    '',
    '## 3. Zero-shot transfer',
    '',
    transferMd.replace(/^# .*\n/, '').replace(/\]\(images\//g, `](${rel(input.transferDir)}/images/`),
    '',
    '## Timings',
    '',
    '| stage | item | seconds |',
    '|---|---|---|',
    ...input.timings.map((t) => `| ${t.stage} | ${t.item} | ${t.skipped ? 'skipped (done earlier)' : t.seconds.toFixed(1)} |`),
    '',
    '## Config',
    '',
    '```json',
    JSON.stringify(cfg, null, 2),
    '```',
    '',
  ]
    .join('\n')
    // An image a stage did not produce (e.g. no ratio chart when no agent had a positive source
    // return) is named instead of left as a broken link.
    .replace(/!\[([^\]]*)\]\(([^)]+)\)/g, (whole, alt: string, src: string) => (fs.existsSync(path.resolve(root.root, src)) ? whole : `*(${alt}: not produced in this run)*`));
  root.writeText('report.md', md);
  const html = renderHtml(md, root.root);
  root.writeText('report.html', html);
  return { md, html };
}

/** The Markdown as one self-contained HTML page: images become data URIs. */
export function renderHtml(md: string, baseDir: string): string {
  const body = marked.parse(md, { async: false }) as string;
  const inlined = body.replace(/<img src="([^"]+)"/g, (whole, src: string) => {
    const file = path.resolve(baseDir, decodeURI(src));
    if (!fs.existsSync(file)) return whole;
    const type = file.endsWith('.svg') ? 'image/svg+xml' : file.endsWith('.png') ? 'image/png' : null;
    if (type === null) return whole;
    return `<img src="data:${type};base64,${fs.readFileSync(file).toString('base64')}"`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>darla-ts report</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}img{max-width:100%;image-rendering:pixelated}code,pre{background:#f6f6f6}pre{padding:.8em;overflow:auto}
</style></head><body>
${inlined}
</body></html>
`;
}
