/**
 * A test client for the viewer server: a `ws` WebSocket that records every message (JSON parsed,
 * frames decoded) and can wait for one matching a predicate; plus a raw TCP client that completes
 * the WebSocket handshake and then never reads (the stalled client of the back-pressure tests).
 */
import net from 'node:net';
import { WebSocket } from 'ws';
import { decodeFrame, type FrameHeader, type ServerMessage } from '../../viewer/protocol.ts';

export type Received = { kind: 'json'; msg: ServerMessage } | { kind: 'frame'; header: FrameHeader; pixels: Uint8Array; at: number };

export class TestClient {
  readonly ws: WebSocket;
  readonly received: Received[] = [];
  private waiters: { pred: (r: Received) => boolean; resolve: (r: Received) => void }[] = [];
  closeCode: number | null = null;
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;

  /** `keepPixels: false` keeps only frame headers (for tests that count memory). */
  constructor(url: string, headers: Record<string, string> = {}, private readonly keepPixels = true) {
    this.ws = new WebSocket(url, { headers });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.ws.once('close', (code) => resolve((this.closeCode = code))));
    this.ws.on('error', () => {});
    this.ws.on('message', (data, isBinary) => {
      const buf = data as Buffer;
      let r: Received;
      if (isBinary) {
        const { header, pixels } = decodeFrame(new Uint8Array(buf.buffer, buf.byteOffset, buf.length));
        r = { kind: 'frame', header, pixels: this.keepPixels ? pixels : new Uint8Array(0), at: performance.timeOrigin + performance.now() };
      } else {
        r = { kind: 'json', msg: JSON.parse(buf.toString('utf8')) as ServerMessage };
      }
      this.received.push(r);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(r)) return true;
        w.resolve(r);
        return false;
      });
    });
  }

  static async connect(wsUrl: string, keepPixels = true): Promise<TestClient> {
    const c = new TestClient(wsUrl, {}, keepPixels);
    await c.opened;
    return c;
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** Resolves with the first message (already received or future) matching `pred`. */
  next(pred: (r: Received) => boolean, timeoutMs = 5000): Promise<Received> {
    const have = this.received.find(pred);
    if (have !== undefined) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching message within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      });
    });
  }

  /** The next JSON message of a type, received after this call. */
  nextJson<T extends ServerMessage['type']>(type: T, timeoutMs = 5000): Promise<Extract<ServerMessage, { type: T }>> {
    const seen = this.received.length;
    return this.next((r) => this.received.indexOf(r) >= seen && r.kind === 'json' && r.msg.type === type, timeoutMs).then(
      (r) => (r as unknown as { msg: Extract<ServerMessage, { type: T }> }).msg,
    );
  }

  jsons(type?: string): ServerMessage[] {
    return this.received.flatMap((r) => (r.kind === 'json' && (type === undefined || r.msg.type === type) ? [r.msg] : []));
  }

  frames(kind?: string): { header: FrameHeader; pixels: Uint8Array; at: number }[] {
    return this.received.flatMap((r) => (r.kind === 'frame' && (kind === undefined || r.header.kind === kind) ? [r] : []));
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.closed;
  }
}

/** Opens a TCP connection, performs the WebSocket upgrade, then stops reading for good. */
export async function stalledClient(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  socket.on('error', () => {});
  const key = Buffer.from('0123456789abcdef').toString('base64');
  socket.write(
    `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  await new Promise<void>((resolve) => socket.once('data', () => resolve())); // the 101 response (and maybe hello)
  socket.pause();
  return socket;
}
