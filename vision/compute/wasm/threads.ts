/**
 * Multi-threaded tfjs wasm under Node: a small shim, pinned to @tensorflow/tfjs-backend-wasm 4.22.0.
 *
 * tfjs-backend-wasm ships an XNNPACK build with a pthread pool (tfjs-backend-wasm-threaded-simd.*)
 * but switches it off under Node (its WASM_HAS_MULTITHREAD_SUPPORT flag returns false for Node), and
 * forcing it on fails: the pthread workers are started from a blob: URL, which Node's worker_threads
 * cannot load. This module registers a 'wasm' backend that loads the same threaded build itself:
 *  - the worker script (the package's `wasmWorkerContents` string) is written once to a file in the
 *    OS temp folder and handed to Emscripten through `locateFile`;
 *  - `instantiateWasm` reports 2× the wanted thread count as "logical cores", because tfjs's C++
 *    caps its pool at logical cores / 2 (it assumes hyper-threading), and Node reports real cores;
 *  - the pool's workers are unref'd so that an idle process can still exit (the main thread drives
 *    every computation synchronously; workers only help while it waits).
 * Everything else (kernels, memory, BackendWasm) is the package's own, so model code sees the plain
 * 'wasm' backend.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import * as wasmPkg from '@tensorflow/tfjs-backend-wasm';
import { writeFileAtomic } from '../../../envs/util/files.ts';

/** The tfjs-backend-wasm version whose files and internals this shim relies on. */
export const PINNED_WASM_VERSION = '4.22.0';
/** tfjs's C++ pre-creates 8 pthread workers; its pool cannot use more. */
export const MAX_WASM_THREADS = 8;

const require = createRequire(import.meta.url);

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  PThread?: { runningWorkers: Array<{ unref(): void }>; unusedWorkers: Array<{ unref(): void }> };
  tfjs?: Record<string, unknown>;
}
type EmscriptenFactory = (config: Record<string, unknown>) => Promise<EmscriptenModule>;

/** Throws unless the installed tfjs-backend-wasm is the version this shim was written against. */
export function assertPinnedWasmVersion(): void {
  if (wasmPkg.version_wasm !== PINNED_WASM_VERSION) {
    throw new Error(
      `vision/compute/wasm/threads.ts is pinned to @tensorflow/tfjs-backend-wasm ${PINNED_WASM_VERSION} but ` +
        `${wasmPkg.version_wasm} is installed; re-check the shim against the new package (or run with --threads 1).`,
    );
  }
}

/** Writes the pthread worker script to a file once (content-addressed) and returns its path. */
function workerScriptPath(): string {
  const { wasmWorkerContents } = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js') as {
    wasmWorkerContents: string;
  };
  // The string is a template literal in which "\n" escapes became real newlines; tfjs re-escapes
  // them the same way before making its blob.
  const source = wasmWorkerContents.replace(/\n/g, '\\n');
  const hash = crypto.createHash('sha256').update(source).digest('hex').slice(0, 12);
  const file = path.join(os.tmpdir(), `darla-tfjs-wasm-${PINNED_WASM_VERSION}-${hash}.worker.cjs`);
  if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== source) writeFileAtomic(file, source);
  return file;
}

