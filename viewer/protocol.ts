/**
 * The viewer's wire protocol, defined once and imported by both the server (viewer/server.ts) and
 * the browser client (viewer/client/): JSON control and data messages as zod schemas, and frames as
 * binary messages — a fixed 32-byte little-endian header followed by raw RGB bytes.
 *
 * Binary frame header (version 1):
 *   offset  type  field
 *   0       u32   magic 0x414C5244 ('DRLA' as bytes D R L A)
 *   4       u8    protocol version
 *   5       u8    message type (1 = frame)
 *   6       u8    frame kind (0 live, 1 reconstruction, 2 decoded latent)
 *   7       u8    channels (3 = RGB)
 *   8       u32   step (training or play step)
 *   12      u16   width
 *   14      u16   height
 *   16      u32   seq (the decode request id for decoded frames, else a running counter)
 *   20      u32   reserved (0)
 *   24      f64   sentAt: wall-clock ms since the Unix epoch when the server sent it
 *   32      ...   width × height × channels bytes, row-major
 */
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;
/** Largest client → server message accepted (bytes); bigger ones are dropped with an error. */
export const MAX_CLIENT_MESSAGE_BYTES = 64 * 1024;
/** Largest latent vector a client may ask the server to decode. */
export const MAX_LATENT_DIM = 256;

export const FRAME_MAGIC = 0x414c5244;
export const FRAME_HEADER_BYTES = 32;
export const MSG_TYPE_FRAME = 1;

export const FRAME_KINDS = ['live', 'recon', 'decoded'] as const;
export type FrameKind = (typeof FRAME_KINDS)[number];

export interface FrameHeader {
  version: number;
  kind: FrameKind;
  channels: number;
  step: number;
  width: number;
  height: number;
  seq: number;
  sentAt: number;
}

/** Thrown when bytes on the wire do not form a valid frame. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

/** Allocates header + pixels and writes both; `sentAt` can be rewritten later with `stampSentAt`. */
export function encodeFrame(header: Omit<FrameHeader, 'version' | 'channels' | 'sentAt'> & { sentAt?: number }, rgb: Uint8Array): Uint8Array {
  const { width, height } = header;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 65535 || height > 65535) {
    throw new Error(`encodeFrame: bad size ${width}×${height}`);
  }
  if (rgb.length !== width * height * 3) {
    throw new Error(`encodeFrame: expected ${width * height * 3} RGB bytes for ${width}×${height}, got ${rgb.length}`);
  }
  const out = new Uint8Array(FRAME_HEADER_BYTES + rgb.length);
  const dv = new DataView(out.buffer, out.byteOffset, FRAME_HEADER_BYTES);
  dv.setUint32(0, FRAME_MAGIC, true);
  dv.setUint8(4, PROTOCOL_VERSION);
  dv.setUint8(5, MSG_TYPE_FRAME);
  dv.setUint8(6, FRAME_KINDS.indexOf(header.kind));
  dv.setUint8(7, 3);
  dv.setUint32(8, clampU32(header.step), true);
  dv.setUint16(12, width, true);
  dv.setUint16(14, height, true);
  dv.setUint32(16, clampU32(header.seq), true);
  dv.setUint32(20, 0, true);
  dv.setFloat64(24, header.sentAt ?? 0, true);
  out.set(rgb, FRAME_HEADER_BYTES);
  return out;
}

/** Rewrites the sentAt field of an encoded frame in place (the server stamps it just before sending). */
export function stampSentAt(frame: Uint8Array, sentAt: number): void {
  new DataView(frame.buffer, frame.byteOffset, FRAME_HEADER_BYTES).setFloat64(24, sentAt, true);
}

/** Parses a binary frame; the pixels are a view into `bytes` (no copy). */
export function decodeFrame(bytes: Uint8Array): { header: FrameHeader; pixels: Uint8Array } {
  if (bytes.length < FRAME_HEADER_BYTES) throw new ProtocolError(`frame too short: ${bytes.length} bytes`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, FRAME_HEADER_BYTES);
  if (dv.getUint32(0, true) !== FRAME_MAGIC) throw new ProtocolError('bad frame magic');
  const version = dv.getUint8(4);
  if (version !== PROTOCOL_VERSION) throw new ProtocolError(`frame protocol version ${version}, expected ${PROTOCOL_VERSION}`);
  if (dv.getUint8(5) !== MSG_TYPE_FRAME) throw new ProtocolError(`unknown binary message type ${dv.getUint8(5)}`);
  const kind = FRAME_KINDS[dv.getUint8(6)];
  if (kind === undefined) throw new ProtocolError(`unknown frame kind ${dv.getUint8(6)}`);
  const channels = dv.getUint8(7);
  const width = dv.getUint16(12, true);
  const height = dv.getUint16(14, true);
  if (channels !== 3) throw new ProtocolError(`frame has ${channels} channels, expected 3`);
  const expected = FRAME_HEADER_BYTES + width * height * channels;
  if (bytes.length !== expected) throw new ProtocolError(`frame of ${width}×${height} needs ${expected} bytes, got ${bytes.length}`);
  return {
    header: {
      version,
      kind,
      channels,
      step: dv.getUint32(8, true),
      width,
      height,
      seq: dv.getUint32(16, true),
      sentAt: dv.getFloat64(24, true),
    },
    pixels: bytes.subarray(FRAME_HEADER_BYTES),
  };
}

