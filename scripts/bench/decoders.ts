/**
 * What round three's levers cost per training step: the reference β-VAE with the deconvolution
 * decoder, with the spatial broadcast decoder (`--decoder broadcast`), and with the augmented
 * (blurred, Gaussian σ = 6 px) reconstruction term, on the wasm backend with the project's kernels.
 * The three configurations run interleaved in one process (round-robin, one step each), so a busy
 * machine slows them alike and the ratios hold; medians over the rounds. Also the decoders'
 * multiply-adds per image (forward), to compare the measured ratio with the arithmetic one.
 *
 *   npx tsx scripts/bench/decoders.ts [--rounds 15] [--batch 64] [--threads 1] [--out docs/bench/decoders.json]
 */
import fs from 'node:fs';
import os from 'node:os';
import { Command } from 'commander';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, describeBackend } from '../../vision/compute/backend.ts';
import { BROADCAST_FILTERS, BROADCAST_GRID } from '../../vision/vae/broadcast-decoder.ts';
import { BetaVae, DEFAULT_ARCH, type VaeArch } from '../../vision/vae/model.ts';
import { VaeTrainer } from '../../vision/vae/trainer.ts';
import type { Blur } from '../../vision/vae/augmented-recon.ts';
import { median } from './types.ts';

/** Forward multiply-adds per image of a decoder (convolutions and dense layers). */
export function decoderMacs(arch: VaeArch): number {
  const L = arch.latents;
  const C = arch.channels;
  const f = arch.convFilters;
  const deconv = (side: number, cin: number, cout: number) => side * side * cin * cout * 16;
  if (arch.decoder === 'broadcast') {
    const G = BROADCAST_GRID;
    const F = BROADCAST_FILTERS;
    return G * G * 9 * (L + 2) * F + G * G * 9 * F * F + deconv(G, F, F) + deconv(2 * G, F, C);
  }
  return L * arch.hidden + arch.hidden * 16 * f[3] + deconv(4, f[3], f[2]) + deconv(8, f[2], f[1]) + deconv(16, f[1], f[0]) + deconv(32, f[0], C);
}

async function main(): Promise<void> {
  const o = new Command()
    .option('--rounds <n>', 'timed rounds (one step of each configuration per round)', Number, 15)
    .option('--batch <n>', 'batch size', Number, 64)
    .option('--threads <n>', 'wasm threads', Number, 1)
    .option('--out <file>', 'write the JSON here too')
    .parse(process.argv)
    .opts<{ rounds: number; batch: number; threads: number; out?: string }>();
  const info = await selectBackend('wasm', { threads: o.threads, log: () => {} });
  const blur: Blur = { kernel: 'gaussian', sigma: 6, weight: 0.5 };
  const arch = { ...DEFAULT_ARCH, latents: 16 };
  const configs = [
    { name: 'deconv', arch, blur: undefined },
    { name: 'broadcast', arch: { ...arch, decoder: 'broadcast' as const }, blur: undefined },
    { name: 'deconv_blur', arch, blur },
  ];
  const x = tf.randomUniform([o.batch, 64, 64, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const runs = configs.map((c) => {
    const model = new BetaVae(c.arch, 1);
    return { ...c, model, trainer: new VaeTrainer(model, { kind: 'beta', beta: 4 }, { lr: 1e-4, seed: 1, blur: c.blur }), ms: [] as number[] };
  });
  const load = os.loadavg()[0];
  for (let round = -2; round < o.rounds; round++) {
    for (const r of runs) {
      const t0 = performance.now();
      await r.trainer.trainStep(x);
      if (round >= 0) r.ms.push(performance.now() - t0);
    }
  }
  const metrics: Record<string, number> = {};
  const base = median(runs[0].ms);
  for (const r of runs) {
    const ms = median(r.ms);
    metrics[`vae_train_img_per_sec_${r.name}`] = +((o.batch * 1000) / ms).toFixed(1);
    metrics[`step_ms_ratio_${r.name}_vs_deconv`] = +(ms / base).toFixed(3);
  }
  metrics.decoder_macs_deconv = decoderMacs(arch);
  metrics.decoder_macs_broadcast = decoderMacs({ ...arch, decoder: 'broadcast' });
  const result = { suite: 'decoders', backend: describeBackend(info), machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, load1Before: load, load1After: os.loadavg()[0] }, batch: o.batch, rounds: o.rounds, metrics };
  const line = JSON.stringify(result);
  process.stdout.write(line + '\n');
  if (o.out !== undefined) fs.writeFileSync(o.out, JSON.stringify(result, null, 2) + '\n');
  for (const r of runs) {
    r.trainer.dispose();
    r.model.dispose();
  }
  x.dispose();
}

await main();
