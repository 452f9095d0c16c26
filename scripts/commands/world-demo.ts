/**
 * `darla world-demo`: a random agent plays the shape world, a PNG strip of its first frames is
 * written (default runs/world-demo/world-strip.png), and the rendered steps per second are printed.
 * The quickest look at the world; the work is envs/shapeworld/demo.ts `runWorldDemo`.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { intInRange, seedOption } from '../cli/options.ts';

interface DemoOptions {
  variant: string;
  steps: number;
  frames: number;
  out: string;
  seed: number;
}

export function register(program: Command): void {
  program
    .command('world-demo')
    .description('a random agent plays the shape world: writes a PNG strip of frames and prints steps/s')
    .option('--variant <v>', 'named variant, inline JSON ({"extends": "source", ...}) or a .json file', 'source')
    .option('--steps <n>', 'environment steps to play', intInRange(1, 100_000_000), 20_000)
    .option('--frames <n>', 'frames in the PNG strip', intInRange(1, 256), 16)
    .option('--out <dir>', 'folder for the PNG strip', path.join('runs', 'world-demo'))
    .addOption(seedOption())
    .action(async (opts: DemoOptions) => {
      const { parseVariantArg } = await import('../../envs/shapeworld/variant-arg.ts');
      const variant = parseVariantArg(opts.variant);
      const { runWorldDemo } = await import('../../envs/shapeworld/demo.ts');
      console.log(`shape world '${variant.name}': ${variant.description || '(custom variant)'}`);
      runWorldDemo({ variant, steps: opts.steps, seed: opts.seed, outDir: opts.out, stripFrames: opts.frames, log: (l) => console.log(l) });
    });
}
