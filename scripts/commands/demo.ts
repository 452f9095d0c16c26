/**
 * `darla demo` — the main job, what `npm start` runs: see → act → transfer → report → watch, in one
 * run directory (default runs/default), sized by a preset (default: ~21 minutes on a 2-core CPU;
 * tiny: seconds). Finished stages are skipped on the next run, an interrupted one resumes; at the end
 * the viewer plays the trained DARLA agent until Ctrl-C. With --queue, the act stage's agent
 * trainings and their transfer evaluations go to `darla worker`s through Redis
 * (scripts/queue/pipeline-jobs.ts).
 */
import os from 'node:os';
import { Option, type Command } from 'commander';
import { UserError } from '../../envs/core/errors.ts';
import { allowHostOption, backendOption, floatInRange, intInRange, readConfigFile, seedOption, type BackendChoice } from '../cli/options.ts';

interface DemoFlags {
  preset: 'default' | 'tiny';
  trainVision: boolean;
  config?: string;
  runDir?: string;
  fresh: boolean;
  view: boolean;
  host: string;
  port: number;
  allowHost?: string[];
  exitAfter?: number;
  quiet: boolean;
  jobs: number;
  backend: BackendChoice;
  seed: number;
  queue?: string;
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('the whole pipeline: pretrain β-VAEs, train PPO agents, measure zero-shot transfer, write the report, open the viewer')
    .addOption(new Option('--preset <name>', 'run size: default (~21 min on 2 CPU cores with the shipped encoders) or tiny (seconds)').choices(['default', 'tiny']).default('default'))
    .option('--config <file>', 'JSON with pipeline fields to override the preset (vision, agents, transfer)')
    .option('--train-vision', 'train both β-VAEs in this run from scratch instead of using the shipped long-trained ones (models/vision)', false)
    .option('--run-dir <dir>', 'where everything is written (default runs/<preset>)')
    .option('--fresh', 'replace the pipeline run in the run directory with a new one (nothing but a darla run is ever deleted)', false)
    .option('--no-view', 'do not start the viewer at the end')
    .option('--host <addr>', 'viewer interface (anything but loopback is printed as a warning)', '127.0.0.1')
    .option('--port <n>', 'viewer port (0 = any free port)', intInRange(0, 65535), 8420)
    .addOption(allowHostOption())
    .option('--exit-after <seconds>', 'stop the viewer after this many seconds (default: run until Ctrl-C)', floatInRange(0, 1e7, { exclusiveMin: true }))
    .option('--quiet', 'no progress line', false)
    .option('--jobs <n>', 'trainings run side by side as child processes, one wasm thread each (default: CPU cores)', intInRange(1, 64), os.cpus().length)
    .addOption(backendOption())
    .addOption(seedOption())
    .option('--queue <url>', "train the act stage's agents and evaluate their transfer on `darla worker`s through this Redis (redis://[user:password@]host:port); --run-dir must be in a folder the workers share, inside their --runs-dir")
    .action(async (flags: DemoFlags) => {
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const config = await buildConfig(flags);
      // The viewer the run ends with: its host and port are checked now, not after the pipeline.
      if (flags.view) {
        const { assertListenable } = await import('../../viewer/probe-port.ts');
        await assertListenable(flags.host, flags.port);
      }
      const runDir = flags.runDir ?? `runs/${flags.preset}`;
      let runAgentJobs: import('../pipeline/run.ts').PipelineOptions['runAgentJobs'];
      let evaluateTransfer: import('../pipeline/run.ts').PipelineOptions['evaluateTransfer'];
      if (flags.queue !== undefined) {
        // Checked before the run directory is touched: nothing is written when Redis cannot be used.
        const { parseQueueUrl, checkQueueReachable } = await import('../queue/connection.ts');
        const target = parseQueueUrl(flags.queue);
        const warning = await checkQueueReachable(target);
        if (warning !== null) log(`warning: ${warning}`);
        const { queueAgentRunner, queueTransferEvaluator } = await import('../queue/pipeline-jobs.ts');
        runAgentJobs = queueAgentRunner(target, flags.backend, log);
        evaluateTransfer = queueTransferEvaluator(target, flags.backend, log);
      }
      // The run directory is checked before any work (runPipeline opens it with the same record).
      const { RunDir } = await import('../../envs/util/run-dir.ts');
      const { pipelineRunRecord } = await import('../pipeline/run.ts');
      new RunDir(runDir).check(pipelineRunRecord(config, flags.seed), { resume: 'auto', fresh: flags.fresh });
      const { selectBackend } = await import('../../vision/compute/backend.ts');
      const backend = await selectBackend(flags.backend, { log });
      const { installInterruptHandlers } = await import('../../envs/util/interrupt.ts');
      installInterruptHandlers(log);
      const { runPipeline } = await import('../pipeline/run.ts');
      const t0 = performance.now();
      const result = await runPipeline(config, { runDir, seed: flags.seed, fresh: flags.fresh, quiet: flags.quiet, backend: backend.name, jobs: flags.jobs, log, runAgentJobs, evaluateTransfer });
      if (!result.completed) {
        process.exitCode = 130;
        return;
      }
      log(`pipeline finished in ${((performance.now() - t0) / 60000).toFixed(1)} min · report: ${result.root.reportPath} (and report.html)`);
      if (!flags.view) return;
      const darla = result.agentDirs.find((a) => a.kind === 'darla') ?? result.agentDirs[0];
      const { launchViewer } = await import('../../viewer/launch.ts');
      const { viewer, describe } = await launchWithFreePort((port) => launchViewer({ host: flags.host, port, allowHost: flags.allowHost, fps: 8, seed: flags.seed, agent: darla.dir, title: 'darla-ts · trained agent', log }), flags.port, log);
      log(`viewer: open ${viewer.server.url}  (${describe}) — Ctrl-C to stop`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
        if (flags.exitAfter !== undefined) setTimeout(resolve, flags.exitAfter * 1000).unref();
      });
      await viewer.close();
    });
}

