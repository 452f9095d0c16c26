/**
 * The viewer server: one HTTP server on 127.0.0.1 (by default) that serves the page and its
 * bundled script, and a WebSocket endpoint (/ws, `ws`) that streams frames, latents, steps,
 * episode events and training scalars to every connected page, and takes control messages back.
 *
 * - Publishing (`publish`, `publishScalars`, `publishEpisode`) is what a trainer or play session
 *   calls in-process. With no client connected it returns after one comparison; frames are capped
 *   at `maxFps` and scalars at `scalarsHz`, and nothing ever waits on a client.
 * - Every client message is size-checked, parsed and validated against protocol.ts; bad ones are
 *   dropped with an `error` reply to that client and the server carries on.
 * - Slow clients get frames dropped (latest wins, viewer/outbox.ts); stuck ones are disconnected:
 *   one whose socket has taken nothing for `stallTimeoutSec` while data waits for it, or whose
 *   buffer passes the outbox's hard limit.
 * - Bound to loopback (the default), it answers only requests whose Host is a loopback name
 *   (localhost, 127.x.x.x, [::1]) or one of `allowedHosts`: a DNS-rebinding page (Host and Origin
 *   both evil.example) gets 403. WebSocket upgrades must also come from the page's own origin.
 *   Every response carries a Content-Security-Policy (own scripts only, frame-ancestors 'none').
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { UserError } from '../envs/core/errors.ts';
import { DEFAULT_LIMITS, Outbox, type OutboxLimits } from './outbox.ts';
import {
  CLIENT_MESSAGE_TYPES,
  ClientMessage,
  MAX_CLIENT_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  describeIssue,
  encodeFrame,
  orderByKl,
  stampSentAt,
  type Controls,
  type ErrorCode,
  type Meta,
  type PlayState,
  type ServerMessage,
} from './protocol.ts';
import type { EpisodeEvent, LatentModel, Scalars, Snapshot } from './source.ts';

/** What a play session exposes to the page's controls. Methods may throw UserError for bad requests. */
export interface PlayController {
  state(): PlayState;
  pause(): void;
  resume(): void;
  stepOnce(): void;
  setSpeed(fps: number): void;
  setVariant(name: string): void;
  resetEpisode(): void;
}

export interface ViewerServerOptions {
  /** Interface to bind; 127.0.0.1 by default. Anything else is logged as a warning. */
  host?: string;
  /** Port; 0 picks a free one. Default 8420. */
  port?: number;
  /** Initial page metadata (mode, title, variants, action names, latent labels, frame size). */
  meta?: Partial<Meta>;
  /** Decodes latent vectors for the latent explorer; without it the explorer is disabled. */
  latentModel?: LatentModel;
  /** Handles pause/speed/step/variant/reset; without it (attach mode) those controls are disabled. */
  controller?: PlayController;
  /** Frames (and their latents/steps) published per second at most; default 30. */
  maxFps?: number;
  /** Training-scalar messages per second at most (values merge, latest wins); default 10. */
  scalarsHz?: number;
  /** Returns the client script (the bundle); default builds it with esbuild (viewer/bundle.ts). Null serves no page. */
  clientJs?: (() => Promise<string>) | null;
  /** Most simultaneous clients; more are refused. Default 64. */
  maxClients?: number;
  /** Client messages per second allowed per client (a burst of twice that is tolerated). Default 120. */
  maxMessagesPerSec?: number;
  limits?: OutboxLimits;
  log?: (line: string) => void;
  /** Called whenever the number of connected clients changes (the worker host mirrors it). */
  onClients?: (count: number) => void;
  /** Host names (besides loopback ones) a loopback-bound server answers to, e.g. a name in /etc/hosts. */
  allowedHosts?: string[];
  /** A client whose socket takes nothing for this long while data waits for it is disconnected. Default 20. */
  stallTimeoutSec?: number;
}

interface Client {
  id: number;
  ws: WebSocket;
  outbox: Outbox;
  tokens: number;
  lastRefill: number;
  lastRateError: number;
  decoding: boolean;
  pendingDecode: { id: number; z: Float32Array } | null;
}

