/**
 * The project's own wasm kernels (native/kernels.c, built by native/build.sh) attached to the tfjs
 * wasm backend's memory, and the small thread pool that runs them.
 *
 * The module imports tfjs's linear memory, so its kernels read and write tfjs tensors in place (a
 * tensor's memoryOffset is a pointer for it) and allocate through tfjs's own malloc/free. It has no
 * data segment; each instance gets its own stack (the exported __stack_pointer) in memory taken from
 * tfjs's malloc.
 *
 * Threads: with tfjs's threaded build the memory is shared, and T − 1 helper workers each run an
 * instance of the threads build on it. A job is one exported function and a parameter block; every
 * thread calls the function, which claims tiles from an atomic counter in the block until none are
 * left. Outputs are per tile, so the result is the same whatever thread ran a tile, and a helper
 * that is slow to wake (its core busy) only means the main thread claims more tiles. A helper joins
 * whatever job is open when it wakes (the parameter block is read after joining), and the main
 * thread closes the job and waits only for helpers that joined.
 */
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import type { WasmBackend } from './heap.ts';

interface TfjsModule {
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  wasmMemory?: WebAssembly.Memory;
  asm?: { memory?: WebAssembly.Memory };
}

interface KernelExports {
  __stack_pointer: WebAssembly.Global;
  pack_b(w: number, tap: number, ntaps: number, R: number, N: number, rowStride: number, colStride: number, NR: number, out: number): void;
  pack_bt(w: number, tap: number, ntaps: number, R: number, N: number, rowStride: number, colStride: number, out: number): void;
  gather_conv(tid: number, params: number): void;
  filter_grad(tid: number, params: number): void;
  grad_reduce(tid: number, params: number): void;
  sum_rows(tid: number, params: number): void;
  sum_rows_finish(partial: number, dst: number, outer: number, chunks: number, inner: number): void;
  elementwise(tid: number, params: number): void;
  softplus_constants(table: number): void;
  bias_pattern(b: number, C: number, pattern: number): void;
}

/** Elementwise operations of the `elementwise` job (kernels.c EW_*). */
export const EW = { softplus: 0, addBias: 1, mul: 2, relu: 3, step: 4 } as const;
/** Floats per elementwise tile. */
const EW_CHUNK = 16384;
/** Fixed slices of the reduced rows in sum_rows (so its sums do not depend on the thread count). */
const SUM_CHUNKS = 8;

/** Exported job functions by index (the workers call them by this index). */
const JOBS = ['gather_conv', 'filter_grad', 'grad_reduce', 'sum_rows', 'elementwise'] as const;
export type JobName = (typeof JOBS)[number];

/** Bytes of stack each instance gets (the kernels keep a few small arrays there at most). */
const STACK_BYTES = 64 * 1024;
/** Jobs smaller than this (multiply-adds) run on the main thread alone: ~0.1 ms of work. */
const HELPER_MIN_WORK = 2_000_000;
/** Parameter block: 528 int32 slots (16 GatherConv blocks of 33). */
const PARAM_SLOTS = 528;

// Control words (Int32Array over a SharedArrayBuffer shared with the helpers).
const GEN = 0; // incremented for every job; -1 … shutdown is signalled by STOP
const STATE = 1; // helpers inside the open job, | CLOSED once the main thread has closed it
const FN = 2;
const PARAMS = 3;
const STOP = 4;
const FAILED = 5; // set by a helper whose kernel threw (a wasm trap)
const CLOSED = 1 << 30;

/** Where the compiled kernels live (committed; rebuilt and compared by the native-build test). */
export const NATIVE_DIR = new URL('./native/', import.meta.url);

function readModule(threads: boolean): WebAssembly.Module {
  const bytes = fs.readFileSync(new URL(threads ? 'darla-kernels-threads.wasm' : 'darla-kernels.wasm', NATIVE_DIR));
  assertNoDataSection(bytes);
  return new WebAssembly.Module(bytes);
}

/**
 * The module must not carry a data section: instantiating it would write that data into tfjs's
 * memory at fixed addresses. (kernels.c has no static data; this guards against a change that adds
 * some.)
 */
