/**
 * Maintainer tool: turns a finished (or stopped) pretraining run into a shipped model under
 * models/vision/<kind>/ (vision/vae/shipped.ts): config, metrics, scores and pictures, a weights-only
 * checkpoint and provenance.json. The run should be evaluated first (`darla evaluate-vision <run>`),
 * so the scores and pictures it copies are the current code's — or evaluate the shipped folder after
 * (`darla evaluate-vision models/vision/<kind>`), e.g. when shipping an earlier checkpoint. Usage:
 *
 *   npx tsx scripts/ship-vision.ts --run runs/long/darla --kind darla \
 *     --command "npx darla pretrain --preset long --beta 8 --steps 20000 --seed 0" --note "…"
 *
 * Hours are summed from the run's metrics.jsonl (its own per-record timestamps); the machine is
 * described from os.cpus().
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, Option } from 'commander';
import { readJsonLines } from '../envs/util/files.ts';
import { exportShippedVision, SHIPPED_KINDS, SHIPPED_ROOT, type ShippedKind } from '../vision/vae/shipped.ts';
import { loadCheckpoint } from '../vision/checkpoint/format.ts';
import { resolveVaeCheckpoint } from '../vision/vae/load.ts';

const program = new Command()
  .requiredOption('--run <dir>', 'the pretraining run to ship')
  .addOption(new Option('--kind <kind>', 'which encoder of the pipeline it is').choices([...SHIPPED_KINDS]).makeOptionMandatory())
  .requiredOption('--command <text>', 'the command that reproduces it from a fresh clone')
  .option('--note <text>', 'anything a reader should know (e.g. where it was stopped)')
  .option('--checkpoint <file>', "which of the run's checkpoints to ship (default: its latest)")
  .option('--out <dir>', 'where to write it (default models/vision/<kind>)')
  .parse();
const o = program.opts<{ run: string; kind: ShippedKind; command: string; note?: string; out?: string; checkpoint?: string }>();

/** Training wall time from metrics.jsonl's `time` fields (seconds): the sum of gaps under 10 minutes (sittings). */
function trainingHours(run: string, upToStep: number): number {
  const times = readJsonLines<{ time?: number; step?: number }>(path.join(run, 'metrics.jsonl'))
    .filter((m) => typeof m.step === 'number' && m.step <= upToStep)
    .map((m) => m.time)
    .filter((t): t is number => typeof t === 'number');
  let seconds = 0;
  for (let i = 1; i < times.length; i++) {
    const gap = times[i] - times[i - 1];
    if (gap > 0 && gap < 600) seconds += gap;
  }
  return seconds / 3600;
}

const shippedStep = loadCheckpoint(o.checkpoint ?? resolveVaeCheckpoint(o.run)).meta.step;
const record = JSON.parse(fs.readFileSync(path.join(o.run, 'config.json'), 'utf8')) as { backend?: string };

const cpus = os.cpus();
const provenance = exportShippedVision(o.run, o.out ?? path.join(SHIPPED_ROOT, o.kind), {
  kind: o.kind,
  command: o.command,
  hours: trainingHours(o.run, shippedStep),
  backend: record.backend ?? 'unknown',
  machine: `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  trainedAt: new Date().toISOString().slice(0, 10),
  note: o.note,
}, o.checkpoint);
process.stdout.write(JSON.stringify(provenance, null, 2) + '\n');