export interface ServerStats {
  clients: number;
  framesPublished: number;
  framesSkipped: number;
  messagesRejected: number;
  perClient: { id: number; sent: number; dropped: number; inflight: number; buffered: number }[];
}

/** How often `pump()` yields to the event loop (ms): a third of a 30 fps frame interval. */
const PUMP_INTERVAL_MS = 10;

/** Largest client message ws reads at all; a bigger one closes that connection (1009). */
const HARD_MAX_PAYLOAD = 1024 * 1024;

/** Default seconds a client may leave data waiting without reading any of it. */
export const DEFAULT_STALL_TIMEOUT_SEC = 20;

const DEFAULT_META: Meta = {
  mode: 'attach',
  title: 'darla',
  variants: [],
  actionNames: [],
  latentDim: 0,
  latentLabels: [],
  frame: { width: 64, height: 64 },
  controls: { pause: false, speed: false, step: false, variant: false, reset: false, decode: false },
};

export class ViewerServer {
  readonly host: string;
  private readonly http: http.Server;
  private readonly wss: WebSocketServer;
  private readonly clients = new Map<number, Client>();
  private nextClientId = 1;
  private meta: Meta;
  private order: number[] = [];
  private readonly minFrameInterval: number;
  private lastFrameAt = -Infinity;
  private lastPumpAt = -Infinity;
  private seq = 0;
  private readonly scalarsInterval: number;
  private lastScalarsAt = -Infinity;
  private pendingScalars: { step: number; values: Record<string, number> } | null = null;
  private scalarsTimer: NodeJS.Timeout | null = null;
  private framesPublished = 0;
  private framesSkipped = 0;
  private messagesRejected = 0;
  private clientJsPromise: Promise<string> | null = null;
  private readonly opts: ViewerServerOptions;
  private readonly log: (line: string) => void;
  private closed = false;
  private readonly allowedHosts: Set<string>;
  private readonly stallTimer: NodeJS.Timeout;

