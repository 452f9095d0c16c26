/**
 * checkEnv: the Gymnasium env checker (gymnasium/utils/env_checker.py) as executable checks on our
 * contract — spaces well formed and seedable, reset/step return shapes and types, observations
 * inside the observation space, reset and step deterministic for a seed, `render()` returning a
 * uint8 H×W×3 frame, `close()` safe to call twice. Failures are collected and thrown together as
 * one EnvCheckError; soft issues come back as warnings.
 */
import type { Env } from './env.ts';
import type { Space } from './space.ts';

export interface CheckEnvOptions {
  /** Seed for the determinism checks (default 123). */
  seed?: number;
  /** Steps per rollout in the step checks (default 100). */
  steps?: number;
  /** Skip the render check (for envs made without renderMode 'rgb_array'). */
  skipRender?: boolean;
  /** Skip the final close-twice check, e.g. to keep using the env afterwards. */
  skipClose?: boolean;
}

export interface EnvCheckReport {
  passed: string[];
  warnings: string[];
}

export class EnvCheckError extends Error {
  override readonly name = 'EnvCheckError';
  constructor(
    readonly failures: string[],
    readonly report: EnvCheckReport,
  ) {
    super(`env check failed:\n  - ${failures.join('\n  - ')}`);
  }
}

/** Structural equality for what envs return: numbers (NaN equals NaN), typed arrays, arrays, plain objects. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.constructor !== b.constructor) return false;
    const x = a as unknown as ArrayLike<number>;
    const y = b as unknown as ArrayLike<number>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
    return true;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(rb, k) && deepEqual(ra[k], rb[k]));
}

/** A deep copy of what envs return (typed arrays copied), so reused buffers can't fool a comparison. */
export function deepClone<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (ArrayBuffer.isView(v)) return (v as unknown as { slice(): T }).slice();
  if (Array.isArray(v)) return v.map((x) => deepClone(x)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = deepClone(x);
  return out as T;
}

const DTYPES = new Set(['uint8', 'int32', 'float32']);

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !ArrayBuffer.isView(x);
}

function describe(x: unknown): string {
  if (ArrayBuffer.isView(x)) return `${x.constructor.name}(${(x as unknown as ArrayLike<number>).length})`;
  if (Array.isArray(x)) return `Array(${x.length})`;
  return typeof x === 'object' ? String(x?.constructor?.name ?? 'null') : `${typeof x} ${String(x)}`;
}

function checkSpace(name: string, space: Space<unknown> | undefined, fail: (m: string) => void): boolean {
  if (space === undefined || space === null || typeof space !== 'object') {
    fail(`${name} is missing`);
    return false;
  }
  for (const fn of ['sample', 'contains', 'seed', 'toString'] as const) {
    if (typeof space[fn] !== 'function') {
      fail(`${name} has no ${fn}() method`);
      return false;
    }
  }
  if (space.shape !== undefined && !(Array.isArray(space.shape) && space.shape.every((d) => Number.isInteger(d) && d >= 0))) {
    fail(`${name}.shape must be an array of non-negative integers, got ${String(space.shape)}`);
  }
  if (space.dtype !== undefined && !DTYPES.has(space.dtype)) fail(`${name}.dtype '${String(space.dtype)}' is not one of uint8, int32, float32`);
  space.seed(7);
  const a = [space.sample(), space.sample(), space.sample()];
  space.seed(7);
  const b = [space.sample(), space.sample(), space.sample()];
  if (!deepEqual(a, b)) fail(`${name}: seed(7) then sample() is not reproducible`);
  for (const s of a) {
    if (!space.contains(s)) {
      fail(`${name}: sample() returned ${describe(s)}, which contains() rejects`);
      break;
    }
  }
  return true;
}

interface Transition {
  observation: unknown;
  reward: number;
  terminated: boolean;
  truncated: boolean;
}

