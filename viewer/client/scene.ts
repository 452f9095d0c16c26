/**
 * Everything the page draws with pixi.js: the live frame, its reconstruction and the latent
 * explorer's decoded image (64×64 frames scaled up with nearest-neighbour sampling), one bar per
 * latent (μ with a ±σ band, sorted by KL) with a sparkline of its history, the action
 * probabilities, the episode counters and the return-per-episode chart. Incoming data only marks
 * parts dirty; `draw()` (once per animation frame) redraws what changed.
 */
import { Application, CanvasSource, Container, Graphics, Sprite, Text, Texture, type RendererPreference } from 'pixi.js';
import type { Meta, ServerMessage } from '../protocol.ts';
import { LatentHistory, Ring, fmt, niceRange, polylinePoints, rgbToRgba, toPixel } from './history.ts';

type LatentsMsg = Extract<ServerMessage, { type: 'latents' }>;
type StepMsg = Extract<ServerMessage, { type: 'step' }>;

export const CANVAS_WIDTH = 1000;
export const CANVAS_HEIGHT = 640;
const PANEL = 256;
const BAR_RANGE = 3;
const HISTORY = 150;
const COLORS = [0x4cc9f0, 0xf72585, 0xb5e48c, 0xffb703, 0x9d4edd, 0x06d6a0, 0xef476f, 0x8ecae6, 0xffd166, 0xc77dff, 0x90be6d, 0xf8961e];
const TEXT = { fontFamily: 'DejaVu Sans Mono, Menlo, Consolas, monospace', fontSize: 12, fill: 0xc8ccd4 };
const DIM = { ...TEXT, fill: 0x7d8590 };
const TITLE = { ...TEXT, fontSize: 13, fill: 0xe6edf3, fontWeight: 'bold' as const };

/** Where each part of the canvas is (also used by the e2e test to crop screenshots). */
export const LAYOUT = {
  live: { x: 16, y: 28, w: PANEL, h: PANEL },
  recon: { x: 288, y: 28, w: PANEL, h: PANEL },
  decoded: { x: 560, y: 28, w: PANEL, h: PANEL },
  actions: { x: 840, y: 28, w: 144, h: 150 },
  latents: { x: 16, y: 322, w: 620, h: 300 },
  returns: { x: 676, y: 322, w: 308, h: 290 },
} as const;

/** A 64×64 (or any size) RGB frame shown as a crisp, scaled-up sprite. */
class FramePanel {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly source: CanvasSource;
  readonly sprite: Sprite;
  private image: ImageData;
  readonly placeholder: Text;
  dirty = false;
  frames = 0;

  constructor(
    parent: Container,
    readonly box: { x: number; y: number; w: number; h: number },
    title: string,
    placeholder: string,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.width = 64;
    this.canvas.height = 64;
    this.ctx = this.canvas.getContext('2d')!;
    this.image = this.ctx.createImageData(64, 64);
    this.source = new CanvasSource({ resource: this.canvas, scaleMode: 'nearest' });
    this.sprite = new Sprite(new Texture({ source: this.source }));
    this.sprite.position.set(box.x, box.y);
    this.sprite.width = box.w;
    this.sprite.height = box.h;
    this.sprite.visible = false;
    const frame = new Graphics().rect(box.x - 1, box.y - 1, box.w + 2, box.h + 2).stroke({ width: 1, color: 0x30363d });
    const label = new Text({ text: title, style: TITLE });
    label.position.set(box.x, box.y - 20);
    this.placeholder = new Text({ text: placeholder, style: DIM });
    this.placeholder.position.set(box.x + 12, box.y + box.h / 2 - 8);
    parent.addChild(frame, label, this.placeholder, this.sprite);
  }

  set(width: number, height: number, rgb: Uint8Array): void {
    if (this.image.width !== width || this.image.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
      this.image = this.ctx.createImageData(width, height);
      this.source.resize(width, height);
    }
    rgbToRgba(rgb, this.image.data);
    this.dirty = true;
    this.frames++;
  }

  draw(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.ctx.putImageData(this.image, 0, 0);
    this.source.update();
    this.sprite.width = this.box.w;
    this.sprite.height = this.box.h;
    this.sprite.visible = true;
    this.placeholder.visible = false;
  }

  clear(placeholder?: string): void {
    this.sprite.visible = false;
    this.placeholder.visible = true;
    if (placeholder !== undefined) this.placeholder.text = placeholder;
  }
}

