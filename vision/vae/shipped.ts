/**
 * Shipped vision: β-VAEs trained for hours (longer than a 40-minute pipeline can afford) and
 * committed under models/vision/<darla|entangled>/ with everything needed to trust and redo them:
 * the run's config.json and metrics.jsonl, scores.json and vision.md with its pictures, one
 * weights-only checkpoint, and provenance.json (the exact command, seed, steps, hours, backend,
 * machine, the weights' fingerprint, and the full definition of every variant whose frames it saw).
 *
 * The pipeline uses them unless told to train from scratch; before it does, `loadShippedVision`
 * checks that the checkpoint's fingerprint is the recorded one and that the variants it saw are
 * still defined as they were (a changed world makes a shipped model stale: refused with advice), and
 * that its architecture is one the code still builds (else: refused, naming the retraining command).
 * `exportShippedVision` turns a finished pretraining run into such a folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../envs/core/errors.ts';
import { stableStringify } from '../../envs/util/run-dir.ts';
import { readJsonLines, writeFileAtomic, writeJsonAtomic } from '../../envs/util/files.ts';
import { variantDefinitions } from '../../envs/shapeworld/variant-arg.ts';
import { CheckpointDir, loadCheckpoint } from '../checkpoint/format.ts';
import { fingerprintArrays, resolveVaeCheckpoint, VAE_CHECKPOINT_KIND, type VaeCheckpointMeta } from './load.ts';
import { VaeArchSchema } from './model.ts';

export const SHIPPED_KINDS = ['darla', 'entangled'] as const;
export type ShippedKind = (typeof SHIPPED_KINDS)[number];

/** The repository's models/vision folder. */
export const SHIPPED_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../models/vision');

export interface Provenance {
  /** Which encoder of the pipeline this is. */
  kind: ShippedKind;
  /** The command that trained it, from a fresh clone (stopping early is said in `note`). */
  command: string;
  seed: number;
  steps: number;
  /** Wall-clock hours of training (all sittings). */
  hours: number;
  backend: string;
  machine: string;
  /** fingerprintArrays of the shipped weights. */
  fingerprint: string;
  /** The full definition of every variant whose frames it saw, by name, as they were when it trained. */
  variants: Record<string, unknown>;
  trainedAt: string;
  note?: string;
}

export interface ShippedVision {
  kind: ShippedKind;
  dir: string;
  provenance: Provenance;
}

/** The shipped encoder of a kind, checked (fingerprint, variant definitions); null when none is shipped. */
export function loadShippedVision(kind: ShippedKind, root = SHIPPED_ROOT): ShippedVision | null {
  const dir = path.join(root, kind);
  const file = path.join(dir, 'provenance.json');
  if (!fs.existsSync(file)) return null;
  let provenance: Provenance;
  try {
    provenance = JSON.parse(fs.readFileSync(file, 'utf8')) as Provenance;
  } catch (err) {
    throw new UserError(`${file} is not valid JSON (${(err as Error).message}); restore it from git, or train the vision with --train-vision`, 'vision');
  }
  const ckpt = loadCheckpoint(resolveVaeCheckpoint(dir), { kind: VAE_CHECKPOINT_KIND });
  const fp = fingerprintArrays(ckpt.arrays);
  if (fp !== provenance.fingerprint) {
    throw new UserError(`the shipped ${kind} β-VAE in ${dir} has weights ${fp}, but its provenance records ${provenance.fingerprint}; restore it from git, or train the vision with --train-vision`, 'vision');
  }
  if (!VaeArchSchema.safeParse(ckpt.meta.arch).success) {
    throw new UserError(
      `the shipped ${kind} β-VAE in ${dir} was saved from an architecture this version no longer builds (${stableStringify(ckpt.meta.arch)}); ` +
        `retrain it (${provenance.command}) or run the pipeline with --train-vision`,
      'vision',
    );
  }
  const now = variantDefinitions(Object.keys(provenance.variants));
  const changed = Object.keys(provenance.variants).filter((name) => stableStringify(now[name]) !== stableStringify(provenance.variants[name]));
  if (changed.length > 0) {
    throw new UserError(
      `the shipped ${kind} β-VAE saw variant(s) ${changed.join(', ')} as they were defined when it trained, and they have changed since; ` +
        `retrain it (${provenance.command}) or run the pipeline with --train-vision`,
      'vision',
    );
  }
  return { kind, dir, provenance };
}

/**
 * Copies a pretraining run into `outDir` as a shipped model: config.json, metrics.jsonl (up to the
 * shipped step), scores.json, vision.md, images/, a weights-only checkpoint (no Adam moments) and
 * provenance.json. `checkpoint` picks one of the run's checkpoints (default: its latest); evaluate
 * the shipped folder afterwards (`darla evaluate-vision <outDir>`) when that is not the one the
 * run's scores were measured on.
 */
export function exportShippedVision(runDir: string, outDir: string, info: Omit<Provenance, 'fingerprint' | 'variants' | 'steps' | 'seed'>, checkpoint?: string): Provenance {
  const source = checkpoint ?? resolveVaeCheckpoint(runDir);
  const ckpt = loadCheckpoint(source, { kind: VAE_CHECKPOINT_KIND });
  const meta = ckpt.meta as unknown as VaeCheckpointMeta;
  const weights = Object.fromEntries(Object.entries(ckpt.arrays).filter(([name]) => name.startsWith('model/')));
  const fingerprint = fingerprintArrays(weights);
  if (fingerprint !== meta.fingerprint) throw new Error(`exportShippedVision: ${source} fingerprint ${fingerprint} differs from its header ${meta.fingerprint}`);
  fs.mkdirSync(outDir, { recursive: true });
  for (const name of ['config.json', 'scores.json', 'vision.md']) {
    const from = path.join(runDir, name);
    if (fs.existsSync(from)) writeFileAtomic(path.join(outDir, name), fs.readFileSync(from));
  }
  const metrics = path.join(runDir, 'metrics.jsonl');
  if (fs.existsSync(metrics)) {
    const upTo = readJsonLines<{ step?: number }>(metrics).filter((m) => typeof m.step === 'number' && m.step <= meta.step);
    writeFileAtomic(path.join(outDir, 'metrics.jsonl'), upTo.map((m) => JSON.stringify(m) + '\n').join(''));
  }
  const images = path.join(runDir, 'images');
  if (fs.existsSync(images)) {
    fs.mkdirSync(path.join(outDir, 'images'), { recursive: true });
    for (const f of fs.readdirSync(images)) writeFileAtomic(path.join(outDir, 'images', f), fs.readFileSync(path.join(images, f)));
  }
  const ckpts = new CheckpointDir(path.join(outDir, 'checkpoints'));
  ckpts.save({ meta: { ...ckpt.meta, weightsOnly: true }, arrays: weights });
  const provenance: Provenance = { ...info, seed: meta.seed, steps: meta.step, fingerprint, variants: variantDefinitions(meta.seenVariants) };
  writeJsonAtomic(path.join(outDir, 'provenance.json'), provenance);
  return provenance;
}
