/**
 * The whole pipeline at the tiny preset: every artifact exists and parses, a second run skips every
 * finished stage, resumed pieces add their time to the earlier sessions' and report the speed of
 * all sessions. Also the `darla demo` flag validation (exit code 2, nothing written).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../vision/compute/backend.ts';
import { PRESETS } from '../../scripts/pipeline/config.ts';
import { runPipeline } from '../../scripts/pipeline/run.ts';
import type { StageTiming } from '../../scripts/pipeline/timings.ts';
import { decodePng } from '../../envs/util/png.ts';

const BIN = path.resolve('bin/darla.js');
const quietLog = () => {};

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('pipeline (tiny preset)', () => {
  it('runs see → act → transfer → report and writes every artifact', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipeline-'));
    const r = await runPipeline(PRESETS.tiny, { runDir: dir, seed: 3, quiet: true, backend: 'wasm', jobs: 2, log: quietLog });
    expect(r.completed).toBe(true);
    for (const which of ['darla', 'entangled']) {
      const scores = JSON.parse(fs.readFileSync(path.join(dir, 'vision', which, 'scores.json'), 'utf8'));
      expect(typeof scores.mig).toBe('number');
      const png = decodePng(fs.readFileSync(path.join(dir, 'vision', which, 'images', 'traversals.png')));
      expect(png.width).toBeGreaterThan(64);
      expect(fs.readFileSync(path.join(dir, 'vision', which, 'images', 'kl_per_latent.svg'), 'utf8')).toMatch(/^<svg/);
    }
    for (const a of r.agentDirs) {
      const done = JSON.parse(fs.readFileSync(path.join(a.dir, 'done.json'), 'utf8'));
      expect(done.globalStep).toBeGreaterThanOrEqual(PRESETS.tiny.agents.totalSteps);
    }
    const transfer = JSON.parse(fs.readFileSync(path.join(dir, 'transfer', 'transfer.json'), 'utf8'));
    expect(transfer.rows.length).toBeGreaterThanOrEqual(PRESETS.tiny.agents.kinds.length * PRESETS.tiny.transfer.variants.length);
    const md = fs.readFileSync(path.join(dir, 'report.md'), 'utf8');
    expect(md).toContain('## 3. Zero-shot transfer');
    expect(md).toContain('| MIG |');
    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).toContain('data:image/png;base64,');
    expect(html.match(/<img src="(?!data:)[^"]*"/g) ?? []).toEqual([]);
    expect(fs.readFileSync(path.join(dir, 'images', 'learning_curves.svg'), 'utf8')).toMatch(/^<svg/);

    // A second run skips every finished stage: no piece runs, so no piece's time grows (a timing
    // bound here would be flaky on a loaded runner; what ran is the thing to check).
    const readTimings = () => JSON.parse(fs.readFileSync(path.join(dir, 'timings.json'), 'utf8')) as StageTiming[];
    const firstTimings = readTimings();
    const again = await runPipeline(PRESETS.tiny, { runDir: dir, seed: 3, quiet: true, backend: 'wasm', jobs: 2, log: quietLog });
    expect(again.completed).toBe(true);
    const timings = readTimings();
    expect(timings).toEqual(firstTimings);
    expect(timings.every((t) => t.seconds > 0)).toBe(true);
    // Its config.json holds the full definition of every variant it used.
    const record = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as { variants: Record<string, unknown> };
    expect(Object.keys(record.variants).sort()).toEqual([...new Set(['source', ...PRESETS.tiny.vision.variants, ...PRESETS.tiny.transfer.variants])].sort());

    // Resumed pieces (as if killed after their last checkpoint, before they were marked done) add
    // their time to the earlier session's, and the speeds cover every session (issue 13.7).
    fs.rmSync(path.join(dir, 'vision', 'darla', 'done.json'));
    fs.rmSync(path.join(dir, 'agents', 'oracle-seed0', 'done.json'));
    const resumed = await runPipeline(PRESETS.tiny, { runDir: dir, seed: 3, quiet: true, backend: 'wasm', jobs: 2, log: quietLog });
    expect(resumed.completed).toBe(true);
    const after = JSON.parse(fs.readFileSync(path.join(dir, 'timings.json'), 'utf8')) as StageTiming[];
    const seconds = (ts: StageTiming[], stage: string, item: string) => ts.find((t) => t.stage === stage && t.item === item)!.seconds;
    expect(seconds(after, 'see', 'darla')).toBeGreaterThan(seconds(timings, 'see', 'darla'));
    expect(seconds(after, 'act', 'oracle-seed0')).toBeGreaterThan(seconds(timings, 'act', 'oracle-seed0'));
    expect(seconds(after, 'see', 'entangled')).toBe(seconds(timings, 'see', 'entangled'));
    const doneVision = JSON.parse(fs.readFileSync(path.join(dir, 'vision', 'darla', 'done.json'), 'utf8')) as { imgPerSec: number };
    const doneAgent = JSON.parse(fs.readFileSync(path.join(dir, 'agents', 'oracle-seed0', 'done.json'), 'utf8')) as { sps: number };
    expect(doneVision.imgPerSec).toBeGreaterThan(0);
    expect(doneAgent.sps).toBeGreaterThan(0);
    const report = fs.readFileSync(path.join(dir, 'report.md'), 'utf8');
    expect(report).not.toMatch(/\| training speed \(img\/s\) \| 0 \|/);
    const total = after.reduce((a, t) => a + t.seconds, 0);
    expect(report).toContain(`compute time ${(total / 60).toFixed(1)} min`);
  }, 300_000);

  it('refuses bad flags and configs with exit code 2 before any work', () => {
    const dir = path.join(os.tmpdir(), `pipeline-bad-${process.pid}`);
    const run = (...args: string[]) => spawnSync('node', [BIN, 'demo', '--run-dir', dir, ...args], { encoding: 'utf8' });
    const cases: [string[], RegExp][] = [
      [['--preset', 'huge'], /preset/],
      [['--port', '70000'], /--port/],
      [['--bogus'], /unknown option/],
      [['--config', '/nonexistent.json'], /does not exist/],
    ];
    const cfg = path.join(os.tmpdir(), `pipeline-cfg-${process.pid}.json`);
    fs.writeFileSync(cfg, JSON.stringify({ vision: { steps: -5 } }));
    cases.push([['--config', cfg], /vision\.steps/]);
    const cfg2 = path.join(os.tmpdir(), `pipeline-cfg2-${process.pid}.json`);
    fs.writeFileSync(cfg2, JSON.stringify({ transfer: { variants: ['no-such-world'] } }));
    cases.push([['--config', cfg2], /unknown variant 'no-such-world'/]);
    // A transfer target that does not hold out what it claims is refused now, not after training.
    const cfg3 = path.join(os.tmpdir(), `pipeline-cfg3-${process.pid}.json`);
    fs.writeFileSync(cfg3, JSON.stringify({ transfer: { variants: ['source', JSON.stringify({ extends: 'source', name: 'same-bg', heldOut: ['background'] })] } }));
    cases.push([['--preset', 'tiny', '--no-view', '--config', cfg3], /transfer\.variants: 'same-bg' is not held out from 'source': background: .* shares/]);
    for (const [args, message] of cases) {
      const r = run(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(fs.existsSync(dir)).toBe(false);
  }, 60_000);
});
