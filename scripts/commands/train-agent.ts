/**
 * `darla train-agent`: trains a PPO (or A2C) agent on the shape world (or CartPole) behind one of
 * the observation front-ends — darla (β-VAE μ), entangled (β = 1 VAE μ), pixels, oracle — and
 * writes a run directory (config.json, metrics.jsonl, checkpoints/, images/, report.md).
 * Every hyperparameter of agent/config.ts is a flag, generated from the schema (one declaration:
 * type, default, help); a --config JSON file may set any of them (unknown keys are refused) and
 * flags override it. Everything is validated before any work starts (exit 2, naming the flag).
 */
import fs from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { z } from 'zod';
import { UserError } from '../../envs/core/errors.ts';
import { AgentConfigSchema } from '../../agent/config.ts';
import { backendOption, intInRange, readConfigFile, type BackendChoice } from '../cli/options.ts';

type Shape = typeof AgentConfigSchema.shape;
type Key = keyof Shape;

const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The innermost zod type under default/optional/nullable wrappers, and whether null is allowed. */
function unwrap(schema: z.ZodType): { def: { type: string; entries?: Record<string, string>; element?: z.ZodType }; nullable: boolean; defaultValue: unknown } {
  // zod 4 exposes definitions on _zod.def; the wrappers carry innerType.
  let t = schema as unknown as { _zod: { def: { type: string; innerType?: unknown; defaultValue?: unknown } } };
  let nullable = false;
  let defaultValue: unknown;
  while (t._zod.def.innerType !== undefined) {
    if (t._zod.def.type === 'nullable') nullable = true;
    if (t._zod.def.type === 'default') defaultValue = t._zod.def.defaultValue;
    t = t._zod.def.innerType as typeof t;
  }
  return { def: t._zod.def as { type: string; entries?: Record<string, string>; element?: z.ZodType }, nullable, defaultValue };
}

function parserFor(key: string, schema: z.ZodType): ((raw: string) => unknown) | null {
  const { def, nullable } = unwrap(schema);
  const maybeNull = (f: (raw: string) => unknown) => (raw: string) => (nullable && raw.trim() === 'null' ? null : f(raw));
  switch (def.type) {
    case 'number':
      return maybeNull((raw) => {
        const v = Number(raw);
        if (raw.trim() === '' || !Number.isFinite(v)) throw new InvalidArgumentError(`expected a number${nullable ? " or 'null'" : ''}, got '${raw}'.`);
        return v;
      });
    case 'boolean':
      return (raw) => {
        if (raw === 'true') return true;
        if (raw === 'false') return false;
        throw new InvalidArgumentError(`expected true or false, got '${raw}'.`);
      };
    case 'string':
    case 'enum':
      return (raw) => raw;
    case 'array':
      if (key === 'hidden') {
        return (raw) => {
          const parts = raw.split(',').map((s) => s.trim());
          if (parts.some((p) => !/^\d+$/.test(p))) throw new InvalidArgumentError(`expected comma-separated layer sizes like 64,64, got '${raw}'.`);
          return parts.map(Number);
        };
      }
      return (raw) => {
        try {
          return JSON.parse(raw) as unknown;
        } catch {
          throw new InvalidArgumentError(`expected JSON, got '${raw}'.`);
        }
      };
    default:
      return null;
  }
}

function helpFor(schema: z.ZodType): string {
  const { defaultValue } = unwrap(schema);
  const d = defaultValue === undefined ? '' : ` (default ${JSON.stringify(defaultValue)})`;
  return `${schema.description ?? ''}${d}`;
}

interface Flags {
  config?: string;
  runDir?: string;
  resume: boolean;
  fresh: boolean;
  quiet: boolean;
  json: boolean;
  view: boolean;
  viewPort: number;
  backend: BackendChoice;
  [key: string]: unknown;
}

