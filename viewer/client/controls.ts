/**
 * The page's controls, as plain DOM in the side panel: pause/resume, step once, reset episode,
 * speed, variant switch, the latent explorer (one slider per latent; dragging one asks the server
 * to decode the slider vector), the training-scalars table, and the connection status line.
 * Controls the server cannot honour (attach mode, no decoder) are disabled from `meta.controls`.
 */
import type { ClientMessage, Meta, PlayState } from '../protocol.ts';
import { fmt } from './history.ts';

const SLIDER_RANGE = 3;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function byId<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`page is missing #${id}`);
  return e as T;
}

export class ControlsPanel {
  private meta: Meta | null = null;
  private state: PlayState | null = null;
  private readonly pauseBtn = byId<HTMLButtonElement>('pause');
  private readonly stepBtn = byId<HTMLButtonElement>('step');
  private readonly resetBtn = byId<HTMLButtonElement>('reset');
  private readonly speed = byId<HTMLInputElement>('speed');
  private readonly speedValue = byId<HTMLSpanElement>('speed-value');
  private readonly variant = byId<HTMLSelectElement>('variant');
  private readonly explorer = byId<HTMLDivElement>('explorer');
  private readonly fromLive = byId<HTMLButtonElement>('explorer-from-live');
  private readonly scalars = byId<HTMLTableSectionElement>('scalars');
  private readonly scalarsStep = byId<HTMLSpanElement>('scalars-step');
  private readonly status = byId<HTMLSpanElement>('status');
  private readonly errors = byId<HTMLDivElement>('errors');
  private sliders: HTMLInputElement[] = [];
  private sliderValues: HTMLSpanElement[] = [];
  private sliderOrder: number[] = [];
  private liveMu: number[] | null = null;
  private explorerInitialised = false;
  private decodeId = 0;
  private scalarRows = new Map<string, HTMLTableCellElement>();
  /** How many decode requests this page has sent (the e2e test reads it). */
  decodeRequests = 0;

  constructor(private readonly send: (msg: ClientMessage) => boolean) {
    this.pauseBtn.addEventListener('click', () => this.send({ type: this.state?.paused ? 'resume' : 'pause' }));
    this.stepBtn.addEventListener('click', () => this.send({ type: 'step' }));
    this.resetBtn.addEventListener('click', () => this.send({ type: 'reset' }));
    this.speed.addEventListener('input', () => (this.speedValue.textContent = `${this.speed.value} steps/s`));
    this.speed.addEventListener('change', () => this.send({ type: 'speed', fps: Number(this.speed.value) }));
    this.variant.addEventListener('change', () => this.send({ type: 'variant', name: this.variant.value }));
    this.fromLive.addEventListener('click', () => {
      if (this.liveMu !== null) this.setExplorer(this.liveMu);
    });
    this.setMeta(null);
  }

  setConnected(connected: boolean, detail = ''): void {
    this.status.textContent = connected ? 'live' : `reconnecting…${detail}`;
    this.status.className = connected ? 'status on' : 'status off';
    if (!connected) for (const b of [this.pauseBtn, this.stepBtn, this.resetBtn]) b.disabled = true;
    else this.applyControls();
  }

  setMeta(meta: Meta | null): void {
    const dimChanged = meta?.latentDim !== this.meta?.latentDim || meta?.latentLabels.join() !== this.meta?.latentLabels.join();
    this.meta = meta;
    byId('mode').textContent = meta === null ? '' : meta.mode === 'play' ? 'playing' : 'attached to training';
    const title = meta?.title ?? 'darla viewer';
    byId('title').textContent = title;
    document.title = title;
    const names = meta?.variants ?? [];
    if (names.join('\n') !== [...this.variant.options].map((o) => o.value).join('\n')) {
      this.variant.replaceChildren(...names.map((n) => el('option', { value: n }, n)));
    }
    if (dimChanged) this.buildExplorer(meta === null ? [] : meta.latentLabels.map((_, i) => i));
    this.applyControls();
  }

  setState(state: PlayState | null): void {
    this.state = state;
    if (state !== null) {
      this.pauseBtn.textContent = state.paused ? '▶ resume' : '❚❚ pause';
      if (document.activeElement !== this.speed) {
        this.speed.value = String(Math.round(state.fps));
        this.speedValue.textContent = `${fmt(state.fps)} steps/s`;
      }
      if (state.variant !== null && document.activeElement !== this.variant) this.variant.value = state.variant;
    }
    byId('variant-name').textContent = state?.variant ?? '–';
  }

