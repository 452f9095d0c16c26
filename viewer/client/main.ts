/**
 * The page's entry point (bundled into /app.js): creates the pixi scene and the controls, connects
 * to the server, and routes each message to the part that shows it. It also keeps a few counters
 * on `window.__darlaViewer` (frames received, latency, the decoded image's checksum) that the
 * end-to-end browser test and curious users can read.
 */
// Pixi without eval(): the server's Content-Security-Policy does not allow 'unsafe-eval'.
import 'pixi.js/unsafe-eval';
import type { RendererPreference } from 'pixi.js';
import type { FrameHeader, Meta, ServerMessage } from '../protocol.ts';
import { Connection } from './connection.ts';
import { ControlsPanel } from './controls.ts';
import { Ring, checksum } from './history.ts';
import { LAYOUT, Scene } from './scene.ts';

export interface ViewerStats {
  renderer: string;
  connected: boolean;
  connects: number;
  frames: { live: number; recon: number; decoded: number };
  latents: number;
  steps: number;
  episodes: number;
  lastMu: number[] | null;
  lastStep: number;
  /** Checksum of the last live frame's RGB bytes (the e2e test compares it with the drawn pixels). */
  liveChecksum: number | null;
  decodedChecksum: number | null;
  decodeRequests: number;
  errors: string[];
  latencyMs: number[];
  meta: Meta | null;
  variant: string | null;
  layout: typeof LAYOUT;
}

declare global {
  interface Window {
    __darlaViewer?: ViewerStats;
  }
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const preference = pickRenderer(params.get('renderer'));
  const scene = await Scene.create(document.getElementById('stage')!, preference);
  document.getElementById('renderer')!.textContent = `pixi ${scene.rendererName}`;
  const latency = new Ring(512);
  const stats: ViewerStats = {
    renderer: scene.rendererName,
    connected: false,
    connects: 0,
    frames: { live: 0, recon: 0, decoded: 0 },
    latents: 0,
    steps: 0,
    episodes: 0,
    lastMu: null,
    lastStep: 0,
    liveChecksum: null,
    decodedChecksum: null,
    decodeRequests: 0,
    errors: [],
    get latencyMs() {
      return latency.toArray();
    },
    meta: null,
    variant: null,
    layout: LAYOUT,
  };
  window.__darlaViewer = stats;

  let metaKey = '';
  const controls = new ControlsPanel((msg) => conn.send(msg));
  const applyMeta = (meta: Meta) => {
    const key = JSON.stringify([meta.mode, meta.title, meta.latentDim, meta.latentLabels, meta.actionNames]);
    if (key !== metaKey) {
      metaKey = key;
      scene.clearHistories();
      controls.resetExplorer();
    }
    stats.meta = meta;
    scene.setMeta(meta);
    controls.setMeta(meta);
  };

  const onMessage = (msg: ServerMessage) => {
    switch (msg.type) {
      case 'hello':
        applyMeta(msg.meta);
        controls.setState(msg.state);
        stats.variant = msg.state?.variant ?? null;
        return;
      case 'meta':
        return applyMeta(msg.meta);
      case 'state':
        stats.variant = msg.state.variant;
        return controls.setState(msg.state);
      case 'latents':
        stats.latents++;
        stats.lastMu = msg.mu;
        scene.setLatents(msg);
        controls.setLiveMu(msg.mu, msg.order);
        stats.decodeRequests = controls.decodeRequests;
        return;
      case 'step':
        stats.steps++;
        return scene.setStep(msg);
      case 'episode':
        if (msg.event === 'end' && msg.return !== null) {
          stats.episodes++;
          scene.addReturn(msg.episode, msg.return);
        }
        return;
      case 'scalars':
        return controls.setScalars(msg.step, msg.values);
      case 'error':
        stats.errors.push(`${msg.code}: ${msg.message}`);
        return controls.showError(msg.message);
    }
  };

  const onFrame = (h: FrameHeader, pixels: Uint8Array, receivedAt: number) => {
    stats.frames[h.kind]++;
    if (h.kind === 'live') {
      stats.lastStep = h.step;
      stats.liveChecksum = checksum(pixels);
      if (h.sentAt > 0) latency.push(receivedAt - h.sentAt);
    }
    if (h.kind === 'decoded') {
      stats.decodedChecksum = checksum(pixels);
      stats.decodeRequests = controls.decodeRequests;
    }
    scene.setFrame(h.kind, h.width, h.height, pixels, h.step);
  };

  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  const conn = new Connection(wsUrl, {
    onOpen: () => {
      stats.connected = true;
      stats.connects = conn.connects;
      controls.setConnected(true);
    },
    onClose: () => {
      stats.connected = false;
      controls.setConnected(false);
    },
    onMessage,
    onFrame,
    onBadMessage: (reason) => {
      stats.errors.push(`client: ${reason}`);
      controls.showError(`bad message from server: ${reason}`);
    },
  });
  conn.start();
}

/**
 * WebGL when the browser has a GPU; the 2D-canvas renderer when asked (?renderer=canvas) or when
 * WebGL is software-emulated (SwiftShader, llvmpipe), where the canvas path is much cheaper (in
 * headless Chromium, about 2 ms against 100 ms from frame arrival to handler on 2 cores).
 */
function pickRenderer(asked: string | null): RendererPreference[] {
  if (asked === 'canvas') return ['canvas'];
  if (asked === 'webgl') return ['webgl', 'canvas'];
  try {
    const gl = document.createElement('canvas').getContext('webgl');
    if (gl === null) return ['canvas'];
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const name = String(ext !== null ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return /swiftshader|llvmpipe|softpipe|software/i.test(name) ? ['canvas', 'webgl'] : ['webgl', 'canvas'];
  } catch {
    return ['canvas'];
  }
}

main().catch((err: unknown) => {
  const box = document.getElementById('errors');
  if (box !== null) box.textContent = `viewer failed to start: ${(err as Error).message}`;
  console.error(err);
});
