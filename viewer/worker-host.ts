/**
 * The viewer server in a worker thread, for attach mode: the trainer's thread only copies a capped
 * number of snapshots a second into a `postMessage`; encoding, every socket write, accepting
 * connections and reading client messages happen on the worker's own event loop, so streaming
 * goes on even while the trainer never yields, and a slow or stuck page costs the trainer nothing.
 * Decode requests from the latent explorer come back to this thread (where the model lives) and
 * run whenever the trainer yields a macrotask (e.g. `await viewer.pump()`).
 *
 * `ViewerWorker` has the publishing surface of `ViewerServer` (publish, publishScalars,
 * publishEpisode, wantsFrame, setMeta, pump, close, url, port, clientCount).
 */
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { UserError } from '../envs/core/errors.ts';
import type { Meta } from './protocol.ts';
import type { EpisodeEvent, LatentModel, Scalars, Snapshot } from './source.ts';

/** What the worker needs to start its server (all structured-cloneable). */
export interface WorkerServerOptions {
  host?: string;
  port?: number;
  meta?: Partial<Meta>;
  maxFps?: number;
  scalarsHz?: number;
  maxClients?: number;
  /** latentDim and labels of the model on the host thread; the worker forwards decodes for it. */
  decoder?: { latentDim: number; latentLabels: string[] } | null;
  /** Serve the page (false only in tests that need no browser). */
  servePage?: boolean;
}

/** Host → worker. */
export type ToWorker =
  | { op: 'start'; options: WorkerServerOptions }
  | { op: 'publish'; snap: Snapshot; force: boolean }
  | { op: 'scalars'; scalars: Scalars }
  | { op: 'episode'; ev: EpisodeEvent }
  | { op: 'meta'; patch: Partial<Meta> }
  | { op: 'decoded'; requestId: number; image?: Uint8Array; error?: string }
  | { op: 'close' };

/** Worker → host. */
export type FromWorker =
  | { op: 'started'; port: number; host: string }
  | { op: 'failed'; message: string; userError: boolean; field?: string }
  | { op: 'clients'; count: number }
  | { op: 'decode'; requestId: number; z: Float32Array }
  | { op: 'log'; line: string }
  | { op: 'closed' };

export interface ViewerWorkerOptions extends Omit<WorkerServerOptions, 'decoder'> {
  latentModel?: LatentModel;
  log?: (line: string) => void;
}

export class ViewerWorker {
  private readonly worker: Worker;
  private clients = 0;
  private readonly minFrameInterval: number;
  private lastFrameAt = -Infinity;
  private readonly scalarsInterval: number;
  private lastScalarsAt = -Infinity;
  private pendingScalars: Scalars | null = null;
  private scalarsTimer: NodeJS.Timeout | null = null;
  private lastPumpAt = -Infinity;
  private closed = false;
  private exited: Promise<void>;
  host = '127.0.0.1';
  port = 0;