export class Scene {
  readonly app: Application;
  readonly live: FramePanel;
  readonly recon: FramePanel;
  readonly decoded: FramePanel;
  private meta: Meta | null = null;
  private latents: LatentsMsg | null = null;
  private readonly history = new LatentHistory(HISTORY);
  private step: StepMsg | null = null;
  private readonly returns = new Ring(200);
  private returnEpisodes: number[] = [];
  private readonly latentGfx = new Graphics();
  private latentLabels: Text[] = [];
  private latentValues: Text[] = [];
  private readonly actionGfx = new Graphics();
  private actionLabels: Text[] = [];
  private readonly episodeText: Text;
  private readonly returnGfx = new Graphics();
  private readonly returnText: Text;
  private readonly latentsTitle: Text;
  private readonly liveTitle: Text;
  private readonly layer = new Container();
  private dirty = { latents: false, actions: false, returns: false, layout: true };
  /** A label changed outside draw() (e.g. the live frame's step). */
  private textDirty = true;

  private constructor(app: Application) {
    this.app = app;
    app.stage.addChild(this.layer);
    this.live = new FramePanel(this.layer, LAYOUT.live, 'live frame', 'waiting for frames…');
    this.recon = new FramePanel(this.layer, LAYOUT.recon, 'reconstruction', 'no reconstruction yet');
    this.decoded = new FramePanel(this.layer, LAYOUT.decoded, 'latent explorer: decoded z', 'drag a latent slider →');
    this.liveTitle = new Text({ text: '', style: DIM });
    this.liveTitle.position.set(LAYOUT.live.x + 110, LAYOUT.live.y - 19);
    const actionsTitle = new Text({ text: 'action probabilities', style: TITLE });
    actionsTitle.position.set(LAYOUT.actions.x, LAYOUT.actions.y - 20);
    this.episodeText = new Text({ text: '', style: TEXT });
    this.episodeText.position.set(LAYOUT.actions.x, LAYOUT.actions.y + 160);
    this.latentsTitle = new Text({ text: 'latents  μ ± σ  (sorted by KL)', style: TITLE });
    this.latentsTitle.position.set(LAYOUT.latents.x, LAYOUT.latents.y - 24);
    const returnsTitle = new Text({ text: 'return per episode', style: TITLE });
    returnsTitle.position.set(LAYOUT.returns.x, LAYOUT.returns.y - 24);
    this.returnText = new Text({ text: 'no finished episode yet', style: DIM });
    this.returnText.position.set(LAYOUT.returns.x, LAYOUT.returns.y + LAYOUT.returns.h + 2);
    this.layer.addChild(this.liveTitle, actionsTitle, this.episodeText, this.latentsTitle, returnsTitle, this.returnText);
    this.layer.addChild(this.latentGfx, this.actionGfx, this.returnGfx);
  }

