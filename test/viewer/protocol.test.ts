/** The wire protocol: binary frame header round trip and rejection, client message validation, KL ordering. */
import { describe, expect, it } from 'vitest';
import {
  ClientMessage,
  FRAME_HEADER_BYTES,
  ProtocolError,
  ServerMessage,
  decodeFrame,
  encodeFrame,
  orderByKl,
  stampSentAt,
} from '../../viewer/protocol.ts';

describe('binary frames', () => {
  const rgb = Uint8Array.from({ length: 4 * 2 * 3 }, (_, i) => i * 7);

  it('round-trips header and pixels', () => {
    const bytes = encodeFrame({ kind: 'recon', step: 123456, width: 4, height: 2, seq: 77, sentAt: 1700000000123.25 }, rgb);
    expect(bytes.length).toBe(FRAME_HEADER_BYTES + rgb.length);
    const { header, pixels } = decodeFrame(bytes);
    expect(header).toEqual({ version: 1, kind: 'recon', channels: 3, step: 123456, width: 4, height: 2, seq: 77, sentAt: 1700000000123.25 });
    expect([...pixels]).toEqual([...rgb]);
  });

  it('stamps sentAt in place', () => {
    const bytes = encodeFrame({ kind: 'live', step: 1, width: 4, height: 2, seq: 0 }, rgb);
    stampSentAt(bytes, 42.5);
    expect(decodeFrame(bytes).header.sentAt).toBe(42.5);
  });

  it('rejects short, foreign, truncated and mislabelled frames', () => {
    const good = encodeFrame({ kind: 'live', step: 1, width: 4, height: 2, seq: 0 }, rgb);
    expect(() => decodeFrame(good.subarray(0, 10))).toThrow(ProtocolError);
    const foreign = good.slice();
    foreign[0] = 0;
    expect(() => decodeFrame(foreign)).toThrow(/magic/);
    expect(() => decodeFrame(good.subarray(0, good.length - 1))).toThrow(/needs/);
    const badKind = good.slice();
    badKind[6] = 9;
    expect(() => decodeFrame(badKind)).toThrow(/kind/);
    const badVersion = good.slice();
    badVersion[4] = 2;
    expect(() => decodeFrame(badVersion)).toThrow(/version/);
  });

  it('refuses to encode pixels that do not match the size', () => {
    expect(() => encodeFrame({ kind: 'live', step: 0, width: 4, height: 4, seq: 0 }, rgb)).toThrow(/expected 48/);
  });
});

describe('client messages', () => {
  it('accepts every control message', () => {
    for (const m of [
      { type: 'hello', protocol: 1 },
      { type: 'pause' },
      { type: 'resume' },
      { type: 'step' },
      { type: 'speed', fps: 12.5 },
      { type: 'variant', name: 'color-shift' },
      { type: 'reset' },
      { type: 'decode', id: 3, z: [0.5, -1, 2] },
    ]) {
      expect(ClientMessage.safeParse(m).success, JSON.stringify(m)).toBe(true);
    }
  });

  it('rejects unknown types, extra keys, out-of-range values and huge latent vectors', () => {
    for (const m of [
      { type: 'explode' },
      { type: 'pause', now: true },
      { type: 'speed', fps: 0 },
      { type: 'speed', fps: 1e9 },
      { type: 'speed', fps: '10' },
      { type: 'variant', name: '' },
      { type: 'decode', id: -1, z: [0] },
      { type: 'decode', id: 1, z: [] },
      { type: 'decode', id: 1, z: new Array(257).fill(0) },
      { type: 'decode', id: 1, z: [1e6] },
      null,
      [],
    ]) {
      expect(ClientMessage.safeParse(m).success, JSON.stringify(m)).toBe(false);
    }
  });
});

describe('server messages', () => {
  it('validate what the server sends', () => {
    const ok = ServerMessage.safeParse({ type: 'latents', step: 3, mu: [0.1, -0.2], sigma: [1, 0.5], kl: null, order: [0, 1] });
    expect(ok.success).toBe(true);
    expect(ServerMessage.safeParse({ type: 'latents', step: 3, mu: [0.1] }).success).toBe(false);
  });
});

describe('orderByKl', () => {
  it('sorts dimensions by KL, largest first, ties in index order', () => {
    expect(orderByKl([0.1, 3, 0.1, 2], 4)).toEqual([1, 3, 0, 2]);
  });
  it('is the identity without KL or with the wrong length', () => {
    expect(orderByKl(null, 3)).toEqual([0, 1, 2]);
    expect(orderByKl([1, 2], 3)).toEqual([0, 1, 2]);
  });
});
