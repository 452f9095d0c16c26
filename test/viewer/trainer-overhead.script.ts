/**
 * Measures what attaching the viewer (attach mode: the server in a worker thread) costs a trainer,
 * in a process of its own (as in real use, where pages run in a browser): alternates short runs of a synthetic training loop without and with a
 * ViewerServer that it publishes every step into, and prints one JSON line with the median
 * attached/plain ratio of CPU and wall time over the pairs. The parent test connects the clients (one reading, one stalled) before measuring starts.
 * Usage: node --import tsx test/viewer/trainer-overhead.script.ts <steps per run> <pairs> <clients to wait for>
 */
import fs from 'node:fs';
import { attachViewer } from '../../viewer/attach.ts';
import { syntheticFrame } from './fakes.ts';

const steps = Number(process.argv[2] ?? 120);
const reps = Number(process.argv[3] ?? 4);
const expectedClients = Number(process.argv[4] ?? 2);

// The "trainer step": a fixed amount of float work (about 1–4 ms; real β-VAE and PPO updates take far longer).
const w = new Float32Array(128 * 128).map((_, i) => Math.sin(i));
const x = new Float32Array(128).fill(0.5);
const y = new Float32Array(128);
function work(): void {
  for (let rep = 0; rep < 60; rep++) {
    for (let r = 0; r < 128; r++) {
      let s = 0;
      for (let c = 0; c < 128; c++) s += w[r * 128 + c] * x[c];
      y[r] = Math.tanh(s);
    }
    x.set(y);
  }
}

const server = await attachViewer({ port: 0, servePage: false, maxFps: 30, log: () => {} });
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
while (server.clientCount < expectedClients) await new Promise((r) => setTimeout(r, 5));
let framesPublished = 0;

const frame = syntheticFrame(3);
const mu = new Float32Array(10).fill(0.25);

/**
 * CPU time of this (the trainer's) thread in ms, exact to the nanosecond, from Linux's
 * /proc/thread-self/schedstat; null elsewhere. Unlike wall time it does not count time spent waiting
 * for a core on a busy machine, and unlike process.cpuUsage() it leaves out the viewer's worker
 * thread, which runs beside the trainer rather than in its way.
 */
function threadCpuMs(): number | null {
  try {
    return Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return null;
  }
}

/** Wall-clock and trainer-thread CPU milliseconds of one run. */
interface Timing {
  wallMs: number;
  cpuMs: number | null;
}

async function timed(run: () => Promise<void>): Promise<Timing> {
  const t0 = performance.now();
  const c0 = threadCpuMs();
  await run();
  const c1 = threadCpuMs();
  return { wallMs: performance.now() - t0, cpuMs: c0 !== null && c1 !== null ? c1 - c0 : null };
}

async function plain(): Promise<void> {
  for (let i = 0; i < steps; i++) {
    work();
    if (i % 20 === 0) await new Promise((r) => setImmediate(r)); // a trainer yields now and then anyway
  }
}

async function attached(): Promise<void> {
  for (let i = 0; i < steps; i++) {
    work();
    if (server.wantsFrame() && server.publish({ step: i, frame, width: 64, height: 64, recon: frame, mu, sigma: mu })) framesPublished++;
    server.publishScalars({ step: i, loss: 1 / (i + 1) });
    await server.pump();
  }
}

// Many short alternating pairs; the median of the per-pair ratios cancels the noise of a shared machine.
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const pairs: { plain: Timing; attached: Timing }[] = [];
for (let r = 0; r < reps; r++) {
  const first = r % 2 === 0;
  const a0 = first ? null : await timed(attached);
  const p = await timed(plain);
  const a = a0 ?? (await timed(attached));
  pairs.push({ plain: p, attached: a });
}
const result = {
  steps,
  reps,
  cpuRatio: pairs[0].plain.cpuMs === null ? null : median(pairs.map((q) => q.attached.cpuMs! / q.plain.cpuMs!)),
  wallRatio: median(pairs.map((q) => q.attached.wallMs / q.plain.wallMs)),
  plainMs: median(pairs.map((q) => q.plain.wallMs)),
  framesPublished,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
await server.close();
