/**
 * `darla view`: serves the live viewer (page + WebSocket) on 127.0.0.1 and plays an agent in the
 * shape world (any variant, switchable from the page). Without a trained agent it plays a seeded
 * random policy; without a β-VAE checkpoint the latents are 2×2 patch mean colours
 * (viewer/patch-model.ts). Training runs stream into the same page with their own `--view` flag
 * (viewer/attach.ts).
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { floatInRange, intInRange, seedOption } from '../cli/options.ts';

interface ViewOptions {
  host: string;
  port: number;
  env: string;
  variant?: string;
  variants?: string[];
  fps: number;
  seed: number;
  paused: boolean;
  exitAfter?: number;
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
    .option('--env <id>', 'registered env to play', 'ShapeWorld-v0')
    .option('--variant <v>', 'start variant: a name, inline JSON or a .json file (default: source)')
    .option('--variants <names>', 'comma-separated variants the page can switch between (default: all named)', variantList)
    .option('--fps <n>', 'environment steps per second (0.5–240)', floatInRange(0.5, 240), 10)
    .option('--paused', 'start paused (resume or step from the page)', false)
    .option('--exit-after <seconds>', 'stop after this many seconds (for scripts); default: run until Ctrl-C', floatInRange(0, 1e7, { exclusiveMin: true }))
    .addOption(seedOption())
    .action(async (opts: ViewOptions) => {
      const { worldSource } = await import('../../viewer/world.ts');
      const { startPlayViewer } = await import('../../viewer/index.ts');
      const { PatchMeansModel } = await import('../../viewer/patch-model.ts');
      const world = worldSource({ envId: opts.env, variant: opts.variant, variants: opts.variants });
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const viewer = await startPlayViewer({
        host: opts.host,
        port: opts.port,
        title: `darla · ${opts.env}`,
        makeEnv: world.makeEnv,
        variants: world.variants,
        variant: world.start,
        actionNames: world.actionNames,
        latentModel: new PatchMeansModel(),
        seed: opts.seed,
        fps: opts.fps,
        paused: opts.paused,
        log,
      });
      log(`viewer: open ${viewer.server.url}  (${opts.env}, variant ${world.start}; random policy; latents = 2×2 patch mean colours, no β-VAE loaded)`);
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