  private constructor(opts: ViewerServerOptions) {
    this.opts = opts;
    this.host = opts.host ?? '127.0.0.1';
    this.log = opts.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.minFrameInterval = 1000 / (opts.maxFps ?? 30);
    this.scalarsInterval = 1000 / (opts.scalarsHz ?? 10);
    this.meta = { ...DEFAULT_META, ...opts.meta, controls: this.controls() };
    if (opts.latentModel !== undefined) this.adoptModelMeta(opts.latentModel);
    this.order = orderByKl(opts.latentModel?.klPerLatent, this.meta.latentDim);
    this.http = http.createServer((req, res) => this.handleHttp(req, res));
    this.wss = new WebSocketServer({ noServer: true, maxPayload: HARD_MAX_PAYLOAD, perMessageDeflate: false });
    this.http.on('upgrade', (req, socket, head) => {
      socket.on('error', () => socket.destroy());
      if (!this.acceptUpgrade(req)) {
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws));
    });
    this.wss.on('error', (err) => this.log(`viewer: websocket server error: ${err.message}`));
    this.allowedHosts = new Set((opts.allowedHosts ?? []).map((h) => h.toLowerCase()));
    const stallMs = 1000 * (opts.stallTimeoutSec ?? DEFAULT_STALL_TIMEOUT_SEC);
    this.stallTimer = setInterval(() => this.dropStalled(stallMs), Math.max(50, Math.min(1000, stallMs / 4)));
    this.stallTimer.unref();
  }

  /** Starts listening; resolves once bound. Throws UserError when the port is taken or the host is invalid. */
  static async start(opts: ViewerServerOptions = {}): Promise<ViewerServer> {
    const server = new ViewerServer(opts);
    await server.listen(opts.port ?? 8420);
    if (!isLoopback(server.host)) {
      server.log(`viewer: WARNING: listening on ${server.host}, not loopback — anyone who can reach this address can watch and control the viewer`);
    }
    if (opts.clientJs !== null) {
      // Build the page script now so the first page load is quick; errors surface on /app.js.
      server.clientJs().catch((err: unknown) => server.log(`viewer: client bundle failed: ${(err as Error).message}`));
    }
    return server;
  }

  /** The port actually bound. */
  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  /** The page's address, e.g. http://127.0.0.1:8420/. */
  get url(): string {
    const h = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `http://${h}:${this.port}/`;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /**
   * True when a frame published now would be sent (a client is connected and the frame-rate cap
   * allows one). O(1); a trainer calls it to skip computing what only the viewer needs (a
   * reconstruction, say).
   */
  wantsFrame(now = performance.now()): boolean {
    return this.clients.size > 0 && now - this.lastFrameAt >= this.minFrameInterval;
  }

  /**
   * Publishes one snapshot (frame + whatever else it carries) to every client, unless no client is
   * connected or the frame cap was reached (then it returns false at once). `force` skips the cap
   * (a single step the user asked for). The snapshot's buffers are copied; callers may reuse them.
   */
  publish(s: Snapshot, { force = false }: { force?: boolean } = {}): boolean {
    if (this.clients.size === 0) return false;
    const now = performance.now();
    if (!force && now - this.lastFrameAt < this.minFrameInterval) {
      this.framesSkipped++;
      return false;
    }
    this.lastFrameAt = now;
    this.framesPublished++;
    const sentAt = performance.timeOrigin + now;
    const seq = this.seq++;
    const { width, height } = s;
    if (width !== this.meta.frame.width || height !== this.meta.frame.height) this.setMeta({ frame: { width, height } });
    const live = encodeFrame({ kind: 'live', step: s.step, width, height, seq, sentAt }, s.frame);
    this.broadcastDroppable('live', live, true);
    if (s.recon !== undefined) {
      this.broadcastDroppable('recon', encodeFrame({ kind: 'recon', step: s.step, width, height, seq, sentAt }, s.recon), true);
    }
    if (s.mu !== undefined) {
      const dim = s.mu.length;
      if (dim !== this.meta.latentDim) this.setMeta({ latentDim: dim });
      if (s.kl !== undefined) this.order = orderByKl(s.kl, dim);
      if (this.order.length !== dim) this.order = orderByKl(null, dim);
      const msg: ServerMessage = {
        type: 'latents',
        step: s.step,
        mu: round4(s.mu),
        sigma: s.sigma !== undefined ? round4(s.sigma) : new Array<number>(dim).fill(0),
        kl: s.kl !== undefined ? round4(s.kl) : null,
        order: this.order,
      };
      this.broadcastDroppable('latents', toBytes(msg), false);
    }
    if (s.action !== undefined || s.reward !== undefined || s.probs !== undefined) {
      const msg: ServerMessage = {
        type: 'step',
        step: s.step,
        episode: s.episode ?? 0,
        t: s.t ?? 0,
        action: s.action ?? null,
        probs: s.probs !== undefined ? round4(s.probs) : null,
        reward: finiteOrNull(s.reward),
        return: finiteOrNull(s.return),
      };
      this.broadcastDroppable('step', toBytes(msg), false);
    }
    return true;
  }

  /**
   * Publishes training scalars ({step, name: value, …}); at most `scalarsHz` messages a second,
   * merging values that arrive in between (latest wins), with the last batch always delivered.
   */
  publishScalars(scalars: Scalars): void {
    if (this.clients.size === 0) return;
    const pending = (this.pendingScalars ??= { step: scalars.step, values: {} });
    pending.step = scalars.step;
    for (const [k, v] of Object.entries(scalars)) {
      if (k !== 'step' && typeof v === 'number' && Number.isFinite(v)) pending.values[k] = v;
    }
    const now = performance.now();
    const wait = this.lastScalarsAt + this.scalarsInterval - now;
    if (wait <= 0) this.flushScalars();
    else if (this.scalarsTimer === null) {
      this.scalarsTimer = setTimeout(() => this.flushScalars(), wait);
      this.scalarsTimer.unref();
    }
  }

  /**
   * Lets the event loop run (one macrotask) so the server can accept connections, read control
   * messages and flush sockets — at most every `PUMP_INTERVAL_MS`; calls in between resolve at
   * once. A trainer whose loop only awaits promises (microtasks) never gives I/O a turn, so it
   * awaits this once per step; the cost is a few microseconds per step.
   */
  pump(): Promise<void> {
    const now = performance.now();
    if (now - this.lastPumpAt < PUMP_INTERVAL_MS) return Promise.resolve();
    this.lastPumpAt = now;
    return new Promise((resolve) => setImmediate(resolve));
  }

  /** Episode boundaries (never dropped; they feed the return-per-episode chart). */
  publishEpisode(ev: EpisodeEvent): void {
    if (this.clients.size === 0) return;
    this.broadcastReliable({
      type: 'episode',
      event: ev.event,
      episode: ev.episode,
      variant: ev.variant ?? null,
      return: finiteOrNull(ev.return),
      length: ev.length ?? null,
      terminated: ev.terminated ?? null,
    });
  }

  /** Updates the page metadata (variants, labels, …) and tells every client. */
  setMeta(patch: Partial<Meta>): void {
    this.meta = { ...this.meta, ...patch, controls: this.controls() };
    if (patch.latentDim !== undefined && this.order.length !== patch.latentDim) this.order = orderByKl(null, patch.latentDim);
    if (this.meta.latentLabels.length !== this.meta.latentDim) {
      this.meta.latentLabels = Array.from({ length: this.meta.latentDim }, (_, i) => this.meta.latentLabels[i] ?? `z${i}`);
    }
    if (this.clients.size > 0) this.broadcastReliable({ type: 'meta', meta: this.meta });
  }

  /** Sends the play state (paused, speed, variant, episode) to every client. */
  broadcastState(state: PlayState): void {
    if (this.clients.size > 0) this.broadcastReliable({ type: 'state', state });
  }

  getMeta(): Meta {
    return this.meta;
  }

  stats(): ServerStats {
    return {
      clients: this.clients.size,
      framesPublished: this.framesPublished,
      framesSkipped: this.framesSkipped,
      messagesRejected: this.messagesRejected,
      perClient: [...this.clients.values()].map((c) => ({
        id: c.id,
        sent: c.outbox.sent,
        dropped: c.outbox.dropped,
        inflight: c.outbox.inflight,
        buffered: c.ws.bufferedAmount,
      })),
    };
  }

  /** Closes every connection and stops listening. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.stallTimer);
    if (this.scalarsTimer !== null) clearTimeout(this.scalarsTimer);
    for (const c of this.clients.values()) {
      c.outbox.close();
      c.ws.terminate();
    }
    this.clients.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  /** The client script, built once per server (cached on disk by viewer/bundle.ts). */
  clientJs(): Promise<string> {
    if (this.clientJsPromise === null) {
      const build = this.opts.clientJs ?? (async () => (await import('./bundle.ts')).buildClientBundle().then((b) => b.js));
      this.clientJsPromise = build();
      this.clientJsPromise.catch(() => (this.clientJsPromise = null));
    }
    return this.clientJsPromise;
  }

  // --- internals ---------------------------------------------------------------------------------

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        this.http.off('listening', onListening);
        if (err.code === 'EADDRINUSE') reject(new UserError(`port ${port} on ${this.host} is already in use; pick another with --port (0 = any free port)`, '--port'));
        else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') reject(new UserError(`cannot bind to host '${this.host}' (${err.code}); use an address of this machine, e.g. 127.0.0.1`, '--host'));
        else reject(err);
      };
      const onListening = () => {
        this.http.off('error', onError);
        this.http.on('error', (err) => this.log(`viewer: http server error: ${err.message}`));
        resolve();
      };
      this.http.once('error', onError);
      this.http.once('listening', onListening);
      this.http.listen(port, this.host);
    });
  }

  private controls(): Controls {
    const play = this.opts.controller !== undefined;
    return { pause: play, speed: play, step: play, variant: play, reset: play, decode: this.opts.latentModel !== undefined };
  }

  private adoptModelMeta(m: LatentModel): void {
    this.meta.latentDim = m.latentDim;
    this.meta.latentLabels = Array.from({ length: m.latentDim }, (_, i) => m.latentLabels?.[i] ?? `z${i}`);
  }

  /**
   * DNS rebinding: a page on evil.example whose name is made to resolve to 127.0.0.1 reaches this
   * server with Host: evil.example. Bound to loopback, only loopback names and `allowedHosts` pass.
   * (Bound to another interface on purpose — warned at start — any Host may reach it.)
   */
  private hostAllowed(req: http.IncomingMessage): boolean {
    if (!isLoopback(this.host)) return true;
    const host = req.headers.host;
    if (host === undefined) return false;
    let name: string;
    try {
      name = new URL(`http://${host}`).hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
    } catch {
      return false;
    }
    return isLoopback(name) || this.allowedHosts.has(name);
  }

  /** Same-origin pages only: a browser page elsewhere must not drive a local viewer. */
  private acceptUpgrade(req: http.IncomingMessage): boolean {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/ws' || this.closed || !this.hostAllowed(req)) return false;
    const origin = req.headers.origin;
    if (origin === undefined) return true; // non-browser clients (tests, scripts)
    try {
      // Host names are case-insensitive (URL lower-cases them): compare both the same way.
      return new URL(origin).host === new URL(`http://${req.headers.host ?? ''}`).host;
    } catch {
      return false;
    }
  }

  /** Disconnects clients that have taken nothing from their socket for `ms` while data waited. */
  private dropStalled(ms: number): void {
    const now = performance.now();
    for (const c of [...this.clients.values()]) {
      if (c.outbox.inflight > 0 && now - c.outbox.lastProgressAt > ms) {
        this.log(`viewer: client ${c.id} read nothing for ${(ms / 1000).toFixed(0)} s; disconnected`);
        c.outbox.close();
        c.ws.terminate();
      }
    }
  }

  private async handleHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const allowed = this.hostAllowed(req);
    const send = (status: number, type: string, body: string | Buffer) => {
      // A refused Host is never reflected into the policy.
      res.writeHead(status, { 'Content-Type': type, ...securityHeaders(allowed ? req.headers.host : undefined) });
      res.end(body);
    };
    try {
      if (!allowed) {
        return send(403, 'text/plain', `forbidden: this viewer answers to loopback names (open http://127.0.0.1:${this.port}/); add a name with --allow-host\n`);
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n');
      if (path === '/healthz') {
        return send(200, 'application/json', JSON.stringify({ ok: true, protocol: PROTOCOL_VERSION, clients: this.clients.size, mode: this.meta.mode }));
      }
      if (this.opts.clientJs === null) return send(404, 'text/plain', 'this server serves no page\n');
      if (path === '/' || path === '/index.html') {
        return send(200, 'text/html; charset=utf-8', pageHtml());
      }
      if (path === '/app.js') return send(200, 'text/javascript; charset=utf-8', await this.clientJs());
      return send(404, 'text/plain', 'not found\n');
    } catch (err) {
      this.log(`viewer: ${path}: ${(err as Error).message}`);
      if (!res.headersSent) send(500, 'text/plain', `viewer error: ${(err as Error).message}\n`);
    }
  }

  private onConnection(ws: WebSocket): void {
    const maxClients = this.opts.maxClients ?? 64;
    if (this.clients.size >= maxClients) {
      ws.send(JSON.stringify({ type: 'error', code: 'rate', message: `too many viewers (${maxClients}); close one and reload` }));
      ws.close(1013, 'too many clients');
      ws.on('error', () => {});
      return;
    }
    const id = this.nextClientId++;
    const client: Client = {
      id,
      ws,
      outbox: new Outbox(ws, this.opts.limits ?? DEFAULT_LIMITS, () => this.log(`viewer: client ${id} stopped reading; disconnected`)),
      tokens: 2 * this.rate(),
      lastRefill: performance.now(),
      lastRateError: -Infinity,
      decoding: false,
      pendingDecode: null,
    };
    this.clients.set(id, client);
    this.opts.onClients?.(this.clients.size);
    ws.on('message', (data, isBinary) => this.onMessage(client, data, isBinary));
    ws.on('error', () => {}); // a broken socket is followed by 'close'
    ws.on('close', () => {
      client.outbox.close();
      if (this.clients.delete(id)) this.opts.onClients?.(this.clients.size);
    });
    const state = this.opts.controller?.state() ?? null;
    client.outbox.sendReliable(toBytes({ type: 'hello', protocol: PROTOCOL_VERSION, meta: this.meta, state }));
  }

  private rate(): number {
    return this.opts.maxMessagesPerSec ?? 120;
  }

  private onMessage(c: Client, data: RawData, isBinary: boolean): void {
    const size = rawSize(data);
    // Token bucket: refill at `rate` per second, burst of 2 × rate.
    const now = performance.now();
    c.tokens = Math.min(2 * this.rate(), c.tokens + ((now - c.lastRefill) / 1000) * this.rate());
    c.lastRefill = now;
    if (c.tokens < 1) {
      this.messagesRejected++;
      if (now - c.lastRateError > 1000) {
        c.lastRateError = now;
        this.reject(c, 'rate', `too many messages (more than ${this.rate()}/s); message dropped`);
      }
      return;
    }
    c.tokens -= 1;
    if (isBinary) return this.reject(c, 'binary', 'binary messages are not accepted from clients; send JSON text');
    if (size > MAX_CLIENT_MESSAGE_BYTES) {
      return this.reject(c, 'too_large', `message of ${size} bytes is over the ${MAX_CLIENT_MESSAGE_BYTES}-byte limit; dropped`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(rawToString(data));
    } catch {
      return this.reject(c, 'bad_json', 'message is not valid JSON; dropped');
    }
    const parsed = ClientMessage.safeParse(raw);
    if (!parsed.success) {
      const type = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown }).type : undefined;
      if (typeof type !== 'string' || !(CLIENT_MESSAGE_TYPES as readonly string[]).includes(type)) {
        const shown = typeof type === 'string' ? `'${type.slice(0, 40)}'` : 'missing';
        return this.reject(c, 'unknown_type', `unknown message type ${shown}; known: ${CLIENT_MESSAGE_TYPES.join(', ')}`);
      }
      return this.reject(c, 'bad_message', `bad '${type}' message: ${describeIssue(parsed.error)}`);
    }
    try {
      this.dispatch(c, parsed.data);
    } catch (err) {
      if (err instanceof UserError) return this.reject(c, 'bad_message', err.message);
      this.log(`viewer: error handling '${parsed.data.type}': ${(err as Error).stack ?? String(err)}`);
      this.reject(c, 'internal', `server error handling '${parsed.data.type}': ${(err as Error).message}`);
    }
  }

  private dispatch(c: Client, msg: ClientMessage): void {
    if (msg.type === 'hello') {
      if (msg.protocol !== PROTOCOL_VERSION) {
        this.reject(c, 'version', `this server speaks protocol ${PROTOCOL_VERSION}, the page speaks ${msg.protocol}; reload the page`);
      }
      return;
    }
    if (msg.type === 'decode') return this.requestDecode(c, msg.id, msg.z);
    const ctl = this.opts.controller;
    if (ctl === undefined) {
      return this.reject(c, 'unsupported', `'${msg.type}' needs a play session; this viewer is attached to a training run`);
    }
    switch (msg.type) {
      case 'pause':
        return ctl.pause();
      case 'resume':
        return ctl.resume();
      case 'step':
        return ctl.stepOnce();
      case 'speed':
        return ctl.setSpeed(msg.fps);
      case 'variant':
        return ctl.setVariant(msg.name);
      case 'reset':
        return ctl.resetEpisode();
    }
  }

  /** One decode in flight per client; a newer request replaces a waiting one (slider drags). */
  private requestDecode(c: Client, id: number, z: number[]): void {
    const model = this.opts.latentModel;
    if (model === undefined) return this.reject(c, 'unsupported', 'no latent model is loaded, so latents cannot be decoded');
    if (z.length !== model.latentDim) {
      return this.reject(c, 'bad_message', `decode: z has ${z.length} values, the model has ${model.latentDim} latents`);
    }
    c.pendingDecode = { id, z: Float32Array.from(z) };
    if (!c.decoding) void this.runDecodes(c, model);
  }

  private async runDecodes(c: Client, model: LatentModel): Promise<void> {
    c.decoding = true;
    try {
      while (c.pendingDecode !== null && this.clients.has(c.id)) {
        const { id, z } = c.pendingDecode;
        c.pendingDecode = null;
        let img: Uint8Array;
        try {
          img = await model.decode(z, 1);
        } catch (err) {
          this.reject(c, 'internal', `decode failed: ${(err as Error).message}`);
          continue;
        }
        const { width, height } = this.meta.frame;
        const sentAt = performance.timeOrigin + performance.now();
        const frame = encodeFrame({ kind: 'decoded', step: 0, width, height, seq: id, sentAt }, img);
        c.outbox.sendDroppable('decoded', frame, true);
      }
    } finally {
      c.decoding = false;
    }
  }

  private reject(c: Client, code: ErrorCode, message: string): void {
    this.messagesRejected++;
    c.outbox.sendReliable(toBytes({ type: 'error', code, message }));
  }

  private broadcastDroppable(key: string, data: Uint8Array, binary: boolean): void {
    if (binary) stampSentAt(data, performance.timeOrigin + performance.now());
    for (const c of this.clients.values()) c.outbox.sendDroppable(key, data, binary);
  }

  private broadcastReliable(msg: ServerMessage): void {
    const bytes = toBytes(msg);
    for (const c of [...this.clients.values()]) c.outbox.sendReliable(bytes);
  }

  private flushScalars(): void {
    if (this.scalarsTimer !== null) clearTimeout(this.scalarsTimer);
    this.scalarsTimer = null;
    const p = this.pendingScalars;
    this.pendingScalars = null;
    if (p === null || this.clients.size === 0) return;
    this.lastScalarsAt = performance.now();
    const bytes = toBytes({ type: 'scalars', step: p.step, values: p.values });
    for (const c of this.clients.values()) c.outbox.sendDroppable('scalars', bytes, false);
  }
}