/**
 * Starts the viewer on `port`; when something took that port while the pipeline ran (it was free at
 * the start), the next free one above it, said in the log: a finished run still gets its viewer.
 */
export async function launchWithFreePort<T>(launch: (port: number) => Promise<T>, port: number, log: (line: string) => void): Promise<T> {
  for (let p = port; ; p++) {
    try {
      const launched = await launch(p);
      if (p !== port) log(`viewer: port ${port} was taken while the pipeline ran; serving on port ${p} instead`);
      return launched;
    } catch (err) {
      const taken = err instanceof UserError && err.field === '--port' && /already in use/.test(err.message);
      if (!taken || port === 0 || p >= Math.min(65535, port + 20)) throw err;
    }
  }
}

/** The preset, with a --config file's sections merged over it, validated strictly. */
async function buildConfig(flags: DemoFlags) {
  const { PRESETS, PipelineConfigSchema } = await import('../pipeline/config.ts');
  const base = PRESETS[flags.preset];
  const patch = flags.config !== undefined ? readConfigFile(flags.config) : {};
  const merged: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    const b = (base as Record<string, unknown>)[k];
    merged[k] = b !== null && typeof b === 'object' && v !== null && typeof v === 'object' && !Array.isArray(v) ? { ...b, ...v } : v;
  }
  if (flags.trainVision) merged.vision = { ...(merged.vision as Record<string, unknown>), from: 'train' };
  const parsed = PipelineConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.join('.') || '(root)';
    throw new UserError(`invalid pipeline config at ${where}: ${issue.message}`, where);
  }
  const { parseVariantArg } = await import('../../envs/shapeworld/variant-arg.ts');
  for (const v of parsed.data.vision.variants) parseVariantArg(v);
  // The agents train on `source`: each transfer target must hold out what it claims, now, not after
  // the training stages.
  const { checkHeldOut, getVariant } = await import('../../envs/shapeworld/variants.ts');
  for (const v of parsed.data.transfer.variants) {
    const target = parseVariantArg(v);
    const r = target.name === 'source' ? null : checkHeldOut(getVariant('source'), target);
    if (r !== null && !r.ok) throw new UserError(`transfer.variants: '${target.name}' is not held out from 'source': ${r.problems.join('; ')}`, 'transfer.variants');
  }
  // What each stage's child will be given (agents.overrides included), before any stage runs.
  const { checkStageConfigs } = await import('../pipeline/run.ts');
  checkStageConfigs(parsed.data);
  // Shipped encoders: present, intact and trained on today's worlds, before any work.
  if (parsed.data.vision.from === 'shipped') {
    const { loadShippedVision, SHIPPED_KINDS } = await import('../../vision/vae/shipped.ts');
    for (const kind of SHIPPED_KINDS) {
      if (loadShippedVision(kind) === null) throw new UserError(`no shipped ${kind} β-VAE in models/vision/${kind}; pass --train-vision to train the vision in this run`, '--train-vision');
    }
  }
  return parsed.data;
}
