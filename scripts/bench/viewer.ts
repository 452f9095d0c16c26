/**
 * `darla bench viewer`: the live viewer under load. A play session (the shape world, the
 * patch-means latent model, a random policy) streams to 1 and then 16 WebSocket clients that run
 * in a worker thread (their own event loop, as pages in a browser would be). Metrics:
 * - frame_latency_ms_p50 / _p95: live frame, server send (publish) → client receive, over every
 *   frame of the 16-client run (the 1-client figures are in the details);
 * - fps_1_client / fps_16_clients: live frames a client receives per second with the session
 *   playing at 30 steps/s (median over clients; min and max in the details).
 * The full run also plays at the top speed (240 steps/s) to show the headroom (details only).
 * Clocks: both threads read performance.timeOrigin + now(); their offset is measured by ping and
 * subtracted.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { FRAME_MAGIC } from '../../viewer/protocol.ts';
import { PatchMeansModel } from '../../viewer/patch-model.ts';
import { startPlayViewer } from '../../viewer/index.ts';
import { worldSource } from '../../viewer/world.ts';
import { median, percentile, type BenchSuite } from './types.ts';

/** The clients' code (plain JS, run with `eval` in a worker): N ws clients timing every live frame. */
const CLIENTS_JS = `
const { parentPort, workerData } = require('node:worker_threads');
const WebSocket = require(workerData.wsPath);
const { url, n, magic } = workerData;
const now = () => performance.timeOrigin + performance.now();
let measuring = false, t0 = 0, opened = 0;
const latencies = [];
const counts = new Array(n).fill(0);
const sockets = [];
for (let i = 0; i < n; i++) {
  const ws = new WebSocket(url);
  ws.on('open', () => { if (++opened === n) parentPort.postMessage({ op: 'open' }); });
  ws.on('message', (d, isBinary) => {
    if (!isBinary || !measuring || d.length < 32 || d.readUInt32LE(0) !== magic || d[6] !== 0) return;
    latencies.push(now() - d.readDoubleLE(24));
    counts[i]++;
  });
  ws.on('error', () => {});
  sockets.push(ws);
}
parentPort.on('message', (m) => {
  if (m.op === 'ping') parentPort.postMessage({ op: 'pong', t: now() });
  else if (m.op === 'start') { latencies.length = 0; counts.fill(0); t0 = now(); measuring = true; }
  else if (m.op === 'stop') {
    measuring = false;
    parentPort.postMessage({ op: 'result', latencies, counts, seconds: (now() - t0) / 1000 });
    for (const s of sockets) s.close();
  }
});
`;

interface ClientsResult {
  latencies: number[];
  counts: number[];
  seconds: number;
}

interface RunResult {
  clients: number;
  stepsPerSec: number;
  latencyP50: number;
  latencyP95: number;
  fpsMedian: number;
  fpsMin: number;
  fpsMax: number;
  frames: number;
  clockOffsetMs: number;
  serverSkipped: number;
  droppedForSlowClients: number;
}

function nextMessage<T>(w: Worker, op: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const on = (m: { op: string }) => {
      if (m.op !== op) return;
      w.off('message', on);
      w.off('error', reject);
      resolve(m as T);
    };
    w.on('message', on);
    w.on('error', reject);
  });
}

/** Offset of the worker's clock from this thread's (ms), from the lowest-round-trip of 15 pings. */
async function clockOffset(w: Worker): Promise<number> {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < 15; i++) {
    const t0 = performance.timeOrigin + performance.now();
    w.postMessage({ op: 'ping' });
    const { t } = await nextMessage<{ t: number }>(w, 'pong');
    const t1 = performance.timeOrigin + performance.now();
    if (t1 - t0 < best.rtt) best = { rtt: t1 - t0, offset: t - (t0 + t1) / 2 };
  }
  return best.offset;
}

async function measure(clients: number, stepsPerSec: number, seconds: number, seed: number, log: (l: string) => void): Promise<RunResult> {
  const world = worldSource();
  const viewer = await startPlayViewer({
    port: 0,
    makeEnv: world.makeEnv,
    variants: world.variants,
    variant: world.start,
    actionNames: world.actionNames,
    latentModel: new PatchMeansModel(),
    seed,
    fps: stepsPerSec,
    log,
  });
  const worker = new Worker(CLIENTS_JS, {
    eval: true,
    workerData: { url: `ws://127.0.0.1:${viewer.server.port}/ws`, n: clients, magic: FRAME_MAGIC, wsPath: createRequire(import.meta.url).resolve('ws') },
  });
  try {
    await nextMessage(worker, 'open');
    const offset = await clockOffset(worker);
    await new Promise((r) => setTimeout(r, 1000)); // warm-up
    const before = viewer.server.stats();
    worker.postMessage({ op: 'start' });
    await new Promise((r) => setTimeout(r, seconds * 1000));
    worker.postMessage({ op: 'stop' });
    const res = await nextMessage<ClientsResult>(worker, 'result');
    const after = viewer.server.stats();
    const lat = res.latencies.map((x) => x - offset);
    const fps = res.counts.map((c) => c / res.seconds);
    const dropped = after.perClient.reduce((s, c) => s + c.dropped, 0) - before.perClient.reduce((s, c) => s + c.dropped, 0);
    if (lat.length === 0) throw new Error(`no frames reached the ${clients} client(s)`);
    return {
      clients,
      stepsPerSec,
      latencyP50: percentile(lat, 50),
      latencyP95: percentile(lat, 95),
      fpsMedian: median(fps),
      fpsMin: Math.min(...fps),
      fpsMax: Math.max(...fps),
      frames: lat.length,
      clockOffsetMs: offset,
      serverSkipped: after.framesSkipped - before.framesSkipped,
      droppedForSlowClients: dropped,
    };
  } finally {
    await worker.terminate();
    await viewer.close();
  }
}

export const run: BenchSuite = async ({ quick, seed, log }) => {
  const seconds = quick ? 4 : 10;
  const runs: RunResult[] = [];
  for (const clients of [1, 16]) {
    log(`viewer bench: ${clients} client(s), play at 30 steps/s, ${seconds} s`);
    runs.push(await measure(clients, 30, seconds, seed, log));
  }
  const headroom: RunResult[] = [];
  if (!quick) {
    for (const clients of [1, 16]) {
      log(`viewer bench: ${clients} client(s), play at the top speed (240 steps/s), ${seconds / 2} s`);
      headroom.push(await measure(clients, 240, seconds / 2, seed, log));
    }
  }
  const [one, sixteen] = runs;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    backend: 'none',
    metrics: {
      frame_latency_ms_p50: round(sixteen.latencyP50),
      frame_latency_ms_p95: round(sixteen.latencyP95),
      fps_1_client: round(one.fpsMedian),
      fps_16_clients: round(sixteen.fpsMedian),
    },
    details: {
      note: 'latency metrics from the 16-client run; fps = live frames received per client per second, median over clients',
      seconds_per_run: seconds,
      runs,
      headroom,
    },
  };
};
