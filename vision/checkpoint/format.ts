/**
 * The checkpoint file format shared by the β-VAE and the agent: one file holding a JSON header
 * (kind, architecture, step, RNG state, anything else) and named raw arrays, with a SHA-256 of the
 * payload so a torn or corrupt file is refused, never half-loaded. Writes are atomic; arrays
 * round-trip bit-exactly. The format knows nothing about tfjs (see ./tensors.ts for that bridge).
 *
 * Layout: 8-byte magic "DARLACK1" · uint32 LE header length · header JSON (UTF-8) · zero padding to
 * a multiple of 8 · payload (each array's bytes, 8-byte aligned, at the offsets the header lists).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../envs/core/errors.ts';
import { writeFileAtomic } from '../../envs/util/files.ts';
import { stableStringify } from '../../envs/util/run-dir.ts';

const MAGIC = 'DARLACK1';
const FORMAT_VERSION = 1;

export type ArrayDtype = 'float32' | 'int32';
export type NumericArray = Float32Array | Int32Array;

export interface NamedArray {
  dtype: ArrayDtype;
  shape: number[];
  data: NumericArray;
}

export interface CheckpointMeta {
  /** What this checkpoint holds, e.g. 'vae' or 'ppo'. */
  kind: string;
  /** Everything that determines the shapes of the arrays; loading refuses a different one. */
  arch: unknown;
  step: number;
  [key: string]: unknown;
}

export interface Checkpoint {
  meta: CheckpointMeta;
  arrays: Record<string, NamedArray>;
}

interface HeaderEntry {
  name: string;
  dtype: ArrayDtype;
  shape: number[];
  offset: number;
  byteLength: number;
}

interface Header {
  format: typeof MAGIC;
  version: number;
  meta: CheckpointMeta;
  entries: HeaderEntry[];
  payloadBytes: number;
  sha256: string;
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

export function encodeCheckpoint(ckpt: Checkpoint): Buffer {
  const entries: HeaderEntry[] = [];
  let offset = 0;
  for (const [name, arr] of Object.entries(ckpt.arrays)) {
    const size = arr.shape.reduce((a, b) => a * b, 1);
    if (size !== arr.data.length) throw new Error(`checkpoint array ${name}: shape [${arr.shape}] does not match ${arr.data.length} elements`);
    if ((arr.dtype === 'float32') !== arr.data instanceof Float32Array) throw new Error(`checkpoint array ${name}: dtype ${arr.dtype} does not match its data`);
    entries.push({ name, dtype: arr.dtype, shape: [...arr.shape], offset, byteLength: arr.data.byteLength });
    offset = align8(offset + arr.data.byteLength);
  }
  const payload = Buffer.alloc(offset);
  for (const e of entries) {
    const arr = ckpt.arrays[e.name].data;
    Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength).copy(payload, e.offset);
  }
  const header: Header = {
    format: MAGIC,
    version: FORMAT_VERSION,
    meta: ckpt.meta,
    entries,
    payloadBytes: payload.length,
    sha256: crypto.createHash('sha256').update(payload).digest('hex'),
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(align8(12 + headerBytes.length));
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(headerBytes.length, 8);
  headerBytes.copy(prefix, 12);
  return Buffer.concat([prefix, payload]);
}

/** Parses and verifies a checkpoint. Any damage → UserError naming the file. */
export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): Checkpoint {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const refuse = (why: string): never => {
    throw new UserError(`refusing ${source}: ${why}`, 'checkpoint');
  };
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) refuse('not a darla-ts checkpoint (bad magic)');
  const headerLength = buf.readUInt32LE(8);
  if (12 + headerLength > buf.length) refuse('truncated header');
  let header: Header;
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + headerLength)) as Header;
  } catch {
    return refuse('header is not valid JSON');
  }
  if (header.format !== MAGIC || header.version !== FORMAT_VERSION) refuse(`unsupported format version ${String(header.version)}`);
  const start = align8(12 + headerLength);
  if (buf.length !== start + header.payloadBytes) refuse(`expected ${start + header.payloadBytes} bytes, found ${buf.length} (truncated or padded file)`);
  const payload = buf.subarray(start);
  if (crypto.createHash('sha256').update(payload).digest('hex') !== header.sha256) refuse('payload checksum mismatch (corrupt file)');
  const arrays: Record<string, NamedArray> = {};
  for (const e of header.entries) {
    const copy = new Uint8Array(e.byteLength);
    copy.set(payload.subarray(e.offset, e.offset + e.byteLength));
    const data = e.dtype === 'float32' ? new Float32Array(copy.buffer) : new Int32Array(copy.buffer);
    if (data.length !== e.shape.reduce((a, b) => a * b, 1)) refuse(`array ${e.name} has the wrong size`);
    arrays[e.name] = { dtype: e.dtype, shape: e.shape, data };
  }
  return { meta: header.meta, arrays };
}

export function saveCheckpoint(file: string, ckpt: Checkpoint): void {
  writeFileAtomic(file, encodeCheckpoint(ckpt));
}

/**
 * Loads a checkpoint and refuses one of another kind or architecture (a UserError that names both),
 * so a mismatched file is never half-loaded.
 */
export function loadCheckpoint(file: string, expect?: { kind?: string; arch?: unknown }): Checkpoint {
  if (!fs.existsSync(file)) throw new UserError(`checkpoint ${file} does not exist`, 'checkpoint');
  const ckpt = decodeCheckpoint(fs.readFileSync(file), file);
  if (expect?.kind !== undefined && ckpt.meta.kind !== expect.kind) {
    throw new UserError(`refusing ${file}: it holds a '${ckpt.meta.kind}' checkpoint, expected '${expect.kind}'`, 'checkpoint');
  }
  if (expect?.arch !== undefined && stableStringify(ckpt.meta.arch) !== stableStringify(expect.arch)) {
    throw new UserError(
      `refusing ${file}: it was saved from a different architecture\n  checkpoint: ${stableStringify(ckpt.meta.arch)}\n  expected:   ${stableStringify(expect.arch)}`,
      'checkpoint',
    );
  }
  return ckpt;
}

/**
 * Checkpoints in a run's checkpoints/ folder: `step-<n>.ckpt` files plus `latest` (the file name of
 * the newest complete one, written after it). Keeps the newest `keep` files.
 */
export class CheckpointDir {
  constructor(
    readonly dir: string,
    readonly keep = 3,
  ) {}

  fileFor(step: number): string {
    return path.join(this.dir, `step-${String(step).padStart(9, '0')}.ckpt`);
  }

  save(ckpt: Checkpoint): string {
    const file = this.fileFor(ckpt.meta.step);
    saveCheckpoint(file, ckpt);
    writeFileAtomic(path.join(this.dir, 'latest'), path.basename(file) + '\n');
    const all = this.list();
    for (const old of all.slice(0, Math.max(0, all.length - this.keep))) fs.rmSync(old, { force: true });
    return file;
  }

  /** Checkpoint files, oldest first. */
  list(): string[] {
    if (!fs.existsSync(this.dir)) return [];
    return fs
      .readdirSync(this.dir)
      .filter((f) => /^step-\d+\.ckpt$/.test(f))
      .sort()
      .map((f) => path.join(this.dir, f));
  }

  /** The newest complete checkpoint file, or null. */
  latest(): string | null {
    const pointer = path.join(this.dir, 'latest');
    if (fs.existsSync(pointer)) {
      const file = path.join(this.dir, fs.readFileSync(pointer, 'utf8').trim());
      if (fs.existsSync(file)) return file;
    }
    const all = this.list();
    return all.length > 0 ? all[all.length - 1] : null;
  }
}