  private constructor(
    private readonly opts: ViewerWorkerOptions,
    private readonly log: (line: string) => void,
  ) {
    this.minFrameInterval = 1000 / (opts.maxFps ?? 30);
    this.scalarsInterval = 1000 / (opts.scalarsHz ?? 10);
    // worker-boot.mjs registers tsx in the worker, then loads worker-entry.ts. No inherited flags:
    // some of the parent's (a test runner's, say) are not allowed in workers.
    this.worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), { execArgv: [] });
    this.worker.unref(); // the trainer's process may exit without closing the viewer
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
  }

  /** Starts the worker and its server; rejects (UserError for a taken port or bad host) if it cannot listen. */
  static async start(opts: ViewerWorkerOptions = {}): Promise<ViewerWorker> {
    const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    const vw = new ViewerWorker(opts, log);
    const m = opts.latentModel;
    const options: WorkerServerOptions = {
      host: opts.host,
      port: opts.port,
      meta: opts.meta,
      maxFps: opts.maxFps,
      scalarsHz: opts.scalarsHz,
      maxClients: opts.maxClients,
      servePage: opts.servePage,
      decoder: m === undefined ? null : { latentDim: m.latentDim, latentLabels: Array.from({ length: m.latentDim }, (_, i) => m.latentLabels?.[i] ?? `z${i}`) },
    };
    await new Promise<void>((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`viewer worker exited (code ${code}) before it started`));
      vw.worker.once('error', reject);
      vw.worker.once('exit', onExit);
      vw.worker.on('message', (msg: FromWorker) => {
        if (msg.op === 'started') {
          vw.port = msg.port;
          vw.host = msg.host;
          vw.worker.off('error', reject);
          vw.worker.off('exit', onExit);
          vw.worker.on('error', (err) => log(`viewer: worker error: ${err.message}`));
          resolve();
        } else if (msg.op === 'failed') {
          reject(msg.userError ? new UserError(msg.message, msg.field) : new Error(msg.message));
        } else vw.onMessage(msg);
      });
      vw.post({ op: 'start', options });
    }).catch(async (err: unknown) => {
      await vw.worker.terminate();
      throw err;
    });
    return vw;
  }

  get url(): string {
    const h = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `http://${h}:${this.port}/`;
  }

  get clientCount(): number {
    return this.clients;
  }

  /** O(1): a client is connected and the frame cap allows a frame now. */
  wantsFrame(now = performance.now()): boolean {
    return this.clients > 0 && now - this.lastFrameAt >= this.minFrameInterval;
  }

  /** Sends a copy of the snapshot to the worker, unless no page watches or the frame cap was reached. */
  publish(s: Snapshot, { force = false }: { force?: boolean } = {}): boolean {
    if (this.clients === 0 || this.closed) return false;
    const now = performance.now();
    if (!force && now - this.lastFrameAt < this.minFrameInterval) return false;
    this.lastFrameAt = now;
    this.post({ op: 'publish', snap: s, force: true }); // structured clone: the caller keeps its buffers
    return true;
  }

  /** Training scalars, merged (latest wins) and forwarded at most `scalarsHz` times a second. */
  publishScalars(scalars: Scalars): void {
    if (this.clients === 0 || this.closed) return;
    this.pendingScalars = { ...(this.pendingScalars ?? {}), ...scalars };
    const wait = this.lastScalarsAt + this.scalarsInterval - performance.now();
    if (wait <= 0) this.flushScalars();
    else if (this.scalarsTimer === null) {
      this.scalarsTimer = setTimeout(() => this.flushScalars(), wait);
      this.scalarsTimer.unref();
    }
  }

  publishEpisode(ev: EpisodeEvent): void {
    if (this.clients > 0 && !this.closed) this.post({ op: 'episode', ev });
  }

  setMeta(patch: Partial<Meta>): void {
    if (!this.closed) this.post({ op: 'meta', patch });
  }

  /**
   * One macrotask at most every 10 ms, so decode requests from the latent explorer (and client
   * counts) reach this thread; streaming itself does not depend on it.
   */
  pump(): Promise<void> {
    const now = performance.now();
    if (now - this.lastPumpAt < 10) return Promise.resolve();
    this.lastPumpAt = now;
    return new Promise((resolve) => setImmediate(resolve));
  }

  /** Closes the server and ends the worker. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return this.exited;
    this.closed = true;
    if (this.scalarsTimer !== null) clearTimeout(this.scalarsTimer);
    this.post({ op: 'close' });
    const timeout = setTimeout(() => void this.worker.terminate(), 2000);
    await this.exited;
    clearTimeout(timeout);
  }

  private post(msg: ToWorker): void {
    this.worker.postMessage(msg);
  }

  private flushScalars(): void {
    if (this.scalarsTimer !== null) clearTimeout(this.scalarsTimer);
    this.scalarsTimer = null;
    const s = this.pendingScalars;
    this.pendingScalars = null;
    if (s === null || this.closed) return;
    this.lastScalarsAt = performance.now();
    this.post({ op: 'scalars', scalars: s });
  }

  private onMessage(msg: FromWorker): void {
    switch (msg.op) {
      case 'clients':
        this.clients = msg.count;
        return;
      case 'log':
        return this.log(msg.line);
      case 'decode':
        return void this.decode(msg.requestId, msg.z);
      default:
        return;
    }
  }

  private async decode(requestId: number, z: Float32Array): Promise<void> {
    const model = this.opts.latentModel;
    if (model === undefined) return this.post({ op: 'decoded', requestId, error: 'no latent model' });
    try {
      const image = await model.decode(z, 1);
      if (!this.closed) this.post({ op: 'decoded', requestId, image });
    } catch (err) {
      if (!this.closed) this.post({ op: 'decoded', requestId, error: (err as Error).message });
    }
  }
}
