/**
 * Shared flag parsers and common options for every `darla` command. Each parser validates before
 * any work starts and throws commander's InvalidArgumentError, which the CLI turns into a message
 * naming the flag and exit code 2.
 */
import fs from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { UserError } from '../../envs/core/errors.ts';

export function intInRange(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (raw: string): number => {
    if (!/^-?\d+$/.test(raw.trim())) throw new InvalidArgumentError(`expected an integer, got '${raw}'.`);
    const v = Number(raw);
    if (v < min || v > max) throw new InvalidArgumentError(`must be between ${min} and ${max}, got ${v}.`);
    return v;
  };
}

export function floatInRange(min: number, max = Number.POSITIVE_INFINITY, { exclusiveMin = false } = {}) {
  return (raw: string): number => {
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v)) throw new InvalidArgumentError(`expected a number, got '${raw}'.`);
    if (exclusiveMin ? v <= min : v < min) {
      throw new InvalidArgumentError(`must be ${exclusiveMin ? '>' : '>='} ${min}, got ${v}.`);
    }
    if (v > max) throw new InvalidArgumentError(`must be <= ${max}, got ${v}.`);
    return v;
  };
}

export const BACKENDS = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

/** `--backend <name>`: which tfjs backend to compute with (see vision/compute). */
export function backendOption(defaultValue: BackendChoice = 'auto'): Option {
  return new Option('--backend <name>', 'tfjs backend: auto picks tensorflow > webgpu (hardware) > wasm')
    .choices(BACKENDS)
    .default(defaultValue);
}

/** `--seed <n>`: the run's one seed, from which every random stream is derived. */
export function seedOption(defaultValue = 0): Option {
  return new Option('--seed <n>', 'random seed for everything in the run')
    .argParser(intInRange(0, 2 ** 32 - 1))
    .default(defaultValue);
}

/** `--allow-host <name...>`: names besides loopback ones the viewer page may be opened under (DNS-rebinding guard). */
export function allowHostOption(): Option {
  return new Option('--allow-host <name...>', 'host names, besides localhost and 127.0.0.1, the viewer may be opened under (any other Host header is refused)');
}

/** Adds the options every compute command shares. */
export function withComputeOptions(cmd: Command): Command {
  return cmd.addOption(backendOption()).addOption(seedOption());
}

/** Reads a `--config` file: it must exist and hold one JSON object (else a UserError naming --config). */
export function readConfigFile(file: string): Record<string, unknown> {
  if (!fs.existsSync(file)) throw new UserError(`--config: ${file} does not exist`, '--config');
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UserError(`--config: ${file} is not valid JSON: ${(err as Error).message}`, '--config');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UserError(`--config: ${file} must hold a JSON object`, '--config');
  return value as Record<string, unknown>;
}