export function checkEnv(env: Env<unknown, unknown>, options: CheckEnvOptions = {}): EnvCheckReport {
  const seed = options.seed ?? 123;
  const steps = options.steps ?? 100;
  const failures: string[] = [];
  const report: EnvCheckReport = { passed: [], warnings: [] };
  let current = '';
  const fail = (m: string) => failures.push(`[${current}] ${m}`);
  const section = (name: string, body: () => void) => {
    current = name;
    const before = failures.length;
    try {
      body();
    } catch (err) {
      fail(`threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    }
    if (failures.length === before) report.passed.push(name);
  };

  let spacesOk = false;
  section('spaces', () => {
    const obsOk = checkSpace('observationSpace', env.observationSpace, fail);
    const actOk = checkSpace('actionSpace', env.actionSpace, fail);
    spacesOk = obsOk && actOk;
    if (!Array.isArray(env.metadata?.renderModes) || typeof env.metadata?.renderFps !== 'number') {
      fail('metadata must have renderModes (array) and renderFps (number)');
    }
  });
  if (!spacesOk) throw new EnvCheckError(failures, report);

  section('reset', () => {
    const r = env.reset({ seed });
    if (!isPlainObject(r) || !('observation' in r) || !('info' in r)) {
      fail(`reset() must return {observation, info}, got ${describe(r)}`);
      return;
    }
    if (!isPlainObject(r.info)) fail(`reset() info must be a plain object, got ${describe(r.info)}`);
    if (!env.observationSpace.contains(r.observation)) {
      fail(`reset() observation ${describe(r.observation)} is not inside ${env.observationSpace}`);
    }
    env.reset({ options: {} });
    env.reset();
  });

  section('reset determinism', () => {
    const a = deepClone(env.reset({ seed }).observation);
    const b = deepClone(env.reset({ seed }).observation);
    if (!deepEqual(a, b)) fail(`reset({seed: ${seed}}) twice gave different observations`);
    const c = deepClone(env.reset({ seed: seed + 1 }).observation);
    if (deepEqual(a, c)) report.warnings.push(`reset with seeds ${seed} and ${seed + 1} gave the same observation (fine for deterministic starts)`);
  });

  const rollout = (): Transition[] => {
    const out: Transition[] = [];
    env.reset({ seed });
    env.actionSpace.seed(seed);
    for (let t = 0; t < steps; t++) {
      const action = env.actionSpace.sample();
      const r = env.step(action);
      out.push({ observation: deepClone(r.observation), reward: r.reward, terminated: r.terminated, truncated: r.truncated });
      if (!isPlainObject(r) || !('info' in r)) {
        fail(`step() must return {observation, reward, terminated, truncated, info}, got ${describe(r)}`);
        return out;
      }
      if (typeof r.reward !== 'number' || !Number.isFinite(r.reward)) fail(`step() reward must be a finite number, got ${describe(r.reward)}`);
      if (typeof r.terminated !== 'boolean') fail(`step() terminated must be a boolean, got ${describe(r.terminated)}`);
      if (typeof r.truncated !== 'boolean') fail(`step() truncated must be a boolean, got ${describe(r.truncated)}`);
      if (!isPlainObject(r.info)) fail(`step() info must be a plain object, got ${describe(r.info)}`);
      if (!env.observationSpace.contains(r.observation)) {
        fail(`step() observation ${describe(r.observation)} at step ${t} is not inside ${env.observationSpace}`);
      }
      if (failures.length > 0) return out;
      if (r.terminated || r.truncated) env.reset();
    }
    return out;
  };

  section('step', () => {
    rollout();
  });

  section('step determinism', () => {
    const a = rollout();
    const b = rollout();
    const at = a.findIndex((x, i) => !deepEqual(x, b[i]));
    if (at >= 0) fail(`same seed and actions gave a different transition at step ${at}`);
  });

  if (options.skipRender) {
    report.warnings.push('render check skipped');
  } else {
    section('render', () => {
      if (env.renderMode !== 'rgb_array') {
        report.warnings.push(`renderMode is ${String(env.renderMode)}; make the env with renderMode 'rgb_array' to check render()`);
        return;
      }
      env.reset({ seed });
      const frame = env.render();
      if (frame === null || typeof frame !== 'object') {
        fail(`render() returned ${describe(frame)}, expected an RgbFrame`);
        return;
      }
      const { height, width, data } = frame;
      if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) fail(`render() height/width must be positive integers, got ${height}×${width}`);
      if (!(data instanceof Uint8Array)) fail(`render() data must be a Uint8Array, got ${describe(data)}`);
      else if (data.length !== height * width * 3) fail(`render() data has ${data.length} bytes, expected ${height}×${width}×3 = ${height * width * 3}`);
    });
  }

  if (!options.skipClose) {
    section('close twice', () => {
      env.close();
      env.close();
    });
  }

  if (failures.length > 0) throw new EnvCheckError(failures, report);
  return report;
}
