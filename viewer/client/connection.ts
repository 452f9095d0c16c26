/**
 * The page's WebSocket link to the viewer server: connects to /ws on the page's own host, says
 * hello with the protocol version, parses every message against the shared protocol (binary →
 * frames, text → ServerMessage), and reconnects with backoff (0.25 s doubling to 4 s) whenever the
 * connection drops, so the page survives server restarts.
 */
import { ClientMessage, PROTOCOL_VERSION, ServerMessage, decodeFrame, describeIssue, type FrameHeader } from '../protocol.ts';

export interface ConnectionHandlers {
  onOpen(): void;
  onClose(): void;
  onMessage(msg: ServerMessage): void;
  onFrame(header: FrameHeader, pixels: Uint8Array, receivedAt: number): void;
  /** A message from the server that did not parse (a version skew or a bug). */
  onBadMessage(reason: string): void;
}

export class Connection {
  private ws: WebSocket | null = null;
  private backoffMs = 250;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  connects = 0;

  constructor(
    private readonly url: string,
    private readonly handlers: ConnectionHandlers,
  ) {}

  get open(): boolean {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.ws?.close();
  }

  /** Sends a control message when connected (validated first, so a page bug is caught here). */
  send(msg: ClientMessage): boolean {
    if (!this.open) return false;
    const checked = ClientMessage.safeParse(msg);
    if (!checked.success) {
      this.handlers.onBadMessage(`not sent: ${describeIssue(checked.error)}`);
      return false;
    }
    this.ws!.send(JSON.stringify(checked.data));
    return true;
  }

  private connect(): void {
    const ws = new WebSocket(this.url);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      this.backoffMs = 250;
      this.connects++;
      ws.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION } satisfies ClientMessage));
      this.handlers.onOpen();
    };
    ws.onmessage = (ev: MessageEvent) => {
      const receivedAt = performance.timeOrigin + performance.now();
      if (ev.data instanceof ArrayBuffer) {
        try {
          const { header, pixels } = decodeFrame(new Uint8Array(ev.data));
          this.handlers.onFrame(header, pixels, receivedAt);
        } catch (err) {
          this.handlers.onBadMessage((err as Error).message);
        }
        return;
      }
      let raw: unknown;
      try {
        raw = JSON.parse(String(ev.data));
      } catch {
        this.handlers.onBadMessage('server sent text that is not JSON');
        return;
      }
      const parsed = ServerMessage.safeParse(raw);
      if (parsed.success) this.handlers.onMessage(parsed.data);
      else this.handlers.onBadMessage(describeIssue(parsed.error));
    };
    ws.onclose = () => {
      if (this.ws === ws) this.ws = null;
      this.handlers.onClose();
      if (!this.stopped) {
        this.timer = setTimeout(() => this.connect(), this.backoffMs);
        this.backoffMs = Math.min(4000, this.backoffMs * 2);
      }
    };
    ws.onerror = () => {
      // followed by onclose, which schedules the reconnect
    };
  }
}