export function register(program: Command): void {
  const cmd = program
    .command('train-agent')
    .description('train a PPO agent on the shape world behind a front-end: darla, entangled, pixels or oracle (the "act" stage)')
    .option('--config <file>', 'JSON file with any agent config fields (unknown keys are refused; flags override it)')
    .option('--run-dir <dir>', 'where the run is written (default runs/train-agent/<frontend>-<variant>-s<seed>)')
    .option('--resume', 'continue the run in --run-dir from its last checkpoint (refused when there is no run there)', false)
    .option('--fresh', 'replace the train-agent run in --run-dir with a new one (nothing but a darla run is ever deleted)', false)
    .option('--quiet', 'no progress bar', false)
    .option('--json', 'print the result summary as one JSON line on stdout', false)
    .option('--view', "stream env 0's frames, the latents and the action probabilities into the live viewer", false)
    .option('--view-port <n>', 'port of that viewer', intInRange(0, 65535), 8420)
    .addOption(backendOption());
  const keys = Object.keys(AgentConfigSchema.shape) as Key[];
  for (const key of keys) {
    const schema = AgentConfigSchema.shape[key] as unknown as z.ZodType;
    const parse = parserFor(key, schema);
    if (parse === null) continue;
    const { def } = unwrap(schema);
    const isBool = def.type === 'boolean';
    const opt = new Option(`--${kebab(key)} <${isBool ? 'true|false' : def.type === 'array' ? (key === 'hidden' ? 'sizes' : 'json') : 'value'}>`, helpFor(schema));
    if (def.type === 'enum' && def.entries) opt.choices(Object.values(def.entries));
    else opt.argParser(parse);
    cmd.addOption(opt);
  }
  cmd.action(async (flags: Flags) => {
    if (flags.resume && flags.fresh) throw new UserError('--resume and --fresh contradict each other; pick one', '--resume');
    // defaults < --config file < flags
    const raw = flags.config !== undefined ? readConfigFile(flags.config) : {};
    const fromFlags = new Set<string>();
    for (const key of keys) {
      // commander camel-cases --total-steps back to totalSteps: the config key.
      if (flags[key] !== undefined) {
        raw[key] = flags[key];
        fromFlags.add(key);
      }
    }
    const { resolveAgentConfig } = await import('../../agent/config.ts');
    let cfg;
    try {
      cfg = resolveAgentConfig(raw, flags.config ?? 'config');
    } catch (err) {
      if (err instanceof UserError && err.field !== undefined) {
        const top = err.field.split('.')[0];
        if (fromFlags.has(top)) throw new UserError(`--${kebab(top)}: ${err.message.replace(/^[^:]*: [^:]*: /, '')}`, `--${kebab(top)}`);
      }
      throw err;
    }
    if (cfg.vae !== undefined && !fs.existsSync(cfg.vae)) throw new UserError(`--vae: no pretraining run or checkpoint at ${cfg.vae}`, '--vae');
    const { agentRunRecord, resolveTask } = await import('../../agent/tasks.ts');
    const task = resolveTask(cfg.env, cfg.variant);
    const runDir = flags.runDir ?? `runs/train-agent/${cfg.frontend}-${task.variant?.name ?? cfg.env}-s${cfg.seed}`;
    const { RunDir } = await import('../../envs/util/run-dir.ts');
    new RunDir(runDir).check(agentRunRecord(cfg, task), { resume: flags.resume, fresh: flags.fresh });

    const log = (s: string) => process.stderr.write(`${s}\n`);
    // Ctrl-C (or the pipeline's SIGINT to its process group) saves a checkpoint and releases the lock.
    const { installInterruptHandlers, stopRequested } = await import('../../envs/util/interrupt.ts');
    installInterruptHandlers(log);
    const { useBackend } = await import('../../agent/backend.ts');
    const backend = await useBackend(flags.backend, log);
    const { trainAgent } = await import('../../agent/ppo.ts');
    const { derivedSizes } = await import('../../agent/config.ts');
    const { createProgress } = await import('../../envs/util/progress.ts');
    const { numUpdates, batchSize } = derivedSizes(cfg);
    const bar = createProgress({ label: `train-agent ${cfg.frontend}`, total: numUpdates * batchSize, fields: ['return', 'success', 'sps'], quiet: flags.quiet || flags.json });
    const feed = flags.view
      ? await import('../../viewer/train-feed.ts').then((m) => m.agentFeed(flags.viewPort, cfg.env === 'ShapeWorld-v0' ? ['noop', 'up', 'down', 'left', 'right'] : ['left', 'right'], log, cfg.frontend === 'darla' || cfg.frontend === 'entangled'))
      : null;
    let result;
    try {
      result = await trainAgent(cfg, {
        onSnapshot: feed?.onSnapshot,
        runDir,
        resume: flags.resume,
        fresh: flags.fresh,
        log,
        shouldStop: stopRequested,
        onProgress: (p) =>
          bar.update(p.globalStep, {
            return: Number.isFinite(p.episodicReturn) ? p.episodicReturn.toFixed(3) : '-',
            success: p.successRate === null ? '-' : `${Math.round(100 * p.successRate)}%`,
            sps: Math.round(p.sps),
          }),
      });
    } finally {
      bar.stop();
      await feed?.close();
    }
    if (!result.finished) {
      log(`stopped at step ${result.globalStep}; run again with --resume to continue`);
      process.exitCode = 130;
      return;
    }
    const ev = result.finalEval;
    const summary = {
      runDir,
      backend,
      frontend: cfg.frontend,
      variant: task.variant?.name ?? null,
      seed: cfg.seed,
      steps: result.globalStep,
      sps: Math.round(result.sps),
      evalReturn: ev?.meanReturn ?? null,
      evalSuccess: ev?.successRate ?? null,
      checkpoint: result.checkpoint,
    };
    if (flags.json) process.stdout.write(JSON.stringify(summary) + '\n');
    else {
      log(`done: ${result.globalStep} steps at ${summary.sps} steps/s (${backend}); run in ${runDir}`);
      if (ev) log(`held-out evaluation (${ev.returns.length} episodes, deterministic): return ${ev.meanReturn.toFixed(3)}${ev.successRate === null ? '' : `, success ${(100 * ev.successRate).toFixed(1)}%`}`);
    }
  });
}
