/**
 * The viewer's public API: start a play viewer (an agent or a random policy playing any variant)
 * or attach one to a training run (viewer/attach.ts), plus the interfaces it consumes.
 */
import { MAX_FPS, PlaySession, type PlayOptions } from './play.ts';
import { ViewerServer } from './server.ts';

export { attachViewer, type AttachOptions } from './attach.ts';
export { PatchMeansModel } from './patch-model.ts';
export { PlaySession, type PlayOptions } from './play.ts';
export { ViewerServer, type ViewerServerOptions, type PlayController } from './server.ts';
export { ViewerWorker, type ViewerWorkerOptions } from './worker-host.ts';
export type { EnvFactory, EpisodeEvent, LatentModel, PolicyModel, Scalars, Snapshot } from './source.ts';
export { randomPolicy } from './source.ts';

export interface PlayViewerOptions extends PlayOptions {
  host?: string;
  port?: number;
  /** Host names besides loopback ones the page may be opened under (see ViewerServerOptions). */
  allowedHosts?: string[];
  title?: string;
  /** Frames per second sent to pages at most; default MAX_FPS (240): the session's own speed paces it. */
  maxFps?: number;
}

export interface PlayViewer {
  server: ViewerServer;
  session: PlaySession;
  close(): Promise<void>;
}

/** Starts the server and a play session driving it; resolves once the first frame is ready. */
export async function startPlayViewer(opts: PlayViewerOptions): Promise<PlayViewer> {
  const session = new PlaySession(opts);
  const server = await ViewerServer.start({
    host: opts.host,
    port: opts.port,
    allowedHosts: opts.allowedHosts,
    latentModel: opts.latentModel,
    controller: session,
    maxFps: opts.maxFps ?? MAX_FPS,
    log: opts.log,
    meta: { mode: 'play', title: opts.title ?? 'darla play' },
  });
  try {
    await session.start(server);
  } catch (err) {
    await server.close();
    throw err;
  }
  return {
    server,
    session,
    async close() {
      await session.stop();
      await server.close();
    },
  };
}
