/**
 * Per-client back-pressure for the viewer server. Streaming messages (frames, latents, steps) are
 * "droppable": each has a slot key, and while the client is behind, a newer message replaces the
 * one waiting in its slot (latest wins), so a slow client sees fewer frames instead of a growing
 * buffer. Control messages (hello, state, episode events, errors) are "reliable": always sent, but
 * a client whose socket buffer passes a hard limit is disconnected, so memory stays bounded even
 * for a client that never reads. `lastProgressAt` says when the socket last took data, so the
 * server can also disconnect a client that has read nothing for a while (viewer/server.ts).
 */

/** The part of a `ws` WebSocket the outbox uses (so it can be tested without sockets). */
export interface Sink {
  readonly bufferedAmount: number;
  send(data: Uint8Array, options: { binary: boolean }, cb: (err?: Error) => void): void;
  terminate(): void;
}

export interface OutboxLimits {
  /** Bytes handed to the socket but not yet written, above which droppable messages wait in their slot. */
  softLimitBytes: number;
  /** Socket buffer size above which the client is considered stuck and is disconnected. */
  hardLimitBytes: number;
}

export const DEFAULT_LIMITS: OutboxLimits = { softLimitBytes: 96 * 1024, hardLimitBytes: 4 * 1024 * 1024 };

interface Pending {
  data: Uint8Array;
  binary: boolean;
}

export class Outbox {
  private inflightBytes = 0;
  private readonly pending = new Map<string, Pending>();
  private closed = false;
  /** When the socket last took data (a write completed), or when data started waiting (performance.now()). */
  lastProgressAt = performance.now();
  sent = 0;
  dropped = 0;
  sentBytes = 0;

  constructor(
    private readonly sink: Sink,
    private readonly limits: OutboxLimits = DEFAULT_LIMITS,
    private readonly onStuck: () => void = () => {},
  ) {}

  /** Bytes this outbox has handed to the socket that are not yet written. */
  get inflight(): number {
    return this.inflightBytes;
  }

  /** Messages waiting in their slots. */
  get waiting(): number {
    return this.pending.size;
  }

  /** Sends now if the client keeps up, else parks the message in slot `key`, replacing an older one. */
  sendDroppable(key: string, data: Uint8Array, binary: boolean): void {
    if (this.closed) return;
    if (this.pending.size === 0 && this.inflightBytes + data.length <= this.limits.softLimitBytes) {
      this.write(data, binary);
      return;
    }
    if (this.pending.has(key)) this.dropped++;
    this.pending.set(key, { data, binary });
    // A message bigger than the soft limit must still get through once the pipe is empty.
    if (this.inflightBytes === 0) this.flush();
  }

  /** Always sends (control messages); disconnects a client that is stuck past the hard limit. */
  sendReliable(data: Uint8Array, binary = false): boolean {
    if (this.closed) return false;
    if (this.sink.bufferedAmount + this.inflightBytes > this.limits.hardLimitBytes) {
      this.close();
      this.onStuck();
      this.sink.terminate();
      return false;
    }
    this.write(data, binary);
    return true;
  }

  /** Stops sending and forgets what waits (the socket closed). */
  close(): void {
    this.closed = true;
    this.pending.clear();
  }

  private write(data: Uint8Array, binary: boolean): void {
    if (this.inflightBytes === 0) this.lastProgressAt = performance.now();
    this.inflightBytes += data.length;
    this.sent++;
    this.sentBytes += data.length;
    this.sink.send(data, { binary }, () => {
      this.inflightBytes -= data.length;
      this.lastProgressAt = performance.now();
      this.flush();
    });
  }

  private flush(): void {
    while (!this.closed && this.pending.size > 0) {
      const first = this.pending.entries().next().value as [string, Pending];
      const [key, msg] = first;
      if (this.inflightBytes > 0 && this.inflightBytes + msg.data.length > this.limits.softLimitBytes) return;
      this.pending.delete(key);
      this.write(msg.data, msg.binary);
    }
  }
}
