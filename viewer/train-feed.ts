/**
 * Feeding a training run into an attached viewer (viewer/attach.ts). Pretraining shows a held-out
 * frame, its reconstruction and its latents a few times a second, plus the loss terms; PPO shows
 * env 0's frame, the policy's input latents and its action probabilities. Publishing is rate-capped
 * and skipped when no page is connected, so training speed is unaffected without a viewer.
 */
import type { AgentSnapshot } from '../agent/ppo.ts';
import type { VaeStepStats, VaeTrainer } from '../vision/vae/trainer.ts';
import type { PretrainFrames } from '../vision/vae/data.ts';
import { decodeLatents, encodeFrames } from '../vision/vae/frames.ts';
import { attachViewer } from './attach.ts';
import { vaeLatentModel } from './models.ts';
import type { ViewerWorker } from './worker-host.ts';

const FRAME = 64 * 64 * 3;

export interface PretrainFeed {
  onStep: (stats: VaeStepStats, trainer: VaeTrainer, data: PretrainFrames) => Promise<void>;
  close: () => Promise<void>;
}

/** A viewer for β-VAE pretraining; it starts with the first step (when the model exists). */
export async function pretrainFeed(port: number, log: (line: string) => void, maxFps = 5): Promise<PretrainFeed> {
  let viewer: ViewerWorker | null = null;
  let next = 0;
  return {
    async onStep(stats, trainer, data) {
      viewer ??= await attachViewer({ port, title: 'pretraining the β-VAE', latentModel: vaeLatentModel(trainer.model), maxFps, log });
      viewer.publishScalars({ step: stats.step, loss: stats.loss, recon: stats.recon, kl: stats.kl, ...(stats.beta !== undefined ? { beta: stats.beta } : {}), ...(stats.capacity !== undefined ? { capacity: stats.capacity } : {}) });
      if (viewer.wantsFrame()) {
        const frame = data.evalFrames.subarray((next % data.evalCount) * FRAME, (next % data.evalCount + 1) * FRAME);
        next += 1;
        const { mu, sigma } = await encodeFrames(trainer.model, frame, 1);
        const recon = await decodeLatents(trainer.model, mu, 1);
        viewer.publish({ step: stats.step, frame, width: 64, height: 64, recon, mu, sigma, kl: Float32Array.from(stats.klPerDim) });
      }
      await viewer.pump();
    },
    async close() {
      await viewer?.close();
    },
  };
}

/** A viewer for PPO: env 0's frames, the policy's input and its action probabilities. */
export async function agentFeed(port: number, actionNames: string[], log: (line: string) => void, showFeatures: boolean): Promise<{ onSnapshot: (s: AgentSnapshot) => void; close: () => Promise<void> }> {
  const viewer = await attachViewer({ port, title: 'training the agent', actionNames, log });
  return {
    onSnapshot(s) {
      if (s.frame === null || !viewer.wantsFrame()) return;
      viewer.publish({
        step: s.globalStep,
        frame: s.frame,
        width: 64,
        height: 64,
        ...(showFeatures && s.features !== null ? { mu: s.features } : {}),
        action: s.action,
        probs: Float32Array.from(s.probs),
      });
    },
    close: () => viewer.close(),
  };
}
