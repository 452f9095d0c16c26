/**
 * Round three's cheap checks (docs/vision.md, "Round three"): can a β-VAE, trained for a few minutes
 * on purpose-built frames, order one object's position, and bind two or three objects' positions?
 * One command per run, one JSON line out (and appended to --out):
 *
 *   npx tsx scripts/study/binding.ts --scene square --decoder broadcast --beta 16 --steps 1500 --seed 0
 *
 * Scenes (black background, sprites as the world draws them, 12-px unless the scene says):
 *   square      one warm 12-px filled square on the 5×5 board's cells (25 frames; --subcell 2: every
 *               2 px, 625 frames)
 *   three       white plus (agent), warm square (goal), cool ring (hazard) in distinct cells
 *   two         square and ring only, in distinct cells (no agent marker)
 *   ego         agent-centred: the agent is the frame's centre (not drawn); the window shows
 *               --window cells per side around it (board cells outside the board drawn grey) on a
 *               --board × --board board; goal and hazard at their offsets from the agent; cell size
 *               is what fits the frame, objects --object-px (default: the cell)
 * Measures: single object — best |Spearman ρ| of any latent mean with x and with y, the gap to the
 * next latent, and active latents (mean KL > 0.1 nats); several objects — R² of a ridge (linear) and
 * a 128-unit MLP reader of each object's x and y from μ on held-out frames (a policy's view of it).
 * Training is the project's: BetaVae (deconv or broadcast decoder), VaeTrainer, β warmed up over the
 * first 40% of steps, Adam, optional augmented (blurred) reconstruction.
 */
import fs from 'node:fs';
import { Command, Option } from 'commander';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, mixSeed } from '../../envs/core/rng.ts';
import { FRAME_BYTES, FRAME_SIZE } from '../../envs/shapeworld/factors.ts';
import { blit } from '../../envs/shapeworld/painter.ts';
import { agentMarker, shapeSprite } from '../../envs/shapeworld/shapes.ts';
import { selectBackend } from '../../vision/compute/backend.ts';
import { BetaVae, DEFAULT_ARCH, type DecoderKind } from '../../vision/vae/model.ts';
import { VaeTrainer } from '../../vision/vae/trainer.ts';
import { encodeFrames, framesToTensor } from '../../vision/vae/frames.ts';
import type { Blur } from '../../vision/vae/augmented-recon.ts';
import { fitMlp, fitRidge, predictMlp, predictRidge, r2Score } from '../../vision/metrics/probe.ts';
import { activeUnitsByKl, klPerLatent } from '../../vision/metrics/kl.ts';
import { pearson } from '../pipeline/sweep.ts';

const WARM: readonly [number, number, number][] = [
  [0xe6, 0x19, 0x4b],
  [0xf5, 0x82, 0x31],
  [0xff, 0xe1, 0x19],
];
const COOL: readonly [number, number, number][] = [
  [0x43, 0x63, 0xd8],
  [0x42, 0xd4, 0xf4],
  [0x91, 0x1e, 0xb4],
];
const OFF_BOARD = 96;

interface SceneSpec {
  scene: 'square' | 'three' | 'two' | 'ego';
  subcell: number;
  board: number;
  window: number;
  objectPx?: number;
}

interface SceneData {
  frames: Uint8Array;
  count: number;
  /** Per frame: the objects' coordinates (name → [x, y]) in their own units. */
  targets: Float64Array;
  targetNames: string[];
}

