/**
 * Picks the tfjs backend for agent commands and scripts: vision/compute's `selectBackend` (which
 * also registers the fast wasm training kernels) when that module is present; otherwise the stock
 * tfjs backends directly ('auto' → wasm). Returns the name of the backend now active.
 *
 * wasm runs with ONE thread for the agent unless DARLA_WASM_THREADS says otherwise: PPO's ops are
 * small (64-wide MLPs, 16-frame encoder batches) and measured 3–4× slower with 2 XNNPACK threads on
 * the 2-core machine (oracle PPO ~3.4–4.0k vs ~0.9–1.3k env steps/s, alternating runs, load ~6).
 */
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../envs/core/errors.ts';

interface SelectBackend {
  selectBackend(choice: string, opts?: { log?: (s: string) => void; threads?: number }): Promise<{ name: string }>;
}

/** wasm threads for agent work: $DARLA_WASM_THREADS when set, else 1. */
export function agentWasmThreads(): number | undefined {
  return process.env.DARLA_WASM_THREADS === undefined ? 1 : undefined;
}

export async function useBackend(choice: string, log: (s: string) => void = () => {}): Promise<string> {
  // A computed specifier: the compute module may not exist in every checkout.
  const computeModule: string = '../vision/compute/backend.ts';
  let compute: SelectBackend | null = null;
  try {
    compute = (await import(computeModule)) as SelectBackend;
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
  }
  if (compute !== null) return (await compute.selectBackend(choice, { log, threads: agentWasmThreads() })).name;
  const name = choice === 'auto' ? 'wasm' : choice;
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  else if (name === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
  else throw new UserError(`--backend ${choice} needs vision/compute (not present in this checkout); use wasm or cpu`, '--backend');
  if (!(await tf.setBackend(name))) throw new UserError(`--backend ${name} failed to initialise`, '--backend');
  await tf.ready();
  log(`backend ${name} (stock tfjs kernels)`);
  return name;
}