/** Loads the threaded-SIMD Emscripten module with `threads` pool threads (main thread included). */
async function loadThreadedModule(threads: number): Promise<EmscriptenModule> {
  const jsFile = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const dir = path.dirname(jsFile);
  const wasmFile = path.join(dir, 'tfjs-backend-wasm-threaded-simd.wasm');
  const workerFile = workerScriptPath();
  const factory = require(jsFile) as EmscriptenFactory;
  return new Promise<EmscriptenModule>((resolve, reject) => {
    const config = {
      locateFile: (p: string) => (p.endsWith('.worker.js') ? workerFile : path.join(dir, p)),
      mainScriptUrlOrBlob: jsFile,
      instantiateWasm: (
        info: { env: Record<string, unknown> },
        receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
      ): Record<string, never> => {
        // tfjs caps its pool at min(requested, logical cores / 2); make the cap our request.
        info.env.emscripten_num_logical_cores = () => 2 * threads;
        WebAssembly.instantiate(fs.readFileSync(wasmFile), info as WebAssembly.Imports).then(
          ({ instance, module }) => receive(instance, module),
          reject,
        );
        return {};
      },
      onAbort: (what: unknown) => reject(new Error(`threaded wasm module aborted: ${String(what)}`)),
    };
    // Emscripten starts its 8 pool workers inside the factory call with `new Worker(file)`, which
    // inherits this process's execArgv (e.g. `--import tsx`, or `-e` flags a worker rejects). The
    // worker script is plain CommonJS: start it with no extra flags.
    const threadsModule = require('node:worker_threads') as { Worker: typeof import('node:worker_threads').Worker };
    const NodeWorker = threadsModule.Worker;
    class PlainWorker extends NodeWorker {
      constructor(file: string | URL, options: import('node:worker_threads').WorkerOptions = {}) {
        super(file, { ...options, execArgv: [] });
      }
    }
    threadsModule.Worker = PlainWorker;
    try {
      factory(config).then(resolve, reject);
    } finally {
      threadsModule.Worker = NodeWorker;
    }
  });
}

/** Unref's the pool's workers so that they never keep an otherwise finished process alive. */
function unrefWorkers(mod: EmscriptenModule): void {
  for (const w of mod.PThread?.runningWorkers ?? []) w.unref();
  for (const w of mod.PThread?.unusedWorkers ?? []) w.unref();
}

/**
 * Replaces the 'wasm' backend registration with one that runs tfjs's threaded XNNPACK build (whose
 * memory is shared, so other threads can work on it) with `threads` threads, of which XNNPACK's own
 * pool uses `xnnpackThreads` (default all). Call before the wasm backend is first initialised
 * (tf.setBackend('wasm')).
 * Returns a function that puts the previous (single-threaded) registration back, for when the
 * threaded build fails to start.
 */
export function registerThreadedWasmBackend(threads: number, opts: { xnnpackThreads?: number } = {}): () => void {
  assertPinnedWasmVersion();
  if (!Number.isInteger(threads) || threads < 2 || threads > MAX_WASM_THREADS) {
    throw new Error(`threaded wasm needs 2..${MAX_WASM_THREADS} threads, got ${threads}`);
  }
  const xnnpackThreads = opts.xnnpackThreads ?? threads;
  if (!Number.isInteger(xnnpackThreads) || xnnpackThreads < 1 || xnnpackThreads > threads) {
    throw new Error(`XNNPACK threads must be 1..${threads}, got ${xnnpackThreads}`);
  }
  // (tf.findBackend would start initialising the stock backend, so look at the registry itself.)
  if ((tf.engine() as unknown as { registry: Record<string, unknown> }).registry.wasm !== undefined) {
    throw new Error('the wasm backend is already initialised; register the threaded build before tf.setBackend("wasm")');
  }
  const previous = tf.findBackendFactory('wasm');
  if (previous !== null) tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      const mod = await loadThreadedModule(threads);
      mod.tfjs = {
        init: mod.cwrap('init', null, []),
        initWithThreadsCount: mod.cwrap('init_with_threads_count', null, ['number']),
        getThreadsCount: mod.cwrap('get_threads_count', 'number', []),
        registerTensor: mod.cwrap('register_tensor', null, ['number', 'number', 'number']),
        disposeData: mod.cwrap('dispose_data', null, ['number']),
        dispose: mod.cwrap('dispose', null, []),
      };
      wasmPkg.setThreadsCount(xnnpackThreads);
      // BackendWasm's constructor creates the pthread pool (and so starts the worker threads).
      const backend = new wasmPkg.BackendWasm(mod as unknown as ConstructorParameters<typeof wasmPkg.BackendWasm>[0]);
      unrefWorkers(mod);
      return backend;
    },
    2,
  );
  return () => {
    tf.removeBackend('wasm');
    if (previous !== null) tf.registerBackend('wasm', previous, 2);
  };
}
