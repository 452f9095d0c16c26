/**
 * The list of `darla` sub-commands. Each module exports `register(program)`, declares its own
 * flags, and imports its heavy dependencies (tfjs, the viewer) lazily inside its action so that
 * `darla --help` stays instant.
 */
import type { Command } from 'commander';
import { register as bench } from './bench.ts';
import { register as demo } from './demo.ts';
import { register as worldDemo } from './world-demo.ts';
import { register as envs } from './envs.ts';
import { register as trainAgent } from './train-agent.ts';
import { register as transfer } from './transfer.ts';
import { register as pretrain } from './pretrain.ts';
import { register as view } from './view.ts';
import { register as sweep } from './sweep.ts';
import { register as worker } from './worker.ts';

export const COMMANDS: ReadonlyArray<(program: Command) => void> = [demo, pretrain, bench, envs, worldDemo, trainAgent, transfer, view, sweep, worker];
