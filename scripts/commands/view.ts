/**
 * `darla view`: serves the live viewer (page + WebSocket) on 127.0.0.1 and plays an agent in the
 * shape world (any variant, switchable from the page). `--agent` plays a trained policy (its β-VAE
 * comes along for the latent front-ends); `--vae` shows a pretrained β-VAE's latents and
 * reconstructions. Without them it plays a seeded random policy, and the latents are 2×2 patch mean
 * colours (viewer/patch-model.ts). Training runs stream into the same page with their own `--view`
 * flag (viewer/attach.ts).
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { allowHostOption, backendOption, floatInRange, intInRange, seedOption, type BackendChoice } from '../cli/options.ts';

interface ViewOptions {
  host: string;
  port: number;
  allowHost?: string[];
  env: string;
  variant?: string;
  variants?: string[];
  fps: number;
  seed: number;
  paused: boolean;
  exitAfter?: number;
  vae?: string;
  agent?: string;
  greedy: boolean;
  backend: BackendChoice;
}

function variantList(raw: string): string[] {
  const names = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.length === 0) throw new InvalidArgumentError('expected a comma-separated list of variant names.');
  return names;
}

export function register(program: Command): void {
  program
    .command('view')
    .description('serve the live viewer in the browser: watch an agent play any variant, its frames, reconstructions and latents')
    .option('--host <addr>', 'interface to listen on (anything but loopback is printed as a warning)', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0 = any free port)', intInRange(0, 65535), 8420)
    .addOption(allowHostOption())
    .option('--env <id>', 'registered env to play', 'ShapeWorld-v0')
    .option('--variant <v>', 'start variant: a name, inline JSON or a .json file (default: source)')
    .option('--variants <names>', 'comma-separated variants the page can switch between (default: all named)', variantList)
    .option('--fps <n>', 'environment steps per second (0.5–240)', floatInRange(0.5, 240), 10)
    .option('--paused', 'start paused (resume or step from the page)', false)
    .option('--exit-after <seconds>', 'stop after this many seconds (for scripts); default: run until Ctrl-C', floatInRange(0, 1e7, { exclusiveMin: true }))
    .option('--vae <run>', 'pretraining run (or checkpoint) whose β-VAE encodes and decodes the frames')
    .option('--agent <run>', 'train-agent run (or policy checkpoint) to play; its encoder is used unless --vae is given')
    .option('--greedy', 'play the most probable action instead of sampling', false)
    .addOption(backendOption())
    .addOption(seedOption())
    .action(async (opts: ViewOptions) => {
      const log = (line: string) => process.stderr.write(`${line}\n`);
      if (opts.vae !== undefined || opts.agent !== undefined) {
        const { selectBackend } = await import('../../vision/compute/backend.ts');
        await selectBackend(opts.backend, { log });
      }
      const { launchViewer } = await import('../../viewer/launch.ts');
      const { viewer, describe, start } = await launchViewer({ ...opts, title: `darla · ${opts.env}`, log });
      log(`viewer: open ${viewer.server.url}  (${opts.env}, variant ${start}; ${describe})`);
      // The listening server keeps the process alive until Ctrl-C, SIGTERM or --exit-after.
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
        if (opts.exitAfter !== undefined) setTimeout(resolve, opts.exitAfter * 1000).unref();
      });
      log(`viewer: stopping after ${viewer.session.steps} steps`);
      await viewer.close();
    });
}

