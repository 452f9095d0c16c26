/**
 * `darla pretrain`: trains the β-VAE on shape-world frames (the "see" stage) and evaluates it:
 * progress bar, metrics.jsonl, checkpoints with --resume, then disentanglement scores, traversal and
 * reconstruction images and vision.md in the run directory. `darla evaluate-vision <run>` re-runs the
 * evaluation alone. Every flag and the optional --config file are validated before any work starts.
 */
import { Option, type Command } from 'commander';
import { UserError } from '../../envs/core/errors.ts';
import { floatInRange, intInRange, backendOption, readConfigFile, seedOption, type BackendChoice } from '../cli/options.ts';

interface PretrainFlags {
  preset: 'default' | 'long';
  config?: string;
  objective?: 'beta' | 'capacity' | 'tcvae';
  beta?: number;
  betaWarmup?: number;
  gamma?: number;
  cMax?: number;
  rampSteps?: number;
  latents?: number;
  likelihood?: 'bernoulli' | 'gaussian';
  decoder?: 'deconv' | 'broadcast';
  blurKernel?: 'gaussian' | 'box';
  blurSigma?: number;
  blurWidth?: number;
  blurWeight?: number;
  steps?: number;
  batchSize?: number;
  lr?: number;
  lrDecayEvery?: number;
  lrDecayFactor?: number;
  variants?: string;
  randomFrames?: number;
  factorFrames?: number;
  metricsScale?: number;
  target?: 'pixels' | 'dae';
  daeSteps?: number;
  daeBottleneck?: number;
  daeMask?: number;
  runDir: string;
  resume: boolean;
  fresh: boolean;
  eval: boolean;
  quiet: boolean;
  json: boolean;
  view: boolean;
  viewPort: number;
  backend: BackendChoice;
  seed: number;
}

