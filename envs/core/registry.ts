/**
 * The env registry (gymnasium/envs/registration.py): `register(id, spec)` defines an env once;
 * `make(id, options)` builds a fresh instance, applying the spec's TimeLimit and, on request,
 * RecordEpisodeStatistics and Autoreset. Ids follow Gymnasium's form `[namespace/]Name-vN`.
 * Defining (register) is separate from making (make), so a spec can be listed, checked and made
 * many times with different options.
 */
import type { Env, RenderMode } from './env.ts';
import { UserError } from './errors.ts';
import { Autoreset } from './wrappers/autoreset.ts';
import { RecordEpisodeStatistics } from './wrappers/record-episode-statistics.ts';
import { TimeLimit } from './wrappers/time-limit.ts';

/** `[namespace/]Name-vN`: namespace and name of word characters, ':', '.', '-'; version an integer. */
export const ENV_ID_RE = /^(?:(?<namespace>[\w:.-]+)\/)?(?<name>[\w:.-]+?)-v(?<version>\d+)$/;

/** Everything `make` accepts besides the env's own keyword options (kwargs). */
export interface MakeOptions {
  /** Overrides the spec's time limit; `null` removes the TimeLimit. */
  maxEpisodeSteps?: number | null;
  renderMode?: RenderMode | null;
  /** Wrap in RecordEpisodeStatistics (info.episode on the last step). */
  recordEpisodeStatistics?: boolean;
  /** Wrap in Autoreset ('next-step' mode, see wrappers/autoreset.ts). */
  autoreset?: boolean;
  /** Keyword options passed to the env's entry point, merged over the spec's defaults. */
  kwargs?: Record<string, unknown>;
}

export interface EnvSpec {
  id: string;
  /** Builds the bare env from its keyword options. */
  entryPoint: (kwargs: Record<string, unknown>) => Env<unknown, unknown>;
  /** Time limit applied by `make` (TimeLimit → truncation); omit for none. */
  maxEpisodeSteps?: number;
  /** Default keyword options. */
  kwargs?: Record<string, unknown>;
  /** One line for `darla envs`. */
  description?: string;
}

const REGISTRY = new Map<string, EnvSpec>();

export function parseEnvId(id: string): { namespace: string | null; name: string; version: number } {
  const m = ENV_ID_RE.exec(id);
  if (m === null || m.groups === undefined) {
    throw new UserError(`malformed env id '${id}': expected '[namespace/]Name-vN', e.g. 'ShapeWorld-v0'`, 'id');
  }
  return { namespace: m.groups.namespace ?? null, name: m.groups.name, version: Number(m.groups.version) };
}

/** Defines an env. Registering an id twice is an error unless `override` is set. */
export function register(spec: EnvSpec, { override = false } = {}): void {
  parseEnvId(spec.id);
  if (REGISTRY.has(spec.id) && !override) throw new Error(`env id '${spec.id}' is already registered`);
  if (spec.maxEpisodeSteps !== undefined && (!Number.isInteger(spec.maxEpisodeSteps) || spec.maxEpisodeSteps < 1)) {
    throw new Error(`env '${spec.id}': maxEpisodeSteps must be an integer >= 1`);
  }
  REGISTRY.set(spec.id, { ...spec, kwargs: { ...(spec.kwargs ?? {}) } });
}

/** Removes a spec (for tests that register temporary envs). */
export function deregister(id: string): boolean {
  return REGISTRY.delete(id);
}

export function registeredIds(): string[] {
  return [...REGISTRY.keys()].sort();
}

export function spec(id: string): EnvSpec {
  const { namespace, name, version } = parseEnvId(id);
  const found = REGISTRY.get(id);
  if (found !== undefined) return found;
  const prefix = `${namespace === null ? '' : `${namespace}/`}${name}-v`;
  const others = registeredIds().filter((k) => k.startsWith(prefix));
  const hint =
    others.length > 0
      ? `version v${version} of '${name}' is not registered; registered versions: ${others.join(', ')}`
      : `known envs: ${registeredIds().join(', ') || '(none)'}`;
  throw new UserError(`unknown env '${id}': ${hint}`, 'id');
}

/** Builds an env: entry point with merged kwargs, then TimeLimit, RecordEpisodeStatistics, Autoreset. */
export function make<Obs = unknown, Act = unknown>(id: string, options: MakeOptions = {}): Env<Obs, Act> {
  const s = spec(id);
  let env = s.entryPoint({ ...(s.kwargs ?? {}), ...(options.kwargs ?? {}) });
  env.specId = id;
  if (options.renderMode !== undefined) {
    if (options.renderMode !== null && !env.metadata.renderModes.includes(options.renderMode)) {
      throw new UserError(`env '${id}' does not support renderMode '${options.renderMode}' (supports: ${env.metadata.renderModes.join(', ')})`, 'renderMode');
    }
    env.renderMode = options.renderMode;
  }
  const limit = options.maxEpisodeSteps === undefined ? s.maxEpisodeSteps : options.maxEpisodeSteps;
  if (limit !== undefined && limit !== null) {
    if (!Number.isInteger(limit) || limit < 1) throw new UserError(`maxEpisodeSteps must be an integer >= 1, got ${limit}`, 'maxEpisodeSteps');
    env = new TimeLimit(env, limit);
  }
  if (options.recordEpisodeStatistics) env = new RecordEpisodeStatistics(env);
  if (options.autoreset) env = new Autoreset(env);
  return env as Env<Obs, Act>;
}
