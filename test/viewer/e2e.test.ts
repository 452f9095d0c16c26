/**
 * End-to-end in headless Chromium (Debian's chromium package, driven by playwright-core): the
 * served page shows frames and moving latent bars, switches variant, steps and pauses, decodes a
 * dragged latent slider into a different image, and reconnects after the server restarts. A
 * screenshot is saved to test-artifacts/viewer-e2e.png. Skipped, with the reason printed, when
 * /usr/bin/chromium is missing (.ci/run installs it).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlayViewer, type PlayViewer } from '../../viewer/index.ts';
import { PatchMeansModel } from '../../viewer/patch-model.ts';
import { worldSource } from '../../viewer/world.ts';
import { checksum } from '../../viewer/client/history.ts';
import type { ViewerStats } from '../../viewer/client/main.ts';
import { decodePng } from '../../envs/util/png.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
const ARTIFACTS = path.resolve('test-artifacts');
if (!haveChromium) console.warn(`viewer e2e skipped: no Chromium at ${CHROMIUM} (install Debian's chromium, as .ci/run does, or set CHROMIUM_PATH)`);

const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

async function startViewer(port = 0): Promise<PlayViewer> {
  const world = worldSource({ variants: ['source', 'color-shift', 'background-shift'] });
  return startPlayViewer({
    port,
    title: 'darla · ShapeWorld-v0',
    makeEnv: world.makeEnv,
    variants: world.variants,
    variant: world.start,
    actionNames: world.actionNames,
    latentModel: new PatchMeansModel(),
    seed: 3,
    fps: 20,
    log: () => {},
  });
}

const stats = (page: Page) =>
  page.evaluate(() => {
    const s = window.__darlaViewer!;
    return { ...s, latencyMs: s.latencyMs, layout: s.layout } as ViewerStats;
  });

/** A PNG of one rectangle of the pixi canvas (layout coordinates), for "did the pixels change". */
async function canvasShot(page: Page, box: { x: number; y: number; w: number; h: number }): Promise<Buffer> {
  const canvas = await page.locator('#stage canvas').boundingBox();
  if (canvas === null) throw new Error('no canvas on the page');
  return page.screenshot({ clip: { x: canvas.x + box.x, y: canvas.y + box.y, width: box.w, height: box.h } });
}

/**
 * Reads the live panel back from a screenshot: the centre pixel of every 4×4 block of the 256×256
 * panel is one pixel of the 64×64 frame (nearest-neighbour scaling), so its checksum must equal
 * the checksum of the frame the page received.
 */
async function drawnFrameChecksum(page: Page, box: { x: number; y: number; w: number; h: number }): Promise<number> {
  const img = decodePng(await canvasShot(page, box));
  const k = img.width / 64;
  const rgb = new Uint8Array(64 * 64 * 3);
  for (let y = 0; y < 64; y++) {
    for (let x = 0; x < 64; x++) {
      const o = ((Math.floor(y * k + k / 2) * img.width) + Math.floor(x * k + k / 2)) * 3;
      rgb.set(img.data.subarray(o, o + 3), (y * 64 + x) * 3);
    }
  }
  return checksum(rgb);
}

/** Waits (a busy machine may be a few frames late) until the drawn live panel equals the last frame received. */
async function expectDrawnFrameMatches(page: Page): Promise<void> {
  await expect
    .poll(
      async () => {
        const s = await stats(page);
        return (await drawnFrameChecksum(page, s.layout.live)) === (await stats(page)).liveChecksum;
      },
      { timeout: 10_000, interval: 200 },
    )
    .toBe(true);
}

