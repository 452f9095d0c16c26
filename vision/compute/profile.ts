/**
 * A kernel-time profiler for synchronous backends (wasm, cpu): wraps every kernel registered for a
 * backend so that each top-level call adds its wall time to a per-kernel total. It is how the wasm
 * training kernels were chosen (what dominates a β-VAE step), and the bench writes its table into
 * the --out details. Wrapping costs ~a microsecond per kernel call; stop() restores the kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setStockKernelTimer } from './wasm/heap.ts';

export interface KernelTime {
  kernel: string;
  ms: number;
  calls: number;
}

export interface KernelProfiler {
  /** Zeroes the totals (e.g. after warm-up steps). */
  reset(): void;
  /** Totals so far, largest first. */
  report(): KernelTime[];
  /** Puts the original kernels back. */
  stop(): void;
}

/**
 * Starts timing every kernel of `backendName` (a synchronous backend). On wasm, the stock kernels
 * that our training kernels run inside themselves are reported too, as "Parent>Child" rows (their
 * time is also part of the parent's row).
 */
export function profileKernels(backendName: string): KernelProfiler {
  const totals = new Map<string, { ms: number; calls: number }>();
  const originals = tf.getKernelsForBackend(backendName);
  let depth = 0;
  let parent = '';
  const add = (name: string, ms: number) => {
    const t = totals.get(name) ?? { ms: 0, calls: 0 };
    t.ms += ms;
    t.calls += 1;
    totals.set(name, t);
  };
  if (backendName === 'wasm') setStockKernelTimer((kernel, ms) => add(`${parent}>${kernel}`, ms));
  for (const cfg of originals) {
    const inner = cfg.kernelFunc;
    const name = cfg.kernelName;
    tf.unregisterKernel(name, backendName);
    tf.registerKernel({
      ...cfg,
      kernelFunc: (args) => {
        if (depth > 0) return inner(args);
        depth++;
        parent = name;
        const t0 = performance.now();
        try {
          return inner(args);
        } finally {
          depth--;
          add(name, performance.now() - t0);
        }
      },
    });
  }
  return {
    reset: () => totals.clear(),
    report: () =>
      [...totals.entries()].map(([kernel, t]) => ({ kernel, ms: t.ms, calls: t.calls })).sort((a, b) => b.ms - a.ms),
    stop: () => {
      if (backendName === 'wasm') setStockKernelTimer(undefined);
      for (const cfg of originals) {
        tf.unregisterKernel(cfg.kernelName, backendName);
        tf.registerKernel(cfg);
      }
    },
  };
}