  /** Creates the pixi application (WebGL, falling back to the canvas renderer) inside `host`. */
  static async create(host: HTMLElement, preference: RendererPreference[] = ['webgl', 'canvas']): Promise<Scene> {
    const app = new Application();
    await app.init({
      width: CANVAS_WIDTH,
      height: CANVAS_HEIGHT,
      background: '#0d1117',
      antialias: true,
      preference,
      resolution: Math.min(2, window.devicePixelRatio || 1),
      autoDensity: true,
      autoStart: false,
    });
    host.appendChild(app.canvas);
    const scene = new Scene(app);
    // Render on demand: once per animation frame, and only when something changed.
    const loop = () => {
      if (scene.draw()) app.render();
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
    return scene;
  }

  get rendererName(): string {
    return this.app.renderer.name;
  }

  setMeta(meta: Meta): void {
    this.meta = meta;
    this.dirty.layout = true;
    this.dirty.latents = true;
    this.dirty.actions = true;
    if (!meta.controls.decode) this.decoded.clear('no decoder on this server');
    this.textDirty = true;
  }

  setFrame(kind: 'live' | 'recon' | 'decoded', width: number, height: number, rgb: Uint8Array, step: number): void {
    this[kind].set(width, height, rgb);
    if (kind === 'live') {
      this.liveTitle.text = `step ${step}`;
      this.textDirty = true;
    }
  }

  setLatents(msg: LatentsMsg): void {
    this.latents = msg;
    this.history.push(msg.mu);
    this.dirty.latents = true;
  }

  setStep(msg: StepMsg): void {
    this.step = msg;
    this.dirty.actions = true;
  }

  addReturn(episode: number, ret: number): void {
    this.returns.push(ret);
    this.returnEpisodes.push(episode);
    if (this.returnEpisodes.length > this.returns.capacity) this.returnEpisodes.shift();
    this.dirty.returns = true;
  }

  /** Forgets histories (a new server or a new variant). */
  clearHistories(): void {
    this.history.clear();
    this.returns.clear();
    this.returnEpisodes = [];
    this.dirty.latents = true;
    this.dirty.returns = true;
  }

  /** Redraws what changed since the last call; returns whether anything did (so the stage needs rendering). */
  draw(): boolean {
    const changed = this.live.dirty || this.recon.dirty || this.decoded.dirty || this.textDirty || Object.values(this.dirty).some((d) => d);
    this.textDirty = false;
    this.live.draw();
    this.recon.draw();
    this.decoded.draw();
    if (this.dirty.layout) this.layoutLabels();
    if (this.dirty.latents) this.drawLatents();
    if (this.dirty.actions) this.drawActions();
    if (this.dirty.returns) this.drawReturns();
    return changed;
  }

  private layoutLabels(): void {
    this.dirty.layout = false;
    for (const t of [...this.latentLabels, ...this.latentValues, ...this.actionLabels]) t.destroy();
    this.latentLabels = [];
    this.latentValues = [];
    this.actionLabels = [];
    const meta = this.meta;
    if (meta === null) return;
    const rows = this.latentRows(meta.latentDim);
    for (let i = 0; i < meta.latentDim; i++) {
      const label = new Text({ text: '', style: TEXT });
      label.position.set(LAYOUT.latents.x, LAYOUT.latents.y + i * rows.h + rows.h / 2 - 8);
      const value = new Text({ text: '', style: DIM });
      value.position.set(LAYOUT.latents.x + 490, LAYOUT.latents.y + i * rows.h + rows.h / 2 - 8);
      this.latentLabels.push(label);
      this.latentValues.push(value);
    }
    meta.actionNames.forEach((name, i) => {
      const t = new Text({ text: name, style: TEXT });
      t.position.set(LAYOUT.actions.x, LAYOUT.actions.y + i * 24 + 3);
      this.actionLabels.push(t);
    });
    this.layer.addChild(...this.latentLabels, ...this.latentValues, ...this.actionLabels);
  }

  private latentRows(dim: number): { h: number } {
    return { h: Math.max(14, Math.min(28, Math.floor(LAYOUT.latents.h / Math.max(1, dim)))) };
  }

  private drawLatents(): void {
    this.dirty.latents = false;
    const g = this.latentGfx.clear();
    const meta = this.meta;
    const msg = this.latents;
    if (meta === null || meta.latentDim === 0) {
      this.latentsTitle.text = 'latents: no latent model';
      return;
    }
    this.latentsTitle.text = `latents  μ ± σ  (${msg?.kl ? 'sorted by KL' : 'model order'})`;
    const { h } = this.latentRows(meta.latentDim);
    const L = LAYOUT.latents;
    const barX0 = L.x + 110;
    const barX1 = L.x + 290;
    const sparkX = L.x + 302;
    const sparkW = 180;
    const zero = toPixel(0, -BAR_RANGE, BAR_RANGE, barX0, barX1);
    const order = msg !== null && msg.order.length === meta.latentDim ? msg.order : meta.latentLabels.map((_, i) => i);
    for (let row = 0; row < meta.latentDim; row++) {
      const d = order[row];
      const y = L.y + row * h;
      const color = COLORS[d % COLORS.length];
      g.rect(barX0, y + 2, barX1 - barX0, h - 4).fill({ color: 0x161b22 });
      g.rect(sparkX, y + 2, sparkW, h - 4).fill({ color: 0x161b22 });
      const klText = msg?.kl ? ` kl ${fmt(msg.kl[d])}` : '';
      this.setText(this.latentLabels[row], `${meta.latentLabels[d] ?? `z${d}`}`.slice(0, 13));
      if (msg === null || msg.mu.length !== meta.latentDim) {
        this.setText(this.latentValues[row], '');
        continue;
      }
      const mu = msg.mu[d];
      const sigma = msg.sigma[d];
      const lo = toPixel(mu - sigma, -BAR_RANGE, BAR_RANGE, barX0, barX1);
      const hi = toPixel(mu + sigma, -BAR_RANGE, BAR_RANGE, barX0, barX1);
      g.rect(lo, y + 3, Math.max(1, hi - lo), h - 6).fill({ color, alpha: 0.28 });
      const m = toPixel(mu, -BAR_RANGE, BAR_RANGE, barX0, barX1);
      g.rect(Math.min(zero, m), y + Math.floor(h / 2) - 3, Math.max(2, Math.abs(m - zero)), 6).fill({ color });
      g.rect(m - 1, y + 2, 2, h - 4).fill({ color: 0xffffff });
      const ring = this.history.rings[d];
      if (ring !== undefined && ring.length > 1) {
        const [rlo, rhi] = niceRange(...ring.extent());
        const pts = polylinePoints(ring, sparkX + 2, y + 3, sparkW - 4, h - 6, rlo, rhi, HISTORY);
        g.moveTo(pts[0], pts[1]);
        for (let i = 2; i < pts.length; i += 2) g.lineTo(pts[i], pts[i + 1]);
        g.stroke({ width: 1.5, color, alpha: 0.95 });
      }
      this.setText(this.latentValues[row], `${fmt(mu)}±${fmt(sigma)}${klText}`);
    }
    g.rect(zero, L.y, 1, meta.latentDim * h).fill({ color: 0x8b949e, alpha: 0.6 });
  }

  private drawActions(): void {
    this.dirty.actions = false;
    const g = this.actionGfx.clear();
    const meta = this.meta;
    const s = this.step;
    const A = LAYOUT.actions;
    if (meta !== null) {
      meta.actionNames.forEach((_, i) => {
        const y = A.y + i * 24;
        const x0 = A.x + 52;
        const w = A.w - 52;
        g.rect(x0, y + 2, w, 16).fill({ color: 0x161b22 });
        const p = s?.probs?.[i];
        if (p !== undefined) g.rect(x0, y + 2, Math.max(1, p * w), 16).fill({ color: s?.action === i ? 0xffb703 : 0x4c8bf5 });
      });
    }
    if (s === null) {
      this.setText(this.episodeText, '');
      return;
    }
    const action = s.action !== null && meta !== null ? (meta.actionNames[s.action] ?? String(s.action)) : '–';
    this.setText(this.episodeText, [`episode ${s.episode}`, `t       ${s.t}`, `action  ${action}`, `reward  ${fmt(s.reward)}`, `return  ${fmt(s.return)}`].join('\n'));
  }

  private drawReturns(): void {
    this.dirty.returns = false;
    const g = this.returnGfx.clear();
    const R = LAYOUT.returns;
    g.rect(R.x, R.y, R.w, R.h).fill({ color: 0x161b22 });
    const n = this.returns.length;
    if (n === 0) return;
    const [lo, hi] = niceRange(...this.returns.extent());
    if (lo < 0 && hi > 0) {
      const y0 = R.y + R.h - ((0 - lo) / (hi - lo)) * R.h;
      g.rect(R.x, y0, R.w, 1).fill({ color: 0x8b949e, alpha: 0.5 });
    }
    const pts = polylinePoints(this.returns, R.x + 6, R.y + 6, R.w - 12, R.h - 12, lo, hi, Math.max(2, Math.min(this.returns.capacity, Math.max(n, 20))));
    if (n > 1) {
      g.moveTo(pts[0], pts[1]);
      for (let i = 2; i < pts.length; i += 2) g.lineTo(pts[i], pts[i + 1]);
      g.stroke({ width: 1.5, color: 0x06d6a0 });
    }
    for (let i = 0; i < pts.length; i += 2) g.circle(pts[i], pts[i + 1], 2.5).fill({ color: 0x06d6a0 });
    const last = this.returns.last();
    this.setText(this.returnText, `${n} episodes · last ${fmt(last)} · mean ${fmt(this.meanReturn())}`);
  }

  private meanReturn(): number {
    let sum = 0;
    for (let i = 0; i < this.returns.length; i++) sum += this.returns.at(i);
    return sum / Math.max(1, this.returns.length);
  }

  private setText(t: Text | undefined, s: string): void {
    if (t !== undefined && t.text !== s) t.text = s;
  }
}
