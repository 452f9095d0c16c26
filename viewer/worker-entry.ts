/**
 * The worker side of viewer/worker-host.ts: runs a ViewerServer on this thread's event loop, takes
 * snapshots and scalars from the host thread, reports the client count back, and forwards the
 * latent explorer's decode requests to the host, where the model lives.
 */
import { parentPort } from 'node:worker_threads';
import { UserError } from '../envs/core/errors.ts';
import { ViewerServer } from './server.ts';
import type { LatentModel } from './source.ts';
import type { FromWorker, ToWorker, WorkerServerOptions } from './worker-host.ts';

const port = parentPort;
if (port === null) throw new Error('viewer/worker-entry.ts must run in a worker thread');

const send = (msg: FromWorker) => port.postMessage(msg);
let server: ViewerServer | null = null;
let nextRequest = 1;
const waiting = new Map<number, { resolve: (img: Uint8Array) => void; reject: (err: Error) => void }>();

/** A decoder that asks the host thread's model. */
function remoteDecoder(d: NonNullable<WorkerServerOptions['decoder']>): LatentModel {
  return {
    latentDim: d.latentDim,
    latentLabels: d.latentLabels,
    encode: () => Promise.reject(new Error('the viewer worker only decodes')),
    decode: (z) =>
      new Promise<Uint8Array>((resolve, reject) => {
        const requestId = nextRequest++;
        waiting.set(requestId, { resolve, reject });
        send({ op: 'decode', requestId, z });
      }),
  };
}

async function start(o: WorkerServerOptions): Promise<void> {
  try {
    server = await ViewerServer.start({
      host: o.host,
      port: o.port,
      meta: o.meta,
      maxFps: o.maxFps,
      scalarsHz: o.scalarsHz,
      maxClients: o.maxClients,
      latentModel: o.decoder ? remoteDecoder(o.decoder) : undefined,
      clientJs: o.servePage === false ? null : undefined,
      log: (line) => send({ op: 'log', line }),
      onClients: (count) => send({ op: 'clients', count }),
    });
    send({ op: 'started', port: server.port, host: server.host });
  } catch (err) {
    const e = err as Error;
    send({ op: 'failed', message: e.message, userError: err instanceof UserError, field: err instanceof UserError ? err.field : undefined });
  }
}

port.on('message', (msg: ToWorker) => {
  switch (msg.op) {
    case 'start':
      return void start(msg.options);
    case 'publish':
      server?.publish(msg.snap, { force: msg.force });
      return;
    case 'scalars':
      return server?.publishScalars(msg.scalars);
    case 'episode':
      return server?.publishEpisode(msg.ev);
    case 'meta':
      return server?.setMeta(msg.patch);
    case 'decoded': {
      const w = waiting.get(msg.requestId);
      waiting.delete(msg.requestId);
      if (w === undefined) return;
      if (msg.image !== undefined) w.resolve(msg.image);
      else w.reject(new Error(msg.error ?? 'decode failed'));
      return;
    }
    case 'close':
      void (server?.close() ?? Promise.resolve()).then(() => {
        send({ op: 'closed' });
        port.close();
      });
      return;
  }
});
