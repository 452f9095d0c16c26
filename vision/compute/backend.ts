/**
 * Chooses the TensorFlow.js backend a run computes with, once per process, and says why.
 *   tensorflow  @tensorflow/tfjs-node-gpu or tfjs-node, only if the user installed one (never a
 *               dependency of this project: their install downloads libtensorflow from outside npm)
 *   webgpu      @tensorflow/tfjs-backend-webgpu on Dawn; `auto` takes it only on a hardware adapter
 *   wasm        @tensorflow/tfjs-backend-wasm (XNNPACK, SIMD) + this module's training kernels,
 *               multi-threaded through vision/compute/wasm/threads.ts
 *   cpu         the pure-JS reference (correctness checks only)
 * `auto` = tensorflow > webgpu (hardware) > wasm. An explicit choice that cannot run throws a
 * UserError saying what to install.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../../envs/core/errors.ts';

export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export type BackendChoice = 'auto' | BackendName;

export interface BackendInfo {
  name: BackendName;
  /** One line: why this backend, and what it runs on. */
  reason: string;
  /** WebGPU adapter or tfjs-node device description. */
  adapter?: string;
  /** wasm: whether the SIMD build runs. */
  simd?: boolean;
  /**
   * wasm: threads computing, the main thread included (the darla kernels' pool; with
   * DARLA_WASM_KERNELS=xnnpack, XNNPACK's).
   */
  threads?: number;
  /** wasm: whose convolution kernels run ($DARLA_WASM_KERNELS; see vision/compute/wasm/darla-conv.ts). */
  kernels?: 'darla' | 'xnnpack';
}

export interface SelectOptions {
  /** Where to print the choice (default: stderr). */
  log?: (line: string) => void;
  /**
   * wasm threads; default: $DARLA_WASM_THREADS if set, else one per core not busy with other
   * processes (see defaultWasmThreads; at most 8). Fixed once wasm starts.
   */
  threads?: number;
}

const TFJS_NODE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

const selected = new Map<BackendChoice, BackendInfo>();
let wasmInfo: BackendInfo | undefined;

/**
 * Makes `choice` the active tfjs backend and returns what was chosen. Idempotent: asking again for
 * the same choice returns the same info (and re-activates that backend).
 */
export async function selectBackend(choice: BackendChoice, opts: SelectOptions = {}): Promise<BackendInfo> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const cached = selected.get(choice);
  if (cached !== undefined) {
    await tf.setBackend(cached.name);
    return cached;
  }
  let info: BackendInfo;
  switch (choice) {
    case 'tensorflow':
      info = await useTensorflow(true);
      break;
    case 'webgpu':
      info = (await useWebGpu(true))!;
      break;
    case 'wasm':
      info = await useWasm(opts.threads, 'requested');
      break;
    case 'cpu':
      info = await useCpu();
      break;
    case 'auto':
      info = await selectAuto(opts.threads);
      break;
    default:
      throw new UserError(`unknown backend '${String(choice)}'; choose auto, tensorflow, webgpu, wasm or cpu`, '--backend');
  }
  selected.set(choice, info);
  log(`backend: ${describeBackend(info)}`);
  return info;
}

/** One line for logs and reports, e.g. "wasm (SIMD, 2 threads): requested". */
export function describeBackend(info: BackendInfo): string {
  const details: string[] = [];
  if (info.adapter !== undefined) details.push(info.adapter);
  if (info.simd !== undefined) details.push(info.simd ? 'SIMD' : 'no SIMD');
  if (info.threads !== undefined) details.push(`${info.threads} thread${info.threads === 1 ? '' : 's'}`);
  if (info.kernels !== undefined) details.push(`${info.kernels} conv kernels`);
  return `${info.name}${details.length > 0 ? ` (${details.join(', ')})` : ''}: ${info.reason}`;
}

async function selectAuto(threads: number | undefined): Promise<BackendInfo> {
  const notes: string[] = [];
  try {
    const t = await useTensorflow(false);
    return { ...t, reason: `auto: ${t.reason}` };
  } catch (err) {
    notes.push(err instanceof Error ? err.message : String(err));
  }
  const g = await useWebGpu(false);
  if (g !== null) return { ...g, reason: `auto: ${g.reason}` };
  const { lastProbeFailure } = await import('./webgpu/dawn.ts');
  notes.push(webGpuSkipNote ?? lastProbeFailure);
  const w = await useWasm(threads, 'auto');
  return { ...w, reason: `auto: ${w.reason}; ${notes.map(shortNote).join('; ')}` };
}

