/**
 * Test helpers for envs: fast byte equality (vitest's deep toEqual is slow on 12 KB frames), the
 * UserError a call throws, and a folder's files (to show a refused command changed nothing).
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../envs/core/errors.ts';

export function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  const x = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const y = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return a.constructor === b.constructor && x.equals(y);
}

/** The UserError `fn` throws (any other outcome fails the test). */
export function userError(fn: () => unknown): UserError {
  try {
    fn();
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error('expected a UserError');
}

/** Every file under `dir` (relative path → contents). */
export function fileSnapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const p = path.join(dir, name);
    if (fs.statSync(p).isFile()) out[name] = fs.readFileSync(p, 'utf8');
  }
  return out;
}
