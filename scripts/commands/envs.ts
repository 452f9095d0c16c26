/**
 * `darla envs`: lists the registered envs and the named shape-world variants (one line each, with
 * what the variant shifts). `--sheets <dir>` writes one PNG grid of frames per named variant
 * (docs/images/variants/ holds the committed ones); `--json` prints the listing as JSON.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { intInRange, seedOption } from '../cli/options.ts';

interface EnvsOptions {
  sheets?: string;
  json: boolean;
  rows: number;
  cols: number;
  scale: number;
  seed: number;
}

export function register(program: Command): void {
  program
    .command('envs')
    .description('list registered envs and named shape-world variants; --sheets writes a PNG grid per variant')
    .option('--sheets <dir>', 'write <dir>/<variant>.png: a grid of episode-start frames for each named variant')
    .option('--rows <n>', 'rows of frames per sheet', intInRange(1, 16), 3)
    .option('--cols <n>', 'columns of frames per sheet', intInRange(1, 16), 8)
    .option('--scale <n>', 'integer upscaling of each 64×64 frame in a sheet', intInRange(1, 8), 2)
    .option('--json', 'print the listing as one JSON object', false)
    .addOption(seedOption())
    .action(async (opts: EnvsOptions) => {
      await import('../../envs/builtin.ts');
      const { registeredIds, spec } = await import('../../envs/core/registry.ts');
      const { listVariants, toHex } = await import('../../envs/shapeworld/variants.ts');
      const envs = registeredIds().map((id) => {
        const s = spec(id);
        return { id, maxEpisodeSteps: s.maxEpisodeSteps ?? null, description: s.description ?? '' };
      });
      const variants = listVariants().map((v) => ({
        name: v.name,
        heldOut: v.heldOut,
        description: v.description,
        goal: `${v.goal.shape} in ${v.goal.colors.map(toHex).join(' ')}`,
        hazard: `${v.hazard.shape} in ${v.hazard.colors.map(toHex).join(' ')}`,
      }));
      const written: string[] = [];
      if (opts.sheets !== undefined) {
        const { variantSheet } = await import('../../envs/shapeworld/sheets.ts');
        const { writePng } = await import('../../envs/util/png.ts');
        for (const v of listVariants()) {
          const file = path.join(opts.sheets, `${v.name}.png`);
          writePng(file, variantSheet(v, { rows: opts.rows, cols: opts.cols, scale: opts.scale, seed: opts.seed }));
          written.push(file);
        }
      }
      if (opts.json) {
        process.stdout.write(JSON.stringify({ envs, variants, sheets: written }) + '\n');
        return;
      }
      const idWidth = Math.max(...envs.map((e) => e.id.length));
      console.log('Registered envs (make(id, options)):');
      for (const e of envs) {
        const limit = e.maxEpisodeSteps === null ? 'no time limit' : `time limit ${e.maxEpisodeSteps}`;
        console.log(`  ${e.id.padEnd(idWidth)}  ${e.description} [${limit}]`);
      }
      const nameWidth = Math.max(...variants.map((v) => v.name.length));
      console.log("\nShape-world variants (make('ShapeWorld-v0', {kwargs: {variant}}), --variant <name|json|file>):");
      for (const v of variants) {
        const shifts = v.heldOut.length === 0 ? 'holds out nothing' : `holds out ${v.heldOut.join(', ')}`;
        console.log(`  ${v.name.padEnd(nameWidth)}  ${v.description} [${shifts}]`);
      }
      for (const f of written) console.log(`wrote ${f}`);
    });
}