let pageCache: string | null = null;
/** The page (viewer/client/index.html), read once. */
function pageHtml(): string {
  pageCache ??= fs.readFileSync(new URL('./client/index.html', import.meta.url), 'utf8');
  return pageCache;
}

/**
 * Headers on every response: no caching, no MIME sniffing, and a Content-Security-Policy that lets
 * the page run only its own bundled script, talk only to this server (and its WebSocket), and never
 * be framed by another page (frame-ancestors 'none', X-Frame-Options for older browsers).
 */
export function securityHeaders(host: string | undefined): Record<string, string> {
  // Only a plain host[:port] goes into the policy (a server bound off loopback takes any Host).
  const ws = host === undefined || !/^[A-Za-z0-9.:[\]-]+$/.test(host) ? '' : ` ws://${host} wss://${host}`;
  const csp = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${ws}`,
    "worker-src 'self' blob:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': csp,
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
  };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function toBytes(msg: ServerMessage): Uint8Array {
  return Buffer.from(JSON.stringify(msg), 'utf8');
}

function round4(xs: ArrayLike<number>): number[] {
  const out = new Array<number>(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i];
    out[i] = Number.isFinite(v) ? Math.round(v * 1e4) / 1e4 : 0;
  }
  return out;
}

function finiteOrNull(x: number | undefined): number | null {
  return x !== undefined && Number.isFinite(x) ? x : null;
}

function rawSize(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}
