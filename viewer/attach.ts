/**
 * Attach mode: a trainer (β-VAE pretraining or PPO) starts the viewer in its own process and
 * streams into it. The server runs in a worker thread (viewer/worker-host.ts), so sockets never
 * run on the trainer's thread; the trainer only ever calls cheap, non-blocking methods:
 *
 *   const viewer = opts.view ? await attachViewer({ port: opts.viewPort, title: 'pretrain β-VAE', latentModel }) : null;
 *   for (let step = 0; ; step++) {
 *     … one training step …
 *     if (viewer?.wantsFrame()) {                       // O(1); false with no client or inside the fps cap
 *       viewer.publish({ step, frame, width: 64, height: 64, mu, sigma, recon, kl });   // copied; buffers reusable
 *     }
 *     viewer?.publishScalars({ step, loss, recon: reconLoss, kl: klTotal });           // merged, ≤ 10 Hz
 *     if (viewer) await viewer.pump();                  // lets latent-explorer decodes run (≤ 1 macrotask / 10 ms)
 *   }
 *   await viewer?.close();
 *
 * PPO does the same with the rollout's env-0 frame, μ, the action probabilities and rewards, and
 * calls `publishEpisode({event: 'end', episode, return, length})` when env 0 finishes an episode.
 * Controls that would change training (pause, variant, reset) are disabled on the page; the latent
 * explorer works when a `latentModel` is given (decodes run between training steps).
 */
import type { LatentModel } from './source.ts';
import { ViewerWorker } from './worker-host.ts';

export interface AttachOptions {
  host?: string;
  port?: number;
  /** Shown as the page title, e.g. 'pretrain β-VAE (run runs/vae-1)'. */
  title?: string;
  /** For the latent explorer (decode) and latent labels; optional. */
  latentModel?: LatentModel;
  actionNames?: string[];
  /** Frames per second sent to pages at most; default 30. */
  maxFps?: number;
  /** Serve the page (default true; tests without a browser turn it off). */
  servePage?: boolean;
  log?: (line: string) => void;
}

/** Starts a viewer server (in a worker thread) in attach mode and prints where to open it. */
export async function attachViewer(opts: AttachOptions = {}): Promise<ViewerWorker> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const viewer = await ViewerWorker.start({
    host: opts.host,
    port: opts.port,
    latentModel: opts.latentModel,
    maxFps: opts.maxFps,
    servePage: opts.servePage,
    log,
    meta: { mode: 'attach', title: opts.title ?? 'darla training', actionNames: opts.actionNames ?? [] },
  });
  log(`viewer: watching training at ${viewer.url}`);
  return viewer;
}
