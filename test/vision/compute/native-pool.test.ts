/**
 * The darla kernels' thread pool on its own (no tfjs): jobs on a shared memory with two threads give
 * the same bytes as one thread, a kernel that traps (here: an out-of-bounds pointer) fails the call
 * with an error instead of hanging, and the pool keeps working afterwards.
 */
import { describe, expect, it } from 'vitest';
import { NativeKernels } from '../../../vision/compute/wasm/native.ts';
import { convBackpropFilter, convForward, type ConvGeometry } from '../../../vision/compute/wasm/darla-conv.ts';

/** A shared memory with a bump allocator (buffers of one size are reused). */
function host(threads: number) {
  const memory = new WebAssembly.Memory({ initial: 1024, maximum: 4096, shared: true } as WebAssembly.MemoryDescriptor);
  let top = 1 << 16;
  const free = new Map<number, number[]>();
  const sizes = new Map<number, number>();
  return {
    memory,
    threads,
    malloc(bytes: number) {
      const size = (bytes + 63) & ~63;
      const reuse = free.get(size)?.pop();
      if (reuse !== undefined) return reuse;
      const p = top;
      top += size;
      sizes.set(p, size);
      return p;
    },
    free(p: number) {
      const size = sizes.get(p)!;
      free.set(size, [...(free.get(size) ?? []), p]);
    },
  };
}

function run(threads: number): { y: Float32Array; dw: Float32Array; k: NativeKernels; h: ReturnType<typeof host> } {
  const h = host(threads);
  const k = new NativeKernels(h);
  const g: ConvGeometry = { n: 4, h: 16, w: 16, ci: 8, oh: 8, ow: 8, co: 16, kh: 4, kw: 4, sh: 2, sw: 2, dh: 1, dw: 1, pt: 1, pl: 1 };
  const fill = (n: number, seed: number) => {
    const p = h.malloc(n * 4);
    const a = new Float32Array(h.memory.buffer, p, n);
    for (let i = 0; i < n; i++) a[i] = Math.sin(seed + i * 0.37);
    return p;
  };
  const x = fill(4 * 16 * 16 * 8, 1);
  const w = fill(16 * 8 * 16, 2);
  const dy = fill(4 * 8 * 8 * 16, 3);
  const y = h.malloc(4 * 8 * 8 * 16 * 4);
  const dw = h.malloc(16 * 8 * 16 * 4);
  for (let i = 0; i < 3; i++) {
    convForward(k, g, x, w, y);
    convBackpropFilter(k, g, x, dy, dw);
  }
  return { y: Float32Array.from(new Float32Array(h.memory.buffer, y, 4 * 8 * 8 * 16)), dw: Float32Array.from(new Float32Array(h.memory.buffer, dw, 16 * 8 * 16)), k, h };
}

describe('darla kernels thread pool', () => {
  it('gives the same bytes on two threads as on one', () => {
    const one = run(1);
    const two = run(2);
    expect(two.k.threads).toBe(2);
    expect(Buffer.from(two.y.buffer).equals(Buffer.from(one.y.buffer))).toBe(true);
    expect(Buffer.from(two.dw.buffer).equals(Buffer.from(one.dw.buffer))).toBe(true);
    one.k.dispose();
    two.k.dispose();
  });

  it('turns a trapping kernel into an error, and keeps working', () => {
    const { k, h } = run(2);
    // grad_reduce over a destination far outside the memory: every thread's tiles trap.
    const partial = h.malloc(1 << 16);
    expect(() => k.run('grad_reduce', 16, [0x7ff00000, partial, 1, 16 * 4096, 4096])).toThrow(/out of bounds|failed on a helper/);
    // The same pool runs the next job: dst (ones) += partial (twos), over 16 tiles.
    const n = 16 * 1024;
    const dst = h.malloc(n * 4);
    const src = h.malloc(n * 4);
    new Float32Array(h.memory.buffer, dst, n).fill(1);
    new Float32Array(h.memory.buffer, src, n).fill(2);
    k.run('grad_reduce', 16, [dst, src, 1, n, 1024]);
    expect(new Float32Array(h.memory.buffer, dst, n).every((v) => v === 3)).toBe(true);
    k.dispose();
  });
});