function clampU32(x: number): number {
  return Math.max(0, Math.min(0xffffffff, Math.floor(x)));
}

// --- client → server (JSON text messages) --------------------------------------------------------

// zod 4 numbers reject Infinity and NaN already.
const finite = z.number();

export const ClientMessage = z.discriminatedUnion('type', [
  /** Sent on every (re)connect; the server answers with `hello` or an `error` of code `version`. */
  z.strictObject({ type: z.literal('hello'), protocol: z.number().int() }),
  z.strictObject({ type: z.literal('pause') }),
  z.strictObject({ type: z.literal('resume') }),
  /** Advance exactly one step (pauses first when running). */
  z.strictObject({ type: z.literal('step') }),
  /** Play speed in environment steps per second. */
  z.strictObject({ type: z.literal('speed'), fps: finite.min(0.5).max(240) }),
  /** Switch the world variant (one of the names in `hello.variants`). */
  z.strictObject({ type: z.literal('variant'), name: z.string().min(1).max(64) }),
  /** Start a new episode in the current variant. */
  z.strictObject({ type: z.literal('reset') }),
  /** Decode a latent vector z (the latent explorer); the answer is a binary `decoded` frame with seq = id. */
  z.strictObject({
    type: z.literal('decode'),
    id: z.number().int().min(0).max(0xffffffff),
    z: z.array(finite.min(-1e3).max(1e3)).min(1).max(MAX_LATENT_DIM),
  }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;
export const CLIENT_MESSAGE_TYPES = ['hello', 'pause', 'resume', 'step', 'speed', 'variant', 'reset', 'decode'] as const;

// --- server → client (JSON text messages) --------------------------------------------------------

export const Controls = z.strictObject({
  pause: z.boolean(),
  speed: z.boolean(),
  step: z.boolean(),
  variant: z.boolean(),
  reset: z.boolean(),
  decode: z.boolean(),
});
export type Controls = z.infer<typeof Controls>;

export const PlayState = z.strictObject({
  paused: z.boolean(),
  fps: finite,
  variant: z.string().nullable(),
  episode: z.number().int(),
  t: z.number().int(),
});
export type PlayState = z.infer<typeof PlayState>;

/** What the page needs to lay itself out; sent on connect and whenever it changes. */
export const Meta = z.strictObject({
  mode: z.enum(['play', 'attach']),
  title: z.string(),
  variants: z.array(z.string()),
  actionNames: z.array(z.string()),
  latentDim: z.number().int().min(0),
  latentLabels: z.array(z.string()),
  frame: z.strictObject({ width: z.number().int(), height: z.number().int() }),
  controls: Controls,
});
export type Meta = z.infer<typeof Meta>;

export const ErrorCode = z.enum(['bad_json', 'bad_message', 'unknown_type', 'too_large', 'binary', 'version', 'unsupported', 'rate', 'internal']);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ServerMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('hello'), protocol: z.number().int(), meta: Meta, state: PlayState.nullable() }),
  z.strictObject({ type: z.literal('meta'), meta: Meta }),
  z.strictObject({ type: z.literal('state'), state: PlayState }),
  /**
   * Encoder output for the live frame: μ and σ per latent dimension, and (when known) KL per
   * dimension with `order` = dimension indices sorted by KL, largest first.
   */
  z.strictObject({
    type: z.literal('latents'),
    step: z.number(),
    mu: z.array(z.number()),
    sigma: z.array(z.number()),
    kl: z.array(z.number()).nullable(),
    order: z.array(z.number().int()),
  }),
  /** One environment step: the action taken on the live frame, its probabilities, the reward. */
  z.strictObject({
    type: z.literal('step'),
    step: z.number(),
    episode: z.number().int(),
    t: z.number().int(),
    action: z.number().int().nullable(),
    probs: z.array(z.number()).nullable(),
    reward: z.number().nullable(),
    return: z.number().nullable(),
  }),
  z.strictObject({
    type: z.literal('episode'),
    event: z.enum(['start', 'end']),
    episode: z.number().int(),
    variant: z.string().nullable(),
    return: z.number().nullable(),
    length: z.number().int().nullable(),
    terminated: z.boolean().nullable(),
  }),
  /** Training scalars (loss, KL, approx_kl, episodic return, …) at one step. */
  z.strictObject({ type: z.literal('scalars'), step: z.number(), values: z.record(z.string(), z.number()) }),
  z.strictObject({ type: z.literal('error'), code: ErrorCode, message: z.string() }),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;

/** The dimension indices sorted by KL, largest first (ties keep index order); identity without KL. */
export function orderByKl(kl: ArrayLike<number> | null | undefined, dim: number): number[] {
  const idx = Array.from({ length: dim }, (_, i) => i);
  if (kl == null || kl.length !== dim) return idx;
  return idx.sort((a, b) => kl[b] - kl[a] || a - b);
}

/** A short human-readable summary of the first zod issue (for error replies). */
export function describeIssue(err: z.ZodError): string {
  const issue = err.issues[0];
  if (issue === undefined) return 'invalid message';
  const where = issue.path.length > 0 ? issue.path.join('.') : '(root)';
  return `${where}: ${issue.message}`;
}
