/** Attach mode: the server runs in a worker thread; frames, scalars and episodes stream through it, decodes come back to the model's thread. */
import { afterEach, describe, expect, it } from 'vitest';
import { attachViewer } from '../../viewer/attach.ts';
import { PatchMeansModel } from '../../viewer/patch-model.ts';
import type { ViewerWorker } from '../../viewer/worker-host.ts';
import { syntheticFrame } from './fakes.ts';
import { TestClient } from './ws-client.ts';

let viewer: ViewerWorker | null = null;
let page: TestClient | null = null;

afterEach(async () => {
  await page?.close();
  await viewer?.close();
  page = null;
  viewer = null;
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('attachViewer (server in a worker thread)', () => {
  it('streams what the trainer publishes and answers the latent explorer from the trainer thread', async () => {
    const model = new PatchMeansModel();
    viewer = await attachViewer({ port: 0, servePage: false, title: 'pretrain test', latentModel: model, log: () => {} });
    expect(viewer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(viewer.wantsFrame()).toBe(false); // nobody watching
    expect(viewer.publish({ step: 0, frame: syntheticFrame(0), width: 64, height: 64 })).toBe(false);

    page = await TestClient.connect(`ws://127.0.0.1:${viewer.port}/ws`);
    const hello = await page.next((r) => r.kind === 'json' && r.msg.type === 'hello');
    expect(hello.kind === 'json' && hello.msg.type === 'hello' && hello.msg.meta).toMatchObject({
      mode: 'attach',
      title: 'pretrain test',
      latentDim: 12,
      controls: { pause: false, variant: false, decode: true },
    });
    await waitFor(() => viewer!.clientCount === 1);

    const frame = syntheticFrame(5);
    const { mu, sigma } = await model.encode(frame, 1);
    expect(viewer.wantsFrame()).toBe(true);
    expect(viewer.publish({ step: 5, frame, width: 64, height: 64, mu, sigma, recon: await model.decode(mu, 1) })).toBe(true);
    frame.fill(0); // the trainer reuses its buffer at once; the viewer sent a copy
    viewer.publishScalars({ step: 5, loss: 12.5, kl: 3 });
    viewer.publishEpisode({ event: 'end', episode: 1, return: 0.75, length: 9 });

    const live = await page.next((r) => r.kind === 'frame' && r.header.kind === 'live');
    expect(live.kind === 'frame' && Buffer.compare(Buffer.from(live.pixels), Buffer.from(syntheticFrame(5)))).toBe(0);
    await page.next((r) => r.kind === 'frame' && r.header.kind === 'recon');
    await page.next((r) => r.kind === 'json' && r.msg.type === 'latents');
    const sc = await page.next((r) => r.kind === 'json' && r.msg.type === 'scalars');
    expect(sc.kind === 'json' && sc.msg).toEqual({ type: 'scalars', step: 5, values: { loss: 12.5, kl: 3 } });
    const ep = await page.next((r) => r.kind === 'json' && r.msg.type === 'episode');
    expect(ep.kind === 'json' && ep.msg).toMatchObject({ event: 'end', episode: 1, return: 0.75, length: 9 });

    // The latent explorer: the decode runs on this thread's model while the trainer yields.
    const z = Array.from(mu);
    z[0] = 2;
    page.send({ type: 'decode', id: 9, z });
    const box: { frame?: { seq: number; pixels: Uint8Array } } = {};
    const got = page
      .next((r) => r.kind === 'frame' && r.header.kind === 'decoded')
      .then((r) => {
        if (r.kind === 'frame') box.frame = { seq: r.header.seq, pixels: r.pixels };
      });
    while (box.frame === undefined) await viewer.pump(); // what a trainer's loop does between steps
    await got;
    const expected = await model.decode(Float32Array.from(z), 1);
    expect(box.frame.seq).toBe(9);
    expect(Buffer.compare(Buffer.from(box.frame.pixels), Buffer.from(expected))).toBe(0);

    // Controls that would change training are refused.
    page.send({ type: 'pause' });
    expect((await page.nextJson('error')).code).toBe('unsupported');
  });

  it('reports a taken port as a user error and can be closed twice', async () => {
    viewer = await attachViewer({ port: 0, servePage: false, log: () => {} });
    await expect(attachViewer({ port: viewer.port, servePage: false, log: () => {} })).rejects.toThrow(/already in use/);
    await viewer.close();
    await viewer.close();
  });
});