function shortNote(note: string): string {
  // Up to the first '(' or sentence end ('libvulkan.so.1' keeps its dots).
  const first = note.split(/\(|\.(?:\s|$)/)[0].trim();
  return first.length > 0 ? first : note;
}

// --- tensorflow (tfjs-node) ----------------------------------------------------------------------

async function useTensorflow(explicit: boolean): Promise<BackendInfo> {
  let loaded: string | undefined;
  const failures: string[] = [];
  for (const pkg of TFJS_NODE_PACKAGES) {
    try {
      // A variable specifier: these packages are optional and not in package.json.
      const spec: string = pkg;
      await import(spec);
      loaded = pkg;
      break;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') failures.push(`${pkg}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (loaded === undefined || tf.findBackendFactory('tensorflow') === null) {
    const why = failures.length > 0 ? `it failed to load (${failures.join('; ')})` : 'neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed';
    const message =
      `backend 'tensorflow' is not available: ${why}. Install one with ` +
      '`npm install @tensorflow/tfjs-node-gpu@4.22.0` (NVIDIA GPU; needs CUDA 11.2 and cuDNN 8.1 — with newer CUDA it ' +
      'silently runs on the CPU) or `npm install @tensorflow/tfjs-node@4.22.0` (CPU); both download libtensorflow ' +
      'from storage.googleapis.com during install. Or choose --backend wasm / webgpu.';
    if (explicit) throw new UserError(message, '--backend');
    throw new Error(message);
  }
  await tf.setBackend('tensorflow');
  await tf.ready();
  const be = tf.backend() as { isUsingGpuDevice?: boolean; isGPUPackage?: boolean };
  const onGpu = be.isUsingGpuDevice === true;
  const reason =
    loaded === '@tensorflow/tfjs-node-gpu' && !onGpu
      ? `${loaded} is installed but libtensorflow found no usable GPU (it needs CUDA 11.2 + cuDNN 8.1): running on the CPU`
      : `${loaded} is installed`;
  return { name: 'tensorflow', reason, adapter: onGpu ? 'CUDA GPU (libtensorflow)' : 'CPU (libtensorflow)' };
}

// --- webgpu --------------------------------------------------------------------------------------

let webGpuSkipNote: string | undefined;

/** Explicit: any adapter, else UserError. Auto: hardware adapters only, else null. */
async function useWebGpu(explicit: boolean): Promise<BackendInfo | null> {
  const dawn = await import('./webgpu/dawn.ts');
  if (!explicit) {
    // auto takes a hardware adapter only: a software one (or none) is found out in the probe child,
    // without loading Dawn in this process.
    const child = await dawn.childProbe();
    if (child.adapter === null) return null;
    if (dawn.isSoftware(child.adapter)) {
      webGpuSkipNote = `WebGPU adapter ${dawn.adapterName(child.adapter)} is a software rasteriser, slower than wasm (use --backend webgpu to run on it anyway)`;
      return null;
    }
  }
  const probe = await dawn.probeAdapter();
  if (probe === null) {
    if (explicit) {
      throw new UserError(
        `backend 'webgpu' is not available: ${dawn.lastProbeFailure}. Or choose --backend wasm.`,
        '--backend',
      );
    }
    return null;
  }
  if (probe.software && !explicit) {
    webGpuSkipNote = `WebGPU adapter ${probe.name} is a software rasteriser, slower than wasm (use --backend webgpu to run on it anyway)`;
    return null;
  }
  await dawn.registerWebGpuBackend(probe);
  const { configureWebGpu } = await import('./webgpu/kernels.ts');
  configureWebGpu();
  await tf.setBackend('webgpu');
  await tf.ready();
  const reason = probe.software
    ? 'requested; the adapter is a software rasteriser (for testing: correct, but slower than wasm)'
    : explicit
      ? 'requested'
      : 'a hardware WebGPU adapter was found';
  return { name: 'webgpu', reason, adapter: probe.name };
}

// --- wasm ----------------------------------------------------------------------------------------

async function useWasm(threadsOpt: number | undefined, why: 'requested' | 'auto'): Promise<BackendInfo> {
  if (wasmInfo !== undefined) {
    await tf.setBackend('wasm');
    return { ...wasmInfo, reason: why === 'requested' ? 'requested' : wasmInfo.reason };
  }
  const { MAX_WASM_THREADS, registerThreadedWasmBackend } = await import('./wasm/threads.ts');
  const fromEnv = process.env.DARLA_WASM_THREADS;
  const auto = defaultWasmThreads(Math.min(os.availableParallelism(), MAX_WASM_THREADS), os.loadavg()[0]);
  const wanted = threadsOpt ?? (fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : auto.threads);
  if (!Number.isInteger(wanted) || wanted < 1 || wanted > MAX_WASM_THREADS) {
    const field = threadsOpt === undefined && fromEnv !== undefined ? 'DARLA_WASM_THREADS' : 'threads';
    throw new UserError(`${field}: wasm threads must be an integer from 1 to ${MAX_WASM_THREADS}, got '${threadsOpt ?? fromEnv}'`, field);
  }
  const kernels = wasmKernelsFromEnv(process.env.DARLA_WASM_KERNELS);
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  let threadNote = '';
  let restore: (() => void) | undefined;
  if (wanted > 1) {
    try {
      // With the darla kernels XNNPACK keeps one thread and the project's pool gets them all (see
      // setNativeThreads in wasm/native.ts).
      restore = registerThreadedWasmBackend(wanted, { xnnpackThreads: kernels === 'darla' ? 1 : wanted });
    } catch (err) {
      threadNote = `; threads unavailable (${err instanceof Error ? err.message : String(err)})`;
    }
  }
  let ok = await tf.setBackend('wasm');
  if (!ok && restore !== undefined) {
    // The threaded build failed to start: go back to tfjs's own single-threaded loader.
    threadNote = '; the threaded build failed to start, using one thread';
    restore();
    ok = await tf.setBackend('wasm');
  }
  if (!ok) throw new Error('the tfjs wasm backend failed to initialise (see the messages above)');
  const { registerWasmTrainingKernels } = await import('./wasm/kernels.ts');
  const { nativeKernels } = await import('./wasm/native.ts');
  registerWasmTrainingKernels({ conv: kernels, threads: restore !== undefined && threadNote === '' ? wanted : 1 });
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
  const threads = kernels === 'darla' ? nativeKernels(tf.backend() as never).threads : wasm.getThreadsCount();
  const base = why === 'requested' ? 'requested' : 'CPU (XNNPACK)';
  const busyNote = threadsOpt === undefined && (fromEnv === undefined || fromEnv === '') && auto.note !== '' ? `; ${auto.note}` : '';
  wasmInfo = { name: 'wasm', reason: `${base}${busyNote}${threadNote}`, simd, threads, kernels };
  return wasmInfo;
}

/**
 * The wasm convolution kernels $DARLA_WASM_KERNELS asks for: 'darla' (the project's own, the
 * default) or 'xnnpack' (the earlier compositions of tfjs's XNNPACK operators, for comparison).
 */
export function wasmKernelsFromEnv(value: string | undefined): 'darla' | 'xnnpack' {
  if (value === undefined || value === '') return 'darla';
  if (value === 'darla' || value === 'xnnpack') return value;
  throw new UserError(`DARLA_WASM_KERNELS: must be 'darla' or 'xnnpack', got '${value}'`, 'DARLA_WASM_KERNELS');
}

/**
 * The default wasm pool size: one thread per core that other processes leave idle (cores minus the
 * 1-minute load average, rounded), at least 1. XNNPACK's pool waits for its slowest thread at every
 * operator, so a thread on a core another process is using slows every step; the results are the
 * same at any thread count (each output is computed by one thread).
 */
export function defaultWasmThreads(cores: number, load1: number): { threads: number; note: string } {
  const idle = Math.round(cores - load1);
  const threads = Math.max(1, Math.min(cores, idle));
  const note =
    threads < cores
      ? `${threads} thread${threads === 1 ? '' : 's'} on ${cores} cores: the machine is busy (load average ${load1.toFixed(1)}); set DARLA_WASM_THREADS to choose`
      : '';
  return { threads, note };
}

// --- cpu -----------------------------------------------------------------------------------------

async function useCpu(): Promise<BackendInfo> {
  await import('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend('cpu'))) throw new Error('the tfjs cpu backend failed to initialise');
  return { name: 'cpu', reason: 'requested (pure-JS reference kernels: correct, far too slow to train)' };
}