describe.skipIf(!haveChromium)(haveChromium ? 'viewer in headless Chromium' : `viewer in headless Chromium SKIPPED: no Chromium at ${CHROMIUM}`, () => {
  let viewer: PlayViewer;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const pageErrors: string[] = [];
  /** What the browser reports the server's Content-Security-Policy blocked (must stay empty). */
  const cspViolations: string[] = [];

  beforeAll(async () => {
    viewer = await startViewer();
    await viewer.server.clientJs(); // build (or load the cached) bundle before the browser asks
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'darla-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      args: LAUNCH_ARGS,
      viewport: { width: 1360, height: 760 },
    });
    context.on('console', (msg) => {
      if (/Content.Security.Policy/i.test(msg.text())) cspViolations.push(msg.text());
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(viewer.server.url);
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await viewer?.close();
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  });

  it('shows live frames, reconstructions and moving latent bars', async () => {
    await page.waitForFunction(() => (window.__darlaViewer?.frames.live ?? 0) >= 5 && (window.__darlaViewer?.latents ?? 0) >= 5, null, { timeout: 20_000 });
    const s1 = await stats(page);
    expect(s1.connected).toBe(true);
    expect(['canvas', 'webgl']).toContain(s1.renderer);
    expect(s1.frames.recon).toBeGreaterThan(0);
    expect(s1.meta?.latentDim).toBe(12);
    expect(await page.locator('#status').textContent()).toBe('live');
    expect(await page.locator('#variant-name').textContent()).toBe('source');
    // The bars move: μ changes over time, and so do the drawn pixels of the latent panel.
    const barsBefore = await canvasShot(page, s1.layout.latents);
    await page.waitForFunction((mu) => JSON.stringify(window.__darlaViewer!.lastMu) !== mu, JSON.stringify(s1.lastMu), { timeout: 20_000 });
    await page.waitForTimeout(200);
    const barsAfter = await canvasShot(page, s1.layout.latents);
    expect(barsAfter.equals(barsBefore)).toBe(false);
    expect(pageErrors).toEqual([]);
    expect((await stats(page)).errors).toEqual([]); // every server message validated against the protocol
  }, 40_000);

  it('switches variant live', async () => {
    const before = (await stats(page)).frames.live;
    await page.selectOption('#variant', 'color-shift');
    await page.waitForFunction(() => window.__darlaViewer!.variant === 'color-shift', null, { timeout: 10_000 });
    await expect.poll(() => page.locator('#variant-name').textContent()).toBe('color-shift');
    expect(viewer.session.state().variant).toBe('color-shift');
    await page.waitForFunction((n) => window.__darlaViewer!.frames.live > n + 3, before, { timeout: 10_000 });
  }, 20_000);

  it('pauses, steps once, and resumes', async () => {
    await page.click('#pause');
    await page.waitForFunction(() => document.getElementById('pause')!.textContent!.includes('resume'), null, { timeout: 5000 });
    await page.waitForTimeout(300);
    const paused = (await stats(page)).lastStep;
    await page.waitForTimeout(300);
    expect((await stats(page)).lastStep).toBe(paused);
    // What is drawn is exactly the frame that arrived (pixel for pixel through the 4× scaling).
    await expectDrawnFrameMatches(page);
    await page.click('#step');
    await page.waitForFunction((s) => window.__darlaViewer!.lastStep === s + 1, paused, { timeout: 5000 });
    await page.click('#pause'); // now "resume"
    await page.waitForFunction((s) => window.__darlaViewer!.lastStep > s + 2, paused, { timeout: 5000 });
  }, 20_000);

  it('decodes a dragged latent slider into a different image', async () => {
    const s0 = await stats(page);
    await page.waitForFunction(() => window.__darlaViewer!.decodedChecksum !== null, null, { timeout: 10_000 });
    const checksumBefore = (await stats(page)).decodedChecksum;
    const panelBefore = await canvasShot(page, s0.layout.decoded);
    const slider = page.locator('#explorer input.latent-slider').first();
    const box = await slider.boundingBox();
    if (box === null) throw new Error('no latent slider');
    const valueBefore = Number(await slider.inputValue());
    // Drag the thumb from where it is to the far right.
    const thumbX = box.x + ((valueBefore + 3) / 6) * box.width;
    await page.mouse.move(thumbX, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(thumbX + (box.x + box.width - thumbX) * 0.5, box.y + box.height / 2, { steps: 4 });
    await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2, { steps: 4 });
    await page.mouse.up();
    expect(Number(await slider.inputValue())).toBeGreaterThan(valueBefore + 0.5);
    await page.waitForFunction((c) => window.__darlaViewer!.decodedChecksum !== c, checksumBefore, { timeout: 10_000 });
    await page.waitForTimeout(200);
    const panelAfter = await canvasShot(page, s0.layout.decoded);
    expect(panelAfter.equals(panelBefore)).toBe(false);
    expect((await stats(page)).decodeRequests).toBeGreaterThan(1);
  }, 20_000);

  it('reconnects after the server restarts', async () => {
    const port = viewer.server.port;
    await viewer.close();
    await page.waitForFunction(() => !window.__darlaViewer!.connected, null, { timeout: 10_000 });
    expect(await page.locator('#status').textContent()).toMatch(/reconnecting/);
    viewer = await startViewer(port);
    await page.waitForFunction(() => window.__darlaViewer!.connected && window.__darlaViewer!.connects >= 2, null, { timeout: 15_000 });
    const n = (await stats(page)).frames.live;
    await page.waitForFunction((k) => window.__darlaViewer!.frames.live > k + 3, n, { timeout: 10_000 });
    await page.waitForTimeout(500); // let the charts fill a little for the screenshot
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'viewer-e2e.png') });
    expect(pageErrors).toEqual([]);
    expect((await stats(page)).errors).toEqual([]);
  }, 40_000);

  it('renders with pixi WebGL too (SwiftShader in headless Chromium)', async () => {
    const gl = await context.newPage();
    await gl.goto(`${viewer.server.url}?renderer=webgl`);
    await gl.waitForFunction(() => (window.__darlaViewer?.frames.live ?? 0) >= 3, null, { timeout: 20_000 });
    expect((await stats(gl)).renderer).toBe('webgl');
    viewer.session.pause();
    await expectDrawnFrameMatches(gl);
    viewer.session.resume();
    await gl.close();
  }, 30_000);

  it("runs under the server's Content-Security-Policy (no eval, nothing blocked)", async () => {
    const res = await page.request.get(viewer.server.url);
    expect(res.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