export function register(program: Command): void {
  program
    .command('pretrain')
    .description('train the β-VAE on shape-world frames and evaluate its disentanglement (the "see" stage)')
    .addOption(
      new Option('--preset <name>', 'recipe: default (minutes, what the pipeline trains from scratch) or long (hours: the shipped vision; 30k steps, lr 2e-3 halved every 6000 steps, β = 8 warmed up over 4000 steps)')
        .choices(['default', 'long'])
        .default('default'),
    )
    .option('--config <file>', 'JSON file with any PretrainConfig fields (the preset\'s values underneath; flags override it)')
    .addOption(new Option('--objective <kind>', 'beta (Higgins; the default), capacity (Burgess), tcvae (Chen)').choices(['beta', 'capacity', 'tcvae']))
    .option('--beta <x>', 'β for the beta and tcvae objectives (default 4 / 6)', floatInRange(0))
    .option('--beta-warmup <steps>', 'beta objective: grow β linearly from 0 over this many steps (KL annealing; default 40% of --steps)', intInRange(0))
    .option('--gamma <x>', 'γ for the capacity objective (default 1000)', floatInRange(0))
    .option('--c-max <nats>', 'C_max for the capacity objective (default 25)', floatInRange(0))
    .option('--ramp-steps <n>', 'steps over which C grows 0 → C_max (default 80% of --steps)', intInRange(1))
    .option('--latents <n>', 'number of latents (default 10)', intInRange(1, 256))
    .addOption(new Option('--likelihood <kind>', 'decoder likelihood (default bernoulli)').choices(['bernoulli', 'gaussian']))
    .addOption(new Option('--decoder <kind>', "decoder: 'deconv' (mirrored transposed convs; the default) or 'broadcast' (spatial broadcast decoder, Watters et al. 2019)").choices(['deconv', 'broadcast']))
    .addOption(new Option('--blur-kernel <kind>', 'augmented reconstruction (Michlo et al. 2023): also compare images blurred by this kernel').choices(['gaussian', 'box']))
    .option('--blur-sigma <px>', 'with --blur-kernel gaussian: σ in pixels (default 6, half a cell)', floatInRange(0, 32, { exclusiveMin: true }))
    .option('--blur-width <px>', 'with --blur-kernel box: width in pixels, odd (default 13)', intInRange(1, 63))
    .option('--blur-weight <w>', "with --blur-kernel: the blurred term's share w of the reconstruction, in [0, 1] (default 0.5)", floatInRange(0, 1))
    .option('--steps <n>', 'training steps (default 1800)', intInRange(1))
    .option('--batch-size <n>', 'batch size (default 64)', intInRange(1, 1024))
    .option('--lr <x>', 'Adam learning rate (default 2e-3)', floatInRange(0, 1, { exclusiveMin: true }))
    .option('--lr-decay-every <steps>', 'multiply the learning rate by --lr-decay-factor every this many steps (long preset: 6000)', intInRange(1))
    .option('--lr-decay-factor <x>', 'the step decay factor, in (0, 1] (long preset: 0.5)', floatInRange(0, 1, { exclusiveMin: true }))
    .addOption(new Option('--target <kind>', "reconstruction in 'pixels' (default) or in a denoising autoencoder's code: 'dae' (DARLA's β-VAE_DAE)").choices(['pixels', 'dae']))
    .option('--dae-steps <n>', 'with --target dae: DAE training steps (default 1000)', intInRange(1))
    .option('--dae-bottleneck <n>', 'with --target dae: width of the DAE code (default 100)', intInRange(1, 1024))
    .option('--dae-mask <rate>', 'with --target dae: fraction of input pixels masked (default 0.3)', floatInRange(0, 0.95))
    .option('--variants <list>', 'comma-separated variants whose frames the β-VAE sees (default: source,color-shift,background-shift)')
    .option('--random-frames <n>', 'random-policy frames (default 20000)', intInRange(0))
    .option('--factor-frames <n>', 'factor-sampled frames (default 20000)', intInRange(0))
    .option('--metrics-scale <x>', 'metric sample sizes × this (default 1: MIG/TC/KL at ½, DCI at ⅕, BetaVAE/FactorVAE at 1/50 of disentanglement_lib\'s)', floatInRange(0, 50, { exclusiveMin: true }))
    .option('--run-dir <dir>', 'where the run is written', 'runs/pretrain')
    .option('--resume', 'continue the run in --run-dir from its last checkpoint (refused when there is no run there)', false)
    .option('--fresh', 'replace the pretraining run in --run-dir with a new one (nothing but a darla run is ever deleted)', false)
    .option('--no-eval', 'skip the evaluation after training')
    .option('--quiet', 'no progress bar', false)
    .option('--json', 'print a summary (steps, img/s, scores) as one JSON line on stdout', false)
    .option('--view', 'stream the training into the live viewer (frames, reconstructions, latents, loss)', false)
    .option('--view-port <n>', 'port of that viewer', intInRange(0, 65535), 8420)
    .addOption(backendOption())
    .addOption(seedOption())
    .action(async (flags: PretrainFlags) => {
      if (flags.resume && flags.fresh) throw new UserError('--resume and --fresh contradict each other; pick one', '--resume');
      const config = await buildConfig(flags);
      const { runPretrain } = await import('../run-pretrain.ts');
      const summary = await runPretrain(config, { runDir: flags.runDir, resume: flags.resume, fresh: flags.fresh, evaluate: flags.eval, quiet: flags.quiet || flags.json, backend: flags.backend, seed: flags.seed, viewPort: flags.view ? flags.viewPort : undefined });
      if (flags.json) process.stdout.write(JSON.stringify(summary) + '\n');
      if (!summary.finished) process.exitCode = 130;
    });

  program
    .command('evaluate-vision')
    .description('measure a pretrained β-VAE: MIG, BetaVAE, FactorVAE, DCI, KL per latent, traversal images')
    .argument('<run>', 'a pretraining run directory')
    .option('--variant <variant>', 'variant whose factor dataset the metrics use: a name, inline JSON or a .json file', 'source')
    .option('--metrics-scale <x>', 'metric sample sizes × this (default 1: MIG/TC/KL at ½, DCI at ⅕, BetaVAE/FactorVAE at 1/50 of disentanglement_lib\'s)', floatInRange(0, 50, { exclusiveMin: true }), 1)
    .option('--metrics <list>', 'comma-separated subset: mig, beta_vae, factor_vae, dci, total_correlation, kl, probe')
    .addOption(backendOption())
    .addOption(seedOption())
    .action(async (runPath: string, flags: { variant: string; metricsScale: number; metrics?: string; backend: BackendChoice; seed: number }) => {
      const { runEvaluateVision } = await import('../run-pretrain.ts');
      await runEvaluateVision(runPath, { variant: flags.variant, scale: flags.metricsScale, metrics: flags.metrics?.split(',').map((s) => s.trim()), backend: flags.backend, seed: flags.seed });
    });
}