/** Renders the scene's frames (a fixed list for square, a seeded sample for the others). */
function makeScene(spec: SceneSpec, count: number, seed: number): SceneData {
  const rng = new Rng(mixSeed(seed, 0x5ce7e));
  if (spec.scene === 'square') {
    const cell = 12;
    const first = 8;
    const step = spec.subcell > 0 ? spec.subcell : cell;
    const positions: number[] = [];
    for (let p = first; p <= first + 4 * cell; p += step) positions.push(p);
    const n = positions.length * positions.length;
    const frames = new Uint8Array(n * FRAME_BYTES);
    const targets = new Float64Array(n * 2);
    const sprite = shapeSprite('square', 12, 0);
    let i = 0;
    for (const y of positions) {
      for (const x of positions) {
        blit(frames, i * FRAME_BYTES, sprite, x, y, WARM[1][0], WARM[1][1], WARM[1][2]);
        targets[2 * i] = x;
        targets[2 * i + 1] = y;
        i++;
      }
    }
    return { frames, count: n, targets, targetNames: ['x', 'y'] };
  }
  const frames = new Uint8Array(count * FRAME_BYTES);
  if (spec.scene === 'ego') {
    const B = spec.board;
    const W = spec.window;
    const cell = 2 * Math.floor(FRAME_SIZE / (2 * W));
    const origin = (FRAME_SIZE - W * cell) / 2;
    const size = spec.objectPx ?? cell;
    const goal = shapeSprite('square', size, 0);
    const hazard = shapeSprite('ring', size, 0);
    const half = (W - 1) / 2;
    const targets = new Float64Array(count * 4);
    for (let i = 0; i < count; i++) {
      const o = i * FRAME_BYTES;
      const cells = rng.permutation(B * B);
      const [a, g, h] = [cells[0], cells[1], cells[2]];
      const ax = a % B;
      const ay = Math.floor(a / B);
      // Window cell (u, v) shows board cell (ax + u − half, ay + v − half): grey off the board.
      for (let v = 0; v < W; v++) {
        for (let u = 0; u < W; u++) {
          const bx = ax + u - half;
          const by = ay + v - half;
          if (bx >= 0 && bx < B && by >= 0 && by < B) continue;
          for (let yy = origin + v * cell; yy < origin + (v + 1) * cell; yy++) {
            for (let xx = origin + u * cell; xx < origin + (u + 1) * cell; xx++) frames.fill(OFF_BOARD, o + (yy * FRAME_SIZE + xx) * 3, o + (yy * FRAME_SIZE + xx) * 3 + 3);
          }
        }
      }
      const centre = (d: number) => origin + (half + d) * cell + cell / 2;
      const gdx = (g % B) - ax;
      const gdy = Math.floor(g / B) - ay;
      const hdx = (h % B) - ax;
      const hdy = Math.floor(h / B) - ay;
      const hc = COOL[rng.int(3)];
      const gc = WARM[rng.int(3)];
      blit(frames, o, hazard, centre(hdx), centre(hdy), hc[0], hc[1], hc[2]);
      blit(frames, o, goal, centre(gdx), centre(gdy), gc[0], gc[1], gc[2]);
      targets.set([gdx, gdy, hdx, hdy], i * 4);
    }
    return { frames, count, targets, targetNames: ['goal_dx', 'goal_dy', 'hazard_dx', 'hazard_dy'] };
  }
  const withAgent = spec.scene === 'three';
  const t = withAgent ? 6 : 4;
  const targets = new Float64Array(count * t);
  const goal = shapeSprite('square', 12, 0);
  const hazard = shapeSprite('ring', 12, 0);
  const marker = agentMarker(12);
  const px = (c: number) => 8 + 12 * c;
  for (let i = 0; i < count; i++) {
    const o = i * FRAME_BYTES;
    const cells = rng.permutation(25);
    const g = cells[0];
    const h = cells[1];
    const a = cells[2];
    const hc = COOL[rng.int(3)];
    const gc = WARM[rng.int(3)];
    blit(frames, o, hazard, px(h % 5), px(Math.floor(h / 5)), hc[0], hc[1], hc[2]);
    blit(frames, o, goal, px(g % 5), px(Math.floor(g / 5)), gc[0], gc[1], gc[2]);
    const row = [g % 5, Math.floor(g / 5), h % 5, Math.floor(h / 5)];
    if (withAgent) {
      blit(frames, o, marker.outline, px(a % 5), px(Math.floor(a / 5)), 0, 0, 0);
      blit(frames, o, marker.fill, px(a % 5), px(Math.floor(a / 5)), 255, 255, 255);
      row.push(a % 5, Math.floor(a / 5));
    }
    targets.set(row, i * t);
  }
  return { frames, count, targets, targetNames: withAgent ? ['goal_x', 'goal_y', 'hazard_x', 'hazard_y', 'agent_x', 'agent_y'] : ['goal_x', 'goal_y', 'hazard_x', 'hazard_y'] };
}

