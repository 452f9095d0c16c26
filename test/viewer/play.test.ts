/** The play session: stepping, episodes, controls (pause, step, speed, variant, reset), seeding. */
import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../../envs/core/errors.ts';
import { PatchMeansModel } from '../../viewer/patch-model.ts';
import { PlaySession, type Publisher } from '../../viewer/play.ts';
import type { Meta, PlayState } from '../../viewer/protocol.ts';
import type { EpisodeEvent, PolicyModel, Snapshot } from '../../viewer/source.ts';
import { GridDotEnv, TEST_VARIANTS } from './fakes.ts';

/** Records what the session publishes, as if one page were connected. */
class RecordingPublisher implements Publisher {
  clientCount = 1;
  snaps: { snap: Snapshot; force: boolean }[] = [];
  episodes: EpisodeEvent[] = [];
  states: PlayState[] = [];
  meta: Partial<Meta> = {};
  publish(snap: Snapshot, opts: { force?: boolean } = {}): boolean {
    this.snaps.push({ snap: { ...snap, frame: snap.frame.slice() }, force: opts.force ?? false });
    return true;
  }
  publishEpisode(ev: EpisodeEvent): void {
    this.episodes.push(ev);
  }
  broadcastState(state: PlayState): void {
    this.states.push(state);
  }
  setMeta(patch: Partial<Meta>): void {
    this.meta = { ...this.meta, ...patch };
  }
}

const sessions: PlaySession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.stop();
});

const made: GridDotEnv[] = [];
function session(opts: Partial<ConstructorParameters<typeof PlaySession>[0]> = {}): PlaySession {
  const s = new PlaySession({
    makeEnv: (v) => {
      const env = new GridDotEnv(v, 6);
      made.push(env);
      return env;
    },
    variants: Object.keys(TEST_VARIANTS),
    variant: 'source',
    latentModel: new PatchMeansModel(),
    seed: 7,
    paused: true,
    ...opts,
  });
  sessions.push(s);
  return s;
}

const until = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
};

describe('PlaySession', () => {
  it('shows the first frame with latents and a reconstruction, and names actions from the env', async () => {
    const pub = new RecordingPublisher();
    await session().start(pub);
    expect(pub.meta).toMatchObject({ mode: 'play', variants: ['source', 'red-background', 'green-background'], actionNames: ['a0', 'a1', 'a2', 'a3', 'a4'] });
    expect(pub.snaps).toHaveLength(1);
    const first = pub.snaps[0];
    expect(first.force).toBe(true);
    expect(first.snap.mu).toHaveLength(12);
    expect(first.snap.recon).toHaveLength(64 * 64 * 3);
    expect(pub.episodes).toEqual([{ event: 'start', episode: 1, variant: 'source' }]);
    expect(pub.states.at(-1)).toEqual({ paused: true, fps: 15, variant: 'source', episode: 1, t: 0 });
  });

  it('steps once while paused, and ends episodes with their return', async () => {
    const pub = new RecordingPublisher();
    const noop: PolicyModel = { actionNames: ['noop', 'up', 'down', 'left', 'right'], act: async () => ({ action: 0, probs: Float32Array.from([1, 0, 0, 0, 0]) }) };
    const s = session({ policy: noop });
    await s.start(pub);
    for (let i = 0; i < 6; i++) s.stepOnce();
    await until(() => pub.episodes.length >= 3);
    const steps = pub.snaps.filter((p) => p.snap.action !== undefined);
    expect(steps).toHaveLength(6);
    expect(steps.every((p) => p.force)).toBe(true);
    expect(steps.map((p) => p.snap.t)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(steps[5].snap.return).toBeCloseTo(-0.06);
    expect(pub.episodes[1]).toEqual({ event: 'end', episode: 1, variant: 'source', return: steps[5].snap.return, length: 6, terminated: false });
    expect(pub.episodes[2]).toMatchObject({ event: 'start', episode: 2 });
    expect(s.state()).toMatchObject({ paused: true, episode: 2, t: 0 });
  });

  it('runs at the requested speed once resumed, and pauses', async () => {
    const pub = new RecordingPublisher();
    const s = session({ fps: 200 });
    await s.start(pub);
    s.resume();
    await until(() => s.steps >= 20);
    s.pause();
    const n = s.steps;
    await new Promise((r) => setTimeout(r, 60));
    expect(s.steps).toBeLessThanOrEqual(n + 1);
    s.setSpeed(1000);
    expect(s.state().fps).toBe(240);
    expect(pub.states.map((st) => st.paused)).toContain(false);
  });

  it('switches variants live (closing the old env) and resets episodes', async () => {
    const pub = new RecordingPublisher();
    made.length = 0;
    const s = session();
    await s.start(pub);
    s.setVariant('red-background');
    await until(() => s.state().variant === 'red-background' && pub.snaps.length >= 2);
    expect(made).toHaveLength(2);
    expect(made[0].closed).toBe(1);
    const last = pub.snaps.at(-1)!.snap.frame;
    expect([last[0], last[1], last[2]]).toEqual(TEST_VARIANTS['red-background']);
    s.resetEpisode();
    await until(() => pub.episodes.filter((e) => e.event === 'start').length === 3);
    expect(() => s.setVariant('nope')).toThrow(UserError);
    expect(() => s.setVariant('nope')).toThrow(/unknown variant 'nope'.*source, red-background, green-background/);
  });

  it('is deterministic for a seed (same frames, same random actions)', async () => {
    const run = async () => {
      const pub = new RecordingPublisher();
      const s = session({ latentModel: undefined });
      await s.start(pub);
      for (let i = 0; i < 10; i++) s.stepOnce();
      await until(() => pub.snaps.filter((p) => p.snap.action !== undefined).length === 10);
      return pub.snaps.map((p) => [p.snap.action, Buffer.from(p.snap.frame).toString('base64').slice(0, 40)]);
    };
    expect(await run()).toEqual(await run());
  });

  it('publishes no latents without a latent model, and skips encoding when nobody watches', async () => {
    const pub = new RecordingPublisher();
    await session({ latentModel: undefined }).start(pub);
    expect(pub.snaps[0].snap.mu).toBeUndefined();
    const quiet = new RecordingPublisher();
    quiet.clientCount = 0;
    await session().start(quiet);
    expect(quiet.snaps[0].snap.mu).toBeUndefined();
  });

  it('refuses a start variant it does not know', () => {
    expect(() => session({ variant: 'x' })).toThrow(/unknown variant 'x'/);
  });
});
