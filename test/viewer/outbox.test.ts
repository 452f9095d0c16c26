/** Per-client back-pressure: latest-wins slots for streaming messages, a hard limit for stuck clients. */
import { describe, expect, it } from 'vitest';
import { Outbox, type Sink } from '../../viewer/outbox.ts';

/** A socket whose writes complete only when the test says so. */
class ManualSink implements Sink {
  bufferedAmount = 0;
  terminated = false;
  written: string[] = [];
  private callbacks: (() => void)[] = [];
  send(data: Uint8Array, _o: { binary: boolean }, cb: (err?: Error) => void): void {
    this.written.push(Buffer.from(data).toString());
    this.bufferedAmount += data.length;
    this.callbacks.push(() => {
      this.bufferedAmount -= data.length;
      cb();
    });
  }
  terminate(): void {
    this.terminated = true;
  }
  /** Completes the oldest n pending writes. */
  drain(n = Infinity): void {
    while (n-- > 0 && this.callbacks.length > 0) this.callbacks.shift()!();
  }
}

const msg = (s: string, size = 10) => Buffer.from(s.padEnd(size, '.'));

describe('Outbox', () => {
  it('sends at once while the client keeps up', () => {
    const sink = new ManualSink();
    const box = new Outbox(sink, { softLimitBytes: 100, hardLimitBytes: 1000 });
    box.sendDroppable('live', msg('a'), true);
    sink.drain();
    box.sendDroppable('live', msg('b'), true);
    sink.drain();
    expect(sink.written.map((w) => w[0])).toEqual(['a', 'b']);
    expect(box.dropped).toBe(0);
  });

  it('keeps only the latest message per slot while the client is behind', () => {
    const sink = new ManualSink();
    const box = new Outbox(sink, { softLimitBytes: 25, hardLimitBytes: 1000 });
    box.sendDroppable('live', msg('1'), true);
    box.sendDroppable('live', msg('2'), true);
    box.sendDroppable('live', msg('3'), true); // over the soft limit: waits
    box.sendDroppable('live', msg('4'), true); // replaces 3
    box.sendDroppable('latents', msg('L'), false);
    expect(sink.written.map((w) => w[0])).toEqual(['1', '2']);
    expect(box.dropped).toBe(1);
    expect(box.waiting).toBe(2);
    sink.drain();
    expect(sink.written.map((w) => w[0])).toEqual(['1', '2', '4', 'L']);
    expect(box.waiting).toBe(0);
  });

  it('memory stays bounded for a client that never reads: drops, then disconnects on reliable sends', () => {
    const sink = new ManualSink();
    let stuck = 0;
    const box = new Outbox(sink, { softLimitBytes: 100, hardLimitBytes: 500 }, () => stuck++);
    for (let i = 0; i < 10_000; i++) box.sendDroppable(i % 2 ? 'live' : 'recon', msg(String(i % 10), 40), true);
    expect(box.inflight).toBeLessThanOrEqual(100);
    expect(box.waiting).toBeLessThanOrEqual(2);
    expect(box.dropped).toBeGreaterThan(9_990);
    let ok = true;
    for (let i = 0; i < 100 && ok; i++) ok = box.sendReliable(msg('E', 40));
    expect(ok).toBe(false);
    expect(sink.terminated).toBe(true);
    expect(stuck).toBe(1);
    expect(sink.bufferedAmount).toBeLessThanOrEqual(600);
  });

  it('still delivers a single message larger than the soft limit', () => {
    const sink = new ManualSink();
    const box = new Outbox(sink, { softLimitBytes: 10, hardLimitBytes: 1000 });
    box.sendDroppable('live', msg('big', 50), true);
    expect(sink.written.length).toBe(1);
  });
});