export function assertNoDataSection(bytes: Uint8Array): void {
  let i = 8;
  while (i < bytes.length) {
    const id = bytes[i++];
    let size = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[i++];
      size |= (b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
    }
    if (id === 11) throw new Error('darla wasm kernels: the module has a data section, which would overwrite tfjs memory');
    i += size;
  }
}

// The helper's source: plain CommonJS, evaluated in a worker thread with no loader flags.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, tid, stackTop, jobs } = workerData;
const instance = new WebAssembly.Instance(module, { env: { memory } });
instance.exports.__stack_pointer.value = stackTop;
const fns = jobs.map((name) => instance.exports[name]);
const ctl = new Int32Array(control);
const [GEN, STATE, FN, PARAMS, STOP, FAILED, CLOSED] = [${GEN}, ${STATE}, ${FN}, ${PARAMS}, ${STOP}, ${FAILED}, ${CLOSED}];
let seen = Atomics.load(ctl, GEN);
for (;;) {
  let spins = 0;
  while (Atomics.load(ctl, GEN) === seen && Atomics.load(ctl, STOP) === 0) {
    if (++spins > 2000) Atomics.wait(ctl, GEN, seen, 50);
  }
  if (Atomics.load(ctl, STOP) !== 0) break;
  seen = Atomics.load(ctl, GEN);
  // Join the open job, if any.
  let joined = false;
  for (;;) {
    const s = Atomics.load(ctl, STATE);
    if ((s & CLOSED) !== 0) break;
    if (Atomics.compareExchange(ctl, STATE, s, s + 1) === s) { joined = true; break; }
  }
  if (!joined) continue;
  try {
    fns[Atomics.load(ctl, FN)](tid, Atomics.load(ctl, PARAMS));
  } catch (err) {
    Atomics.store(ctl, FAILED, 1);
    require('node:worker_threads').parentPort.postMessage(String(err && err.stack || err));
  } finally {
    Atomics.sub(ctl, STATE, 1);
    Atomics.notify(ctl, STATE);
  }
}
`;

/** What the kernels need from their host: its memory and its allocator. */
export interface NativeHost {
  memory: WebAssembly.Memory;
  malloc(bytes: number): number;
  free(ptr: number): void;
  /** Thread count (used only when the memory is shared). */
  threads: number;
  /** A compiled kernels module to use instead of the committed one (benchmarks of variants). */
  module?: WebAssembly.Module;
}

/** The kernels attached to one wasm memory (a tfjs wasm backend's, see nativeKernels). */
export class NativeKernels {
  readonly threads: number;
  private readonly exports: KernelExports;
  private readonly host: NativeHost;
  private readonly memory: WebAssembly.Memory;
  private readonly control: Int32Array;
  private readonly workers: Worker[] = [];
  private readonly params: number;
  private scratch = 0;
  private scratchFloats = 0;
  private zeroBuf = 0;
  private zeroFloats = 0;
  private softplusTable = 0;
  private failure = '';

  constructor(host: NativeHost) {
    this.host = host;
    const memory = host.memory;
    this.memory = memory;
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    this.threads = shared ? Math.max(1, host.threads) : 1;
    const module = host.module ?? readModule(shared);
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    this.exports = instance.exports as unknown as KernelExports;
    this.exports.__stack_pointer.value = this.stack();
    this.params = this.malloc(PARAM_SLOTS * 4);
    this.control = new Int32Array(new SharedArrayBuffer(64));
    for (let tid = 1; tid < this.threads; tid++) {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        execArgv: [],
        workerData: { module, memory, control: this.control.buffer, tid, stackTop: this.stack(), jobs: JOBS },
      });
      worker.on('message', (m: unknown) => (this.failure = String(m)));
      worker.unref();
      this.workers.push(worker);
    }
  }

  private malloc(bytes: number): number {
    const ptr = this.host.malloc(bytes);
    if (ptr === 0) throw new Error(`darla wasm kernels: out of memory (${bytes} bytes)`);
    return ptr;
  }

  /** A fresh stack region; returns its top (stacks grow down), 16-byte aligned. */
  private stack(): number {
    return (this.malloc(STACK_BYTES) + STACK_BYTES) & ~15;
  }

  /** tfjs's malloc, for buffers a kernel needs (free them with `free`). */
  alloc(floats: number): number {
    return this.malloc(Math.max(1, floats) * 4);
  }

  free(ptr: number): void {
    this.host.free(ptr);
  }

  /** A float32 view of wasm memory (re-take it after any allocation: the heap may grow). */
  f32(ptr: number, floats: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, floats);
  }

  i32(ptr: number, count: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, count);
  }

  /** Per-thread scratch of at least `floats` floats each; returns [pointer, stride in floats]. */
  scratchFor(floats: number): [number, number] {
    const stride = (Math.ceil(floats / 16) + 1) * 16;
    if (stride > this.scratchFloats) {
      if (this.scratch !== 0) this.free(this.scratch);
      this.scratch = this.malloc(stride * this.threads * 4 + 64);
      this.scratchFloats = stride;
    }
    return [(this.scratch + 63) & ~63, this.scratchFloats];
  }

  /** A buffer of at least `floats` zeros (kept; never written by a kernel). */
  zeros(floats: number): number {
    if (floats > this.zeroFloats) {
      if (this.zeroBuf !== 0) this.free(this.zeroBuf);
      this.zeroFloats = Math.max(floats, 1024);
      this.zeroBuf = this.malloc(this.zeroFloats * 4);
      this.f32(this.zeroBuf, this.zeroFloats).fill(0);
    }
    return this.zeroBuf;
  }

  /**
   * A GEMM operand B[t·R + r][n] = w[taps[t] + r·rowStride + n·colStride] (floats), as column
   * panels [ceil(N/NR)][K][NR] (NR > 0) or as rows per column [N][K] (NR = 0; the dot kernel's).
   */
  packB(w: number, taps: number[], R: number, N: number, rowStride: number, colStride: number, NR: number, out: number): void {
    const tapPtr = this.malloc(Math.max(1, taps.length) * 4);
    this.i32(tapPtr, taps.length).set(taps);
    if (NR > 0) this.exports.pack_b(w, tapPtr, taps.length, R, N, rowStride, colStride, NR, out);
    else this.exports.pack_bt(w, tapPtr, taps.length, R, N, rowStride, colStride, out);
    this.free(tapPtr);
  }

  /** dst[o, i] = Σ_r src[o, r, i] (float64 sums, in fixed slices of r). */
  sumRows(src: number, dst: number, outer: number, reduced: number, inner: number): void {
    const chunks = Math.max(1, Math.min(SUM_CHUNKS, reduced));
    const partial = (this.malloc(outer * chunks * inner * 8 + 8) + 7) & ~7;
    this.run('sum_rows', outer * chunks, [src, outer, reduced, inner, chunks, partial], outer * reduced * inner);
    this.exports.sum_rows_finish(partial, dst, outer, chunks, inner);
    this.free(partial);
  }

  /**
   * out = op(a[, b]) over n floats (see EW). addBias: b holds c floats added to every row of c;
   * step: `alpha` below zero.
   */
  elementwise(op: (typeof EW)[keyof typeof EW], n: number, a: number, b: number, out: number, opts: { c?: number; alpha?: number } = {}): void {
    let table = 0;
    let period = 0;
    let chunk = EW_CHUNK;
    let temp = 0;
    if (op === EW.softplus) {
      if (this.softplusTable === 0) {
        this.softplusTable = (this.malloc(32 * 16 + 16) + 15) & ~15;
        this.exports.softplus_constants(this.softplusTable);
      }
      table = this.softplusTable;
    } else if (op === EW.addBias) {
      const c = opts.c ?? 1;
      period = c;
      while (period % 4 !== 0) period += c;
      temp = this.malloc(period * 4 + 16);
      table = (temp + 15) & ~15;
      this.exports.bias_pattern(b, c, table);
      chunk = period * Math.ceil(EW_CHUNK / period);
    }
    const alphaBits = new Int32Array(new Float32Array([opts.alpha ?? 0]).buffer)[0];
    const work = n * (op === EW.softplus ? 40 : 4);
    this.run('elementwise', Math.ceil(n / chunk), [op, n, chunk, a, b, out, table, period, alphaBits], work);
    if (temp !== 0) this.free(temp);
  }

  /**
   * Runs a job on every thread. `fields` fill the parameter block from its third slot (the first
   * two are the tile counter and the tile count); pointers are plain numbers. `work` (multiply-adds
   * or so): below HELPER_MIN_WORK the main thread runs it alone, since waking a helper costs more
   * than it saves.
   */
  run(job: JobName, tiles: number, fields: number[], work = Number.POSITIVE_INFINITY): void {
    const p = this.i32(this.params, PARAM_SLOTS);
    if (fields.length + 2 > PARAM_SLOTS) throw new Error('darla wasm kernels: too many job parameters');
    p[0] = 0;
    p[1] = tiles;
    for (let i = 0; i < fields.length; i++) p[2 + i] = fields[i];
    const fn = this.exports[job];
    if (this.workers.length === 0 || tiles < 2 || work < HELPER_MIN_WORK) {
      fn(0, this.params);
      return;
    }
    const ctl = this.control;
    Atomics.store(ctl, FN, JOBS.indexOf(job));
    Atomics.store(ctl, PARAMS, this.params);
    Atomics.store(ctl, STATE, 0);
    Atomics.add(ctl, GEN, 1);
    Atomics.notify(ctl, GEN);
    let mainError: unknown;
    try {
      fn(0, this.params);
    } catch (err) {
      mainError = err;
    }
    // Close the job and wait for the helpers inside it, even when this thread's part failed.
    Atomics.or(ctl, STATE, CLOSED);
    let spins = 0;
    for (;;) {
      const s = Atomics.load(ctl, STATE);
      if ((s & ~CLOSED) === 0) break;
      if (++spins > 1000) Atomics.wait(ctl, STATE, s, 5);
    }
    const helperFailed = Atomics.exchange(ctl, FAILED, 0) !== 0;
    if (mainError !== undefined) throw mainError;
    if (helperFailed) throw new Error(`darla wasm kernels: ${job} failed on a helper thread${this.failure !== '' ? `: ${this.failure}` : ''}`);
  }

  /** Stops the helpers (they are unref'd, so a finished process exits anyway). */
  dispose(): void {
    Atomics.store(this.control, STOP, 1);
    Atomics.add(this.control, GEN, 1);
    Atomics.notify(this.control, GEN);
    if (this.scratch !== 0) this.free(this.scratch);
    this.scratch = 0;
  }
}

const attached = new WeakMap<object, NativeKernels>();
let poolThreads: number | undefined;

/**
 * The thread count for the kernels' pool (main thread included), fixed when the kernels first
 * attach to a backend; by default tfjs's XNNPACK thread count. selectBackend sets it: with the
 * darla kernels XNNPACK keeps one thread (its pool spin-waits ~1M iterations after every operator,
 * which burned 60–180 ms of CPU per training step and took the second core from this pool) and this
 * pool gets them all.
 */
export function setNativeThreads(threads: number): void {
  poolThreads = threads;
}

/** The kernels for this backend instance (created on first use). */
export function nativeKernels(backend: WasmBackend): NativeKernels {
  let k = attached.get(backend);
  if (k === undefined) {
    const threads = poolThreads ?? getThreadsCount();
    const mod = backend.wasm as unknown as TfjsModule;
    // The threaded build keeps its (shared) memory on the module; the single-threaded one exports it.
    const memory = mod.wasmMemory ?? mod.asm?.memory;
    if (memory === undefined) throw new Error('darla wasm kernels: cannot find the tfjs wasm memory');
    k = new NativeKernels({ memory, malloc: (bytes) => mod._malloc(bytes), free: (ptr) => mod._free(ptr), threads });
    attached.set(backend, k);
  }
  return k;
}