/** The lr decay from the flags over the file's or preset's: both flags, or one of them over an existing decay. */
function lrDecayOf(flags: PretrainFlags, current: { every: number; factor: number } | undefined): { lrDecay?: { every: number; factor: number } } {
  if (flags.lrDecayEvery === undefined && flags.lrDecayFactor === undefined) return {};
  const every = flags.lrDecayEvery ?? current?.every;
  const factor = flags.lrDecayFactor ?? current?.factor;
  if (every === undefined) throw new UserError('--lr-decay-factor needs --lr-decay-every (this preset has no decay)', '--lr-decay-every');
  if (factor === undefined) throw new UserError('--lr-decay-every needs --lr-decay-factor (this preset has no decay)', '--lr-decay-factor');
  return { lrDecay: { every, factor } };
}

/** The augmented loss's blur from the flags over the --config file's (validated later with the config). */
function blurOf(flags: PretrainFlags, fromFile: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const detail = [flags.blurSigma, flags.blurWidth, flags.blurWeight].some((v) => v !== undefined);
  const kernel = flags.blurKernel ?? (fromFile?.kernel as string | undefined);
  if (kernel === undefined) {
    if (detail) throw new UserError('--blur-sigma, --blur-width and --blur-weight need --blur-kernel gaussian or box', '--blur-kernel');
    return fromFile;
  }
  if (flags.blurSigma !== undefined && kernel !== 'gaussian') throw new UserError('--blur-sigma applies to --blur-kernel gaussian only', '--blur-sigma');
  if (flags.blurWidth !== undefined && kernel !== 'box') throw new UserError('--blur-width applies to --blur-kernel box only', '--blur-width');
  const base = fromFile?.kernel === kernel ? fromFile : {};
  const size = kernel === 'gaussian' ? { sigma: flags.blurSigma ?? base.sigma ?? 6 } : { width: flags.blurWidth ?? base.width ?? 13 };
  return { weight: 0.5, ...base, kernel, ...size, ...(flags.blurWeight !== undefined ? { weight: flags.blurWeight } : {}) };
}

