/**
 * The pipeline's timings and speeds over interrupted and resumed invocations: a piece's time is the
 * sum of its sessions (even when one was killed without finishing), and a run's training speed is
 * taken over all its sessions, so a session that resumed at the very end cannot make it 0.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loggedSpeed, Timings } from '../../scripts/pipeline/timings.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'timings-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('Timings', () => {
  it('a piece killed mid-way keeps the time it had spent; the resumed invocation adds to it', () => {
    let now = 0;
    const clock = () => now;
    const file = path.join(tmp, 'timings.json');
    const first = new Timings(file, clock);
    first.start('see', 'darla');
    first.start('act', 'oracle-seed0');
    now += 4_000;
    first.finish('act', 'oracle-seed0');
    now += 6_000;
    first.save(); // a progress tick; then kill -9: no finish, no report
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual([
      { stage: 'see', item: 'darla', seconds: 10, skipped: false },
      { stage: 'act', item: 'oracle-seed0', seconds: 4, skipped: false },
    ]);

    const second = new Timings(file, clock);
    second.start('see', 'darla');
    now += 5_000;
    second.finish('see', 'darla');
    second.skip('act', 'oracle-seed0'); // done earlier: its time stays
    second.skip('transfer', 'all'); // done before any time was recorded: unknown
    expect(second.list()).toEqual([
      { stage: 'see', item: 'darla', seconds: 15, skipped: false },
      { stage: 'act', item: 'oracle-seed0', seconds: 4, skipped: false },
      { stage: 'transfer', item: 'all', seconds: 0, skipped: true },
    ]);
  });

  it('stopAll ends the running pieces with their time so far (Ctrl-C)', () => {
    let now = 0;
    const t = new Timings(path.join(tmp, 'stop.json'), () => now);
    t.start('act', 'darla-seed0');
    now += 2_500;
    t.stopAll();
    now += 10_000;
    expect(t.list()).toEqual([{ stage: 'act', item: 'darla-seed0', seconds: 2.5, skipped: false }]);
  });
});

describe('loggedSpeed', () => {
  it('averages a logged speed over every session of a run; none logged gives null', () => {
    const run = path.join(tmp, 'run');
    fs.mkdirSync(run);
    const lines = [
      { step: 25, img_per_sec: 100 },
      { step: 50, img_per_sec: 120 }, // first session, killed after its last checkpoint
      { step: 50, loss: 1 }, // the resumed session had nothing left to train
    ];
    fs.writeFileSync(path.join(run, 'metrics.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    expect(loggedSpeed(run, 'img_per_sec')).toBe(110);
    expect(loggedSpeed(run, 'charts/SPS')).toBeNull();
    expect(loggedSpeed(path.join(tmp, 'none'), 'img_per_sec')).toBeNull();
  });
});