function ranks(v: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: v.length }, (_, i) => i).sort((a, b) => v[a] - v[b]);
  const r = new Float64Array(v.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && v[idx[j + 1]] === v[idx[i]]) j++;
    for (let k = i; k <= j; k++) r[idx[k]] = (i + j) / 2;
    i = j + 1;
  }
  return r;
}

/** Spearman's ρ: Pearson's correlation of the ranks (ties averaged); 0 for a constant latent. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const rho = pearson(Array.from(ranks(a)), Array.from(ranks(b)));
  return Number.isNaN(rho) ? 0 : rho;
}

function standardise(x: Float64Array, n: number, d: number, ref: Float64Array, nRef: number): Float64Array {
  const out = new Float64Array(n * d);
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (let i = 0; i < nRef; i++) m += ref[i * d + j];
    m /= nRef;
    let s = 0;
    for (let i = 0; i < nRef; i++) s += (ref[i * d + j] - m) ** 2;
    s = Math.sqrt(s / nRef) || 1;
    for (let i = 0; i < n; i++) out[i * d + j] = (x[i * d + j] - m) / s;
  }
  return out;
}

async function main(): Promise<void> {
  const program = new Command()
    .addOption(new Option('--scene <kind>').choices(['square', 'three', 'two', 'ego']).makeOptionMandatory())
    .addOption(new Option('--decoder <kind>').choices(['deconv', 'broadcast']).default('deconv'))
    .option('--beta <x>', 'β', Number, 4)
    .option('--latents <n>', 'latents', Number, 16)
    .option('--steps <n>', 'training steps', Number, 3000)
    .option('--batch <n>', 'batch size', Number, 32)
    .option('--lr <x>', 'Adam learning rate', Number, 1e-3)
    .option('--seed <n>', 'seed', Number, 0)
    .option('--subcell <px>', 'square: positions every this many pixels (0: cells)', Number, 0)
    .option('--board <n>', 'ego: board side in cells', Number, 5)
    .option('--window <n>', 'ego: window side in cells (odd)', Number, 9)
    .option('--object-px <n>', 'ego: object size in pixels (default: the cell)', Number)
    .option('--blur-sigma <px>', 'augmented loss: Gaussian σ (absent: no blur)', Number)
    .option('--blur-weight <w>', 'augmented loss: weight', Number, 0.5)
    .option('--frames <n>', 'frames for the multi-object scenes (last 20% held out)', Number, 12000)
    .option('--out <file>', 'append the JSON line here')
    .option('--sheet <png>', 'write the first 16 frames as a 4×4 contact sheet and exit')
    .parse(process.argv);
  const o = program.opts<{ scene: SceneSpec['scene']; decoder: DecoderKind; beta: number; latents: number; steps: number; batch: number; lr: number; seed: number; subcell: number; board: number; window: number; objectPx?: number; blurSigma?: number; blurWeight: number; frames: number; out?: string; sheet?: string }>();
  await selectBackend('wasm', { log: () => {} });
  const data = makeScene({ scene: o.scene, subcell: o.subcell, board: o.board, window: o.window, objectPx: o.objectPx }, o.frames, o.seed);
  if (o.sheet !== undefined) {
    const { PNG } = await import('pngjs');
    const png = new PNG({ width: 4 * 66, height: 4 * 66 });
    png.data.fill(255);
    for (let k = 0; k < Math.min(16, data.count); k++) {
      const ox = (k % 4) * 66 + 1;
      const oy = Math.floor(k / 4) * 66 + 1;
      for (let y = 0; y < 64; y++) {
        for (let x = 0; x < 64; x++) {
          const src = k * FRAME_BYTES + (y * 64 + x) * 3;
          const dst = ((oy + y) * png.width + ox + x) * 4;
          png.data[dst] = data.frames[src];
          png.data[dst + 1] = data.frames[src + 1];
          png.data[dst + 2] = data.frames[src + 2];
          png.data[dst + 3] = 255;
        }
      }
    }
    fs.writeFileSync(o.sheet, PNG.sync.write(png));
    return;
  }
  const single = o.scene === 'square';
  const nTrain = single ? data.count : Math.floor(0.8 * data.count);
  const blur: Blur | undefined = o.blurSigma !== undefined ? { kernel: 'gaussian', sigma: o.blurSigma, weight: o.blurWeight } : undefined;
  const model = new BetaVae({ ...DEFAULT_ARCH, latents: o.latents, decoder: o.decoder }, mixSeed(o.seed, 0x1a17));
  const trainer = new VaeTrainer(model, { kind: 'beta', beta: o.beta, warmupSteps: Math.round(0.4 * o.steps) }, { lr: o.lr, seed: o.seed, blur });
  const rng = new Rng(mixSeed(o.seed, 0xba7c));
  const batch = new Uint8Array(o.batch * FRAME_BYTES);
  const t0 = performance.now();
  let last = { recon: 0, kl: 0 };
  for (let s = 0; s < o.steps; s++) {
    for (let i = 0; i < o.batch; i++) {
      const k = rng.int(nTrain);
      batch.set(data.frames.subarray(k * FRAME_BYTES, (k + 1) * FRAME_BYTES), i * FRAME_BYTES);
    }
    const x = framesToTensor(batch, o.batch);
    const st = await trainer.trainStep(x);
    x.dispose();
    last = { recon: st.recon, kl: st.kl };
    if ((s + 1) % 250 === 0) process.stderr.write(`step ${s + 1}/${o.steps} recon ${st.recon.toFixed(1)} KL ${st.kl.toFixed(2)} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
  }
  const minutes = (performance.now() - t0) / 60000;
  const enc = await encodeFrames(model, data.frames, data.count);
  const L = o.latents;
  const klPerDim = klPerLatent(enc.mu, Float64Array.from(enc.sigma, (sd) => 2 * Math.log(sd)), data.count, L);
  const active = activeUnitsByKl(klPerDim, 0.1);
  const result: Record<string, unknown> = { ...o, out: undefined, minutes: +minutes.toFixed(2), recon: +last.recon.toFixed(2), kl: +last.kl.toFixed(3), active, klPerDim: Array.from(klPerDim, (k) => +k.toFixed(3)) };
  const T = data.targetNames.length;
  if (single) {
    for (let t = 0; t < T; t++) {
      const target = Array.from({ length: data.count }, (_, i) => data.targets[i * T + t]);
      const rhos = Array.from({ length: L }, (_, j) => Math.abs(spearman(Array.from({ length: data.count }, (_, i) => enc.mu[i * L + j]), target))).sort((a, b) => b - a);
      result[`rho_${data.targetNames[t]}`] = +rhos[0].toFixed(3);
      result[`gap_${data.targetNames[t]}`] = +(rhos[0] - rhos[1]).toFixed(3);
    }
  } else {
    const mu = Float64Array.from(enc.mu);
    const nTest = data.count - nTrain;
    const xTrain = standardise(mu.subarray(0, nTrain * L), nTrain, L, mu, nTrain);
    const xTest = standardise(mu.subarray(nTrain * L), nTest, L, mu, nTrain);
    const yTrain = data.targets.subarray(0, nTrain * T);
    const yTest = data.targets.subarray(nTrain * T);
    const mlpTrain = Math.min(nTrain, 4000);
    const mlp = fitMlp(xTrain.subarray(0, mlpTrain * L), Float64Array.from(yTrain.subarray(0, mlpTrain * T)), mlpTrain, L, T, { hidden: 128, epochs: 200, batchSize: 64, lr: 3e-3, seed: o.seed });
    const mlpPred = predictMlp(mlp, xTest, nTest);
    for (let t = 0; t < T; t++) {
      const y = Float64Array.from({ length: nTrain }, (_, i) => yTrain[i * T + t]);
      const yt = Float64Array.from({ length: nTest }, (_, i) => yTest[i * T + t]);
      const ridge = fitRidge(xTrain, y, nTrain, L, 1e-3);
      const lin = r2Score(predictRidge(ridge, xTest, nTest, L), yt);
      const nl = r2Score(Float64Array.from({ length: nTest }, (_, i) => mlpPred[i * T + t]), yt);
      result[`linear_${data.targetNames[t]}`] = +lin.toFixed(3);
      result[`mlp_${data.targetNames[t]}`] = +nl.toFixed(3);
    }
  }
  model.dispose();
  trainer.dispose();
  tf.disposeVariables();
  const line = JSON.stringify(result);
  process.stdout.write(line + '\n');
  if (o.out !== undefined) fs.appendFileSync(o.out, line + '\n');
}

await main();
