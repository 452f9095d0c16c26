/**
 * Low-level access to the tfjs wasm backend for our training kernels: call the backend's own
 * (stock) kernels on TensorInfos, view a tensor's float32 memory inside the wasm heap, allocate
 * outputs and free intermediates. Kernels are synchronous and work on TensorInfos (not Tensors), so
 * everything here is too; an intermediate made here must be freed here (`free`), or it leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type WasmBackend = BackendWasm;
export type Attrs = Record<string, unknown>;

/** The backend's own kernel configs, captured before we register replacements over them. */
const stockKernels = new Map<string, tf.KernelConfig>();

/**
 * Remembers the wasm backend's own implementation of `name` (if it has one) so that our replacement
 * can still call it; returns it. Safe to call again: the first capture wins.
 */
export function rememberStockKernel(name: string): tf.KernelConfig | undefined {
  if (!stockKernels.has(name)) {
    const cfg = tf.getKernelsForBackend('wasm').find((k) => k.kernelName === name);
    if (cfg !== undefined) stockKernels.set(name, cfg);
  }
  return stockKernels.get(name);
}

/** Receives the time of every stock kernel our kernels run (profiling; see vision/compute/profile.ts). */
let stockTimer: ((kernel: string, ms: number) => void) | undefined;
export function setStockKernelTimer(timer: ((kernel: string, ms: number) => void) | undefined): void {
  stockTimer = timer;
}

/** Runs the wasm backend's own kernel `name` (the stock one, even if ours replaced it). */
export function runStock(name: string, backend: WasmBackend, inputs: Record<string, tf.TensorInfo>, attrs: Attrs = {}): tf.TensorInfo {
  const cfg = stockKernels.get(name) ?? tf.getKernel(name, 'wasm');
  if (cfg === undefined) throw new Error(`wasm backend has no kernel '${name}'`);
  const t0 = stockTimer === undefined ? 0 : performance.now();
  const out = cfg.kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap });
  if (stockTimer !== undefined) stockTimer(name, performance.now() - t0);
  if (Array.isArray(out)) throw new Error(`kernel '${name}' returned several outputs; expected one`);
  return out;
}

/** Frees intermediates made inside a kernel (decrements their reference count). */
export function free(backend: WasmBackend, ...infos: Array<tf.TensorInfo | undefined>): void {
  for (const info of infos) if (info !== undefined) backend.disposeData(info.dataId);
}

/** A new, uninitialised float32 tensor in the wasm heap. */
export function alloc(backend: WasmBackend, shape: number[]): tf.TensorInfo {
  return backend.makeOutput(shape, 'float32');
}

interface WasmModuleMemory {
  HEAPU8: Uint8Array;
  wasmMemory?: WebAssembly.Memory;
}

/**
 * The float32 view of a tensor's memory. Re-take it after anything that may allocate (another
 * kernel, `alloc`): a heap growth detaches old views.
 */
export function f32(backend: WasmBackend, info: tf.TensorInfo): Float32Array {
  const mod = backend.wasm as unknown as WasmModuleMemory;
  // The threaded build exports its (shared, growable) memory; prefer it over a possibly stale HEAPU8.
  const buffer = mod.wasmMemory !== undefined ? mod.wasmMemory.buffer : mod.HEAPU8.buffer;
  const { memoryOffset } = backend.dataIdMap.get(info.dataId);
  return new Float32Array(buffer, memoryOffset, tf.util.sizeFromShape(info.shape));
}

/**
 * The same memory as float64 pairs (for copying two floats per move), or undefined when the
 * tensor's memory is not 8-byte aligned. Element i of the result is floats 2i, 2i+1.
 */
export function pairs(backend: WasmBackend, info: tf.TensorInfo): Float64Array | undefined {
  const v = f32(backend, info);
  if (v.byteOffset % 8 !== 0) return undefined;
  return new Float64Array(v.buffer, v.byteOffset, v.length >> 1);
}

/** A float32 or int32 tensor's memory as the matching typed array (same caveat as f32). */
export function typedView(backend: WasmBackend, info: tf.TensorInfo): Float32Array | Int32Array {
  const v = f32(backend, info);
  if (info.dtype === 'float32') return v;
  if (info.dtype === 'int32') return new Int32Array(v.buffer, v.byteOffset, v.length);
  throw new Error(`typedView: unsupported dtype ${info.dtype}`);
}

/** Same data, new shape (no copy); free the result like any intermediate. */
export function reshape(backend: WasmBackend, x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return runStock('Reshape', backend, { x }, { shape });
}

/** A float32 tensor in the wasm heap holding `values`. */
export function fromValues(backend: WasmBackend, shape: number[], values: Float32Array): tf.TensorInfo {
  const out = alloc(backend, shape);
  f32(backend, out).set(values);
  return out;
}
