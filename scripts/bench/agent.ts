/**
 * `darla bench agent`: PPO env-steps/s for each observation front-end with the default agent config
 * (16 envs × 64 steps per update, 4 epochs × 4 minibatches), everything included: env stepping and
 * rendering, batched encoder inference (darla, entangled), the policy's forward passes, GAE and the
 * minibatch updates. Metric `ppo_env_steps_per_sec_<frontend>` for darla, entangled, pixels, oracle:
 * the median over updates (per-update steps / wall time), after one warm-up update; the final
 * update (which runs the end-of-training evaluation) is not counted. Also
 * `ppo_env_steps_per_cpu_sec_<frontend>`: the same per CPU-second of this process (all threads),
 * which holds up when other processes load the machine. The latent front-ends use
 * reference-architecture β-VAEs with random weights: inference costs the same as a trained one.
 */
import { useBackend } from '../../agent/backend.ts';
import type { FrontendKind } from '../../agent/config.ts';
import { trainAgent } from '../../agent/ppo.ts';
import type { LoadedVae } from '../../vision/vae/load.ts';
import { BetaVae, DEFAULT_ARCH } from '../../vision/vae/model.ts';
import { median, type BenchSuite } from './types.ts';

const FRONTENDS: FrontendKind[] = ['oracle', 'darla', 'entangled', 'pixels'];

function randomVae(seed: number, beta: number): LoadedVae {
  const model = new BetaVae(DEFAULT_ARCH, seed);
  return {
    model,
    info: {
      kind: 'vae',
      arch: DEFAULT_ARCH,
      step: 0,
      objective: { kind: 'beta', beta },
      seenVariants: [],
      optimizerStep: 0,
      seed,
      fingerprint: `random-${seed}`,
      path: '(random weights, bench)',
    },
  };
}

export const run: BenchSuite = async ({ quick, backend: choice, seed, log }) => {
  const backend = await useBackend(choice, log);
  const metrics: Record<string, number> = {};
  const details: Record<string, unknown> = {};
  for (const frontend of FRONTENDS) {
    const measured = frontend === 'pixels' ? (quick ? 1 : 3) : quick ? 3 : 8;
    const updates = measured + 2; // warm-up + measured + final (with evaluation, not counted)
    const vae = frontend === 'darla' || frontend === 'entangled' ? randomVae(seed + (frontend === 'darla' ? 1 : 2), frontend === 'darla' ? 4 : 1) : undefined;
    const rates: number[] = [];
    const cpuRates: number[] = [];
    let last = performance.now();
    let lastCpu = process.cpuUsage();
    let lastStep = 0;
    const cfg = { env: 'ShapeWorld-v0', frontend, seed, vae: vae?.info.path, evalInterval: 0, evalEpisodes: 1, checkpointInterval: 1000 };
    const batch = 16 * 64;
    log(`${frontend}: ${updates} updates of ${batch} steps`);
    try {
      await trainAgent(
        { ...cfg, totalSteps: updates * batch },
        {
          vae,
          onProgress: (p) => {
            const now = performance.now();
            const cpu = process.cpuUsage(lastCpu);
            if (p.update >= 2 && p.update < updates) {
              rates.push((p.globalStep - lastStep) / ((now - last) / 1000));
              cpuRates.push((p.globalStep - lastStep) / ((cpu.user + cpu.system) / 1e6));
            }
            last = now;
            lastCpu = process.cpuUsage();
            lastStep = p.globalStep;
          },
        },
      );
    } finally {
      vae?.model.dispose();
    }
    metrics[`ppo_env_steps_per_sec_${frontend}`] = Math.round(median(rates));
    metrics[`ppo_env_steps_per_cpu_sec_${frontend}`] = Math.round(median(cpuRates));
    details[frontend] = { perUpdateStepsPerSec: rates.map(Math.round), perUpdateStepsPerCpuSec: cpuRates.map(Math.round), batch };
    log(`${frontend}: ${Math.round(median(rates))} env steps/s, ${Math.round(median(cpuRates))} per CPU-second`);
  }
  return { backend, metrics, details };
};
