/**
 * What the agent plays: an env id plus, for the shape world, a variant — resolved once, so a
 * policy records exactly which world it trained on and transfer can evaluate any other. Builds the
 * vector envs (with RecordEpisodeStatistics, so episode returns arrive in info.episode) and says
 * whether an episode succeeded (shape world: it ended on the goal).
 */
import '../envs/builtin.ts';
import type { Info } from '../envs/core/env.ts';
import { UserError } from '../envs/core/errors.ts';
import { spec } from '../envs/core/registry.ts';
import { makeVec, type SyncVectorEnv } from '../envs/core/sync-vector-env.ts';
import { parseVariantConfig, variantToJson, type Variant, type VariantInput } from '../envs/shapeworld/variants.ts';
import { parseVariantArg, variantDefinitions } from '../envs/shapeworld/variant-arg.ts';
import type { NewRunRecord } from '../envs/util/run-dir.ts';
import type { AgentConfig } from './config.ts';

export const SHAPE_WORLD = 'ShapeWorld-v0';

export interface Task {
  env: string;
  /** The shape world's variant; null for other envs. */
  variant: Variant | null;
}

/** A task's JSON form (checkpoints, reports): the env id and the variant's JSON config. */
export interface TaskRecord {
  env: string;
  variantName: string | null;
  variant: VariantInput | null;
}

/** A variant named on the command line: a name, inline JSON (`{...}`), or a path to a JSON file. */
export function variantFromArg(arg: string, flag = '--variant'): Variant {
  try {
    return parseVariantArg(arg);
  } catch (err) {
    // The same parse as everywhere (envs' parseVariantArg), with the flag that gave it named.
    if (err instanceof UserError) throw new UserError(`${flag}: ${err.message}`, flag);
    throw err;
  }
}

export function resolveTask(env: string, variantArg: string): Task {
  spec(env); // unknown env id → UserError listing the known ones
  if (env === SHAPE_WORLD) return { env, variant: variantFromArg(variantArg) };
  if (variantArg !== 'source') throw new UserError(`--variant only applies to ${SHAPE_WORLD}; ${env} has no variants`, '--variant');
  return { env, variant: null };
}

export function taskRecord(task: Task): TaskRecord {
  return { env: task.env, variantName: task.variant?.name ?? null, variant: task.variant === null ? null : variantToJson(task.variant) };
}

/** What a train-agent run records in config.json: its config, seed and the full definition of the variant it trains on. */
export function agentRunRecord(cfg: AgentConfig, task: Task): NewRunRecord {
  return { kind: 'train-agent', seed: cfg.seed, config: cfg, variants: task.variant === null ? {} : variantDefinitions([task.variant]) };
}

export function taskFromRecord(r: TaskRecord): Task {
  return { env: r.env, variant: r.variant === null ? null : parseVariantConfig(r.variant, 'checkpoint variant') };
}

export function taskLabel(task: Task): string {
  return task.variant === null ? task.env : `${task.env}[${task.variant.name}]`;
}

/** `numEnvs` copies of the task's env as one vector env, each recording episode statistics. */
export function makeTaskEnvs(task: Task, numEnvs: number): SyncVectorEnv {
  const kwargs = task.variant === null ? {} : { variant: variantToJson(task.variant) };
  return makeVec(task.env, numEnvs, { recordEpisodeStatistics: true, kwargs });
}

/**
 * Whether an episode that just ended succeeded: `info.is_success` when the env reports it; in the
 * shape world, ending on the goal (terminated with a positive reward); otherwise null (no notion).
 */
export function episodeSuccess(task: Task, reward: number, terminated: boolean, info: Info): boolean | null {
  if (typeof info.is_success === 'boolean') return info.is_success;
  if (task.env === SHAPE_WORLD) return terminated && reward > 0;
  return null;
}