/** Defaults ← --config file ← flags, then one strict validation. */
async function buildConfig(flags: PretrainFlags) {
  const { PretrainConfigSchema, presetPretrainConfig, presetObjective } = await import('../../vision/vae/config.ts');
  const fromFile = flags.config !== undefined ? readConfigFile(flags.config) : {};
  const steps = flags.steps ?? (typeof fromFile.steps === 'number' ? fromFile.steps : undefined);
  const base = presetPretrainConfig(flags.preset, steps);
  const fileObjective = (fromFile.objective ?? {}) as Record<string, unknown>;
  const kind = flags.objective ?? (fileObjective.kind as NonNullable<PretrainFlags['objective']> | undefined) ?? 'beta';
  if (!['beta', 'capacity', 'tcvae'].includes(kind)) throw new UserError(`unknown objective '${String(kind)}'; choose beta, capacity or tcvae`, 'objective.kind');
  const objective: Record<string, unknown> = { ...presetObjective(flags.preset, kind, base.steps), ...(fileObjective.kind === kind ? fileObjective : {}) };
  if (flags.beta !== undefined) {
    if (kind === 'capacity') throw new UserError('--beta applies to the beta and tcvae objectives; the capacity objective uses --gamma and --c-max', '--beta');
    objective.beta = flags.beta;
  }
  if (flags.betaWarmup !== undefined) {
    if (kind !== 'beta') throw new UserError('--beta-warmup applies to the beta objective only', '--beta-warmup');
    objective.warmupSteps = flags.betaWarmup;
  }
  if (flags.gamma !== undefined || flags.cMax !== undefined || flags.rampSteps !== undefined) {
    if (kind !== 'capacity' && flags.gamma !== undefined && kind !== 'tcvae') throw new UserError('--gamma applies to the capacity and tcvae objectives', '--gamma');
    if (kind !== 'capacity' && (flags.cMax !== undefined || flags.rampSteps !== undefined)) throw new UserError('--c-max and --ramp-steps apply to the capacity objective only', flags.cMax !== undefined ? '--c-max' : '--ramp-steps');
    if (flags.gamma !== undefined) objective.gamma = flags.gamma;
    if (flags.cMax !== undefined) objective.cMax = flags.cMax;
    if (flags.rampSteps !== undefined) objective.rampSteps = flags.rampSteps;
  }
  const fileTarget = (fromFile.target ?? {}) as Record<string, unknown>;
  const targetKind = flags.target ?? (fileTarget.kind as 'pixels' | 'dae' | undefined) ?? 'pixels';
  const daeFlags = [flags.daeSteps, flags.daeBottleneck, flags.daeMask].some((v) => v !== undefined);
  if (daeFlags && targetKind !== 'dae') throw new UserError('--dae-steps, --dae-bottleneck and --dae-mask apply with --target dae only', '--target');
  const target =
    targetKind === 'dae'
      ? {
          kind: 'dae',
          bottleneck: 100,
          steps: 1000,
          maskRate: 0.3,
          ...(fileTarget.kind === 'dae' ? fileTarget : {}),
          ...(flags.daeSteps !== undefined ? { steps: flags.daeSteps } : {}),
          ...(flags.daeBottleneck !== undefined ? { bottleneck: flags.daeBottleneck } : {}),
          ...(flags.daeMask !== undefined ? { maskRate: flags.daeMask } : {}),
        }
      : { kind: 'pixels' };
  const blur = blurOf(flags, fromFile.blur as Record<string, unknown> | undefined);
  const fileData = (fromFile.data ?? {}) as Record<string, unknown>;
  const fileArch = (fromFile.arch ?? {}) as Record<string, unknown>;
  const merged = {
    ...base,
    ...fromFile,
    arch: { ...base.arch, ...fileArch, ...(flags.latents !== undefined ? { latents: flags.latents } : {}), ...(flags.likelihood !== undefined ? { likelihood: flags.likelihood } : {}), ...(flags.decoder !== undefined ? { decoder: flags.decoder } : {}) },
    ...(blur !== undefined ? { blur } : {}),
    objective,
    target,
    data: {
      ...base.data,
      ...fileData,
      ...(flags.variants !== undefined ? { variants: flags.variants.split(',').map((s) => s.trim()).filter((s) => s !== '') } : {}),
      ...(flags.randomFrames !== undefined ? { randomPolicyFrames: flags.randomFrames } : {}),
      ...(flags.factorFrames !== undefined ? { factorFrames: flags.factorFrames } : {}),
    },
    steps: base.steps,
    ...(flags.batchSize !== undefined ? { batchSize: flags.batchSize } : {}),
    ...(flags.lr !== undefined ? { lr: flags.lr } : {}),
    ...lrDecayOf(flags, (fromFile.lrDecay ?? base.lrDecay) as { every: number; factor: number } | undefined),
    ...(flags.metricsScale !== undefined ? { metricsScale: flags.metricsScale } : {}),
  };
  const parsed = PretrainConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(`invalid pretraining config at ${issue.path.join('.') || '(root)'}: ${issue.message}`, issue.path.join('.'));
  }
  // Variants are checked now too, so a typo fails before any frames are made.
  const { parseVariantArg } = await import('../../envs/shapeworld/variant-arg.ts');
  for (const v of parsed.data.data.variants) parseVariantArg(v);
  return parsed.data;
}
