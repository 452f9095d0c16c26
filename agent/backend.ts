/**
 * Picks the tfjs backend for agent commands and scripts through vision/compute's `selectBackend`
 * (which also registers the fast wasm training kernels the pixels agent needs) and returns the name
 * of the backend now active.
 *
 * wasm runs with ONE thread for the agent unless DARLA_WASM_THREADS says otherwise: PPO's ops are
 * small (64-wide MLPs, 16-frame encoder batches) and measured 3–4× slower with 2 XNNPACK threads on
 * the 2-core machine (oracle PPO ~3.4–4.0k vs ~0.9–1.3k env steps/s, alternating runs, load ~6).
 */
import { selectBackend, type BackendChoice } from '../vision/compute/backend.ts';

/** wasm threads for agent work: $DARLA_WASM_THREADS when set, else 1. */
export function agentWasmThreads(): number | undefined {
  return process.env.DARLA_WASM_THREADS === undefined ? 1 : undefined;
}

export async function useBackend(choice: string, log: (s: string) => void = () => {}): Promise<string> {
  return (await selectBackend(choice as BackendChoice, { log, threads: agentWasmThreads() })).name;
}