  /** The live frame's μ (and KL order): seeds the explorer the first time and reorders its sliders. */
  setLiveMu(mu: number[], order: number[]): void {
    this.liveMu = mu;
    if (order.length === mu.length && order.join() !== this.sliderOrder.join() && !this.explorer.contains(document.activeElement)) {
      this.buildExplorer(order);
    }
    if (!this.explorerInitialised && this.sliders.length === mu.length && this.meta?.controls.decode) {
      this.explorerInitialised = true;
      this.setExplorer(mu);
    }
  }

  setScalars(step: number, values: Record<string, number>): void {
    this.scalarsStep.textContent = `step ${step}`;
    byId('scalars-empty').hidden = true;
    for (const [k, v] of Object.entries(values)) {
      let cell = this.scalarRows.get(k);
      if (cell === undefined) {
        const row = el('tr');
        row.append(el('th', {}, k));
        cell = el('td');
        row.append(cell);
        this.scalars.append(row);
        this.scalarRows.set(k, cell);
      }
      cell.textContent = fmt(v);
    }
  }

  showError(message: string): void {
    const line = el('div', {}, message);
    this.errors.prepend(line);
    while (this.errors.childElementCount > 4) this.errors.lastElementChild?.remove();
  }

  /** The explorer's current latent vector, in model dimension order. */
  explorerVector(): number[] {
    const z = new Array<number>(this.sliders.length).fill(0);
    this.sliders.forEach((s) => (z[Number(s.dataset.dim)] = Number(s.value)));
    return z;
  }

  /** Sets every slider (z in model dimension order) and asks for the decoded image. */
  setExplorer(z: number[]): void {
    for (const s of this.sliders) {
      const d = Number(s.dataset.dim);
      s.value = String(Math.max(-SLIDER_RANGE, Math.min(SLIDER_RANGE, z[d] ?? 0)));
    }
    this.refreshSliderLabels();
    this.requestDecode();
  }

  /** A new server: the explorer seeds itself again from the next live μ. */
  resetExplorer(): void {
    this.explorerInitialised = false;
  }

  private requestDecode(): void {
    if (!this.meta?.controls.decode || this.sliders.length === 0) return;
    this.decodeId = (this.decodeId + 1) >>> 0;
    if (this.send({ type: 'decode', id: this.decodeId, z: this.explorerVector() })) this.decodeRequests++;
  }

  private buildExplorer(order: number[]): void {
    const keep = this.sliders.length === order.length ? this.explorerVector() : null;
    this.sliderOrder = order;
    this.sliders = [];
    this.sliderValues = [];
    const rows = order.map((d) => {
      const row = el('label', { class: 'slider-row' });
      const name = el('span', { class: 'slider-name' }, this.meta?.latentLabels[d] ?? `z${d}`);
      const input = el('input', { type: 'range', min: String(-SLIDER_RANGE), max: String(SLIDER_RANGE), step: '0.01', value: '0', class: 'latent-slider' });
      input.dataset.dim = String(d);
      const value = el('span', { class: 'slider-value' }, '0.00');
      input.addEventListener('input', () => {
        this.refreshSliderLabels();
        this.requestDecode();
      });
      row.append(name, input, value);
      this.sliders.push(input);
      this.sliderValues.push(value);
      return row;
    });
    this.explorer.replaceChildren(...rows);
    if (keep !== null) {
      this.sliders.forEach((s) => (s.value = String(keep[Number(s.dataset.dim)] ?? 0)));
      this.refreshSliderLabels();
    }
    this.applyControls();
  }

  private refreshSliderLabels(): void {
    this.sliders.forEach((s, i) => (this.sliderValues[i].textContent = Number(s.value).toFixed(2)));
  }

  private applyControls(): void {
    const c = this.meta?.controls;
    this.pauseBtn.disabled = !c?.pause;
    this.stepBtn.disabled = !c?.step;
    this.resetBtn.disabled = !c?.reset;
    this.speed.disabled = !c?.speed;
    this.variant.disabled = !c?.variant || this.variant.options.length === 0;
    this.fromLive.disabled = !c?.decode;
    for (const s of this.sliders) s.disabled = !c?.decode;
  }
}
