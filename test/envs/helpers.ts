/** Test helpers for envs: fast byte equality (vitest's deep toEqual is slow on 12 KB frames). */
export function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  const x = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const y = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return a.constructor === b.constructor && x.equals(y);
}
