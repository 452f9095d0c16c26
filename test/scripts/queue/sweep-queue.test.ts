/**
 * `darla sweep --queue` with real `darla worker` processes on a real Redis (Debian's redis-server
 * on loopback, with a password; scripts/queue/throwaway-redis.ts), at the tiny preset:
 *   - two workers complete a 2 β × 1 seed sweep, the report has both points, enqueueing again adds
 *     nothing, and the password appears in no output and no file;
 *   - a worker killed with SIGKILL mid-training loses nothing: the other worker retakes the job,
 *     resumes the β-VAE from its checkpoint and ends with the uninterrupted run's result;
 *   - jobs that throw (an unknown variant) or fail validation end failed and are listed in the
 *     report with their messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PRESETS } from '../../../scripts/pipeline/config.ts';
import type { SweepPointJob } from '../../../scripts/pipeline/sweep.ts';
import { parseQueueUrl } from '../../../scripts/queue/connection.ts';
import { enqueuePoints, openQueue, type SweepJobReturn } from '../../../scripts/queue/sweep-queue.ts';
import { startRedis, type TestRedis } from '../../../scripts/queue/throwaway-redis.ts';
import { BIN, ENV, darla } from './darla-cli.ts';

const PASSWORD = 's3cret-Pa55';
// Long enough to kill a worker between the β-VAE's first checkpoint (every 50 steps) and its end.
const VISION_STEPS = 200;
const SWEEP = ['--preset', 'tiny', '--betas', '1,4', '--seeds', '0', '--vision-steps', String(VISION_STEPS), '--backend', 'wasm'];
// Short locks so a dead worker's job is retaken within seconds.
const LOCKS = ['--lock-duration', '2000', '--stalled-interval', '1000'];

let redis: TestRedis;
let tmp: string;
const children: ChildProcess[] = [];


function startWorker(name: string, runsDir: string): ChildProcess & { log: () => string } {
  const logFile = path.join(tmp, `${name}.log`);
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [BIN, 'worker', '--queue', redis.url, '--concurrency', '1', '--runs-dir', runsDir, ...LOCKS], { env: ENV, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  children.push(child);
  return Object.assign(child, { log: () => fs.readFileSync(logFile, 'utf8') });
}

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop() as string);

/** Everything written under a folder, as one string (to look for the password). */
function allText(dir: string): string {
  if (!fs.existsSync(dir)) return '';
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => fs.readFileSync(path.join(e.parentPath, e.name)).toString('latin1'))
    .join('\n');
}

/** The scores, success and ratios of a point, without timings (what must match bit-exactly). */
function outcome(p: SweepJobReturn) {
  return { scores: Object.fromEntries(Object.entries(p.scores).filter(([k]) => !k.endsWith('_seconds'))), sourceSuccess: p.sourceSuccess, ratios: p.ratios };
}

let uninterrupted: SweepJobReturn[] = [];

beforeAll(async () => {
  redis = await startRedis({ password: PASSWORD });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sweep-queue-'));
});

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

afterAll(async () => {
  await redis?.stop();
});

describe('darla sweep --queue with darla worker processes', () => {
  it('runs a 2 β × 1 seed sweep on two workers; the report has both points; enqueueing again adds nothing', async () => {
    const runs = path.join(tmp, 'runs-1');
    const reportDir = path.join(tmp, 'report-1');
    const first = await darla(['sweep', ...SWEEP, '--queue', redis.url, '--sweep-id', 'two-workers']);
    expect(first.status, first.stderr).toBe(0);
    expect(lastJson(first.stdout)).toEqual({ sweepId: 'two-workers', added: ['two-workers-beta1-seed0', 'two-workers-beta4-seed0'], existing: [] });
    const w1 = startWorker('w1', runs);
    const w2 = startWorker('w2', runs);
    const waited = await darla(['sweep', ...SWEEP, '--queue', redis.url, '--sweep-id', 'two-workers', '--wait', '--quiet', '--run-dir', reportDir]);
    expect(waited.status, `${waited.stderr}\n${w1.log()}\n${w2.log()}`).toBe(0);
    const out = lastJson(waited.stdout) as { points: SweepJobReturn[]; failed: unknown[] };
    expect(out.points.map((p) => p.beta)).toEqual([1, 4]);
    expect(out.failed).toEqual([]);
    for (const p of out.points) {
      expect(typeof p.scores.mig).toBe('number');
      expect(p.runDir).toBe(path.join(runs, 'two-workers'));
      expect(fs.existsSync(path.join(runs, 'two-workers', 'results', `${p.piece}.json`))).toBe(true);
    }
    uninterrupted = out.points;
    const md = fs.readFileSync(path.join(reportDir, 'report.md'), 'utf8');
    expect(md).toMatch(/\| 1 \| 0 \| \d\.\d{3} \|/);
    expect(md).toMatch(/\| 4 \| 0 \| \d\.\d{3} \|/);
    expect(fs.readFileSync(path.join(reportDir, 'images', 'sweep_color-shift.svg'), 'utf8')).toMatch(/^<svg/);

    // The same command again: both ids exist, nothing is added.
    const again = await darla(['sweep', ...SWEEP, '--queue', redis.url, '--sweep-id', 'two-workers']);
    expect(again.status, again.stderr).toBe(0);
    expect(lastJson(again.stdout)).toEqual({ sweepId: 'two-workers', added: [], existing: ['two-workers-beta1-seed0', 'two-workers-beta4-seed0'] });

    // The report command rebuilds the same table from the completed jobs; status says who ran what.
    const report = await darla(['sweep', 'report', '--queue', redis.url, '--sweep-id', 'two-workers', '--run-dir', path.join(tmp, 'report-1b')]);
    expect(report.status, report.stderr).toBe(0);
    expect(fs.readFileSync(path.join(tmp, 'report-1b', 'report.md'), 'utf8')).toBe(md);
    const status = await darla(['sweep', 'status', '--queue', redis.url, '--sweep-id', 'two-workers']);
    expect(status.stdout).toMatch(/β=1 seed 0 {2}completed {2}by [^ ]+:\d+ {2}MIG \d\.\d{3}/);

    // The password is in no output and no file.
    for (const text of [first.stdout, first.stderr, waited.stdout, waited.stderr, again.stderr, report.stderr, status.stdout, w1.log(), w2.log(), allText(runs), allText(reportDir)]) {
      expect(text).not.toContain(PASSWORD);
    }
    expect(first.stderr).toContain(`redis://:***@127.0.0.1:${redis.port}`);
  }, 300_000);

  it('a worker killed with SIGKILL mid-training loses nothing: the other resumes the job from its checkpoint', async () => {
    expect(uninterrupted).toHaveLength(2);
    const runs = path.join(tmp, 'runs-2');
    const enq = await darla(['sweep', ...SWEEP, '--queue', redis.url, '--sweep-id', 'killed']);
    expect(enq.status, enq.stderr).toBe(0);
    const doomed = startWorker('doomed', runs);
    // Wait until its β-VAE has a checkpoint and is still training, then kill the worker outright.
    const deadline = Date.now() + 120_000;
    let victim: string | null = null;
    while (victim === null) {
      expect(Date.now() < deadline, `no checkpoint in time:\n${doomed.log()}`).toBe(true);
      for (const piece of ['beta1-seed0', 'beta4-seed0']) {
        const dir = path.join(runs, 'killed', 'vision', piece);
        if (fs.existsSync(path.join(dir, 'checkpoints', 'latest')) && !fs.existsSync(path.join(dir, 'done.json'))) victim = piece;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    doomed.kill('SIGKILL');
    const rescuer = startWorker('rescuer', runs);
    const waited = await darla(['sweep', ...SWEEP, '--queue', redis.url, '--sweep-id', 'killed', '--wait', '--quiet', '--run-dir', path.join(tmp, 'report-2')]);
    expect(waited.status, `${waited.stderr}\n${rescuer.log()}`).toBe(0);
    const points = (lastJson(waited.stdout) as { points: SweepJobReturn[] }).points;
    const resumed = points.find((p) => p.piece === victim) as SweepJobReturn;
    // Taken over by the other worker, from the checkpoint the dead one left.
    expect(resumed.worker.id).toMatch(new RegExp(`:${rescuer.pid}$`));
    expect(resumed.resumedAt.vision).toBeGreaterThan(0);
    // (The last checkpoint, at the final step, when the kill came during the β-VAE's evaluation.)
    expect(resumed.resumedAt.vision).toBeLessThanOrEqual(VISION_STEPS);
    // And the same result as the uninterrupted run of the same β and seed.
    for (const p of points) expect(outcome(p)).toEqual(outcome(uninterrupted.find((u) => u.beta === p.beta) as SweepJobReturn));
  }, 300_000);

  it('a job that throws fails after its attempts, a job that fails validation at once; the report lists both with their messages', async () => {
    const runs = path.join(tmp, 'runs-3');
    const queue = openQueue(parseQueueUrl(redis.url));
    const tiny = PRESETS.tiny;
    const bad: SweepPointJob = { sweepId: 'failing', beta: 2, seed: 0, backend: 'wasm', base: { ...tiny, vision: { ...tiny.vision, variants: ['source', 'no-such-world'] } } };
    // Not a named variant but a file: the worker must refuse it, not read it.
    const invalid = { sweepId: 'failing', beta: 8, seed: 0, backend: 'wasm', base: { ...tiny, transfer: { ...tiny.transfer, variants: ['/etc/passwd'] } } } as SweepPointJob;
    try {
      expect(await enqueuePoints(queue, [bad, invalid], { attempts: 2, backoffMs: 200 })).toEqual({ added: ['failing-beta2-seed0', 'failing-beta8-seed0'], existing: [] });
    } finally {
      await queue.close();
    }
    const worker = startWorker('w3', runs);
    const deadline = Date.now() + 120_000;
    let report: Awaited<ReturnType<typeof darla>>;
    for (;;) {
      report = await darla(['sweep', 'report', '--queue', redis.url, '--sweep-id', 'failing', '--run-dir', path.join(tmp, 'report-3')]);
      if ((lastJson(report.stdout) as { pending: number }).pending === 0) break;
      expect(Date.now() < deadline, worker.log()).toBe(true);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(report.status).toBe(1);
    const out = lastJson(report.stdout) as { points: unknown[]; failed: { beta: number; attempts: number; error: string }[] };
    expect(out.points).toEqual([]);
    const thrown = out.failed.find((f) => f.beta === 2);
    const refused = out.failed.find((f) => f.beta === 8);
    expect(thrown?.attempts).toBe(2);
    expect(thrown?.error).toMatch(/vision\/beta2-seed0 failed[\s\S]*no-such-world/);
    expect(refused?.attempts).toBe(1);
    expect(refused?.error).toMatch(/invalid job payload: base: variants must be named variants/);
    const md = fs.readFileSync(path.join(tmp, 'report-3', 'report.md'), 'utf8');
    expect(md).toContain('## Failed points');
    expect(md).toMatch(/\| 2 \| 0 \| 2 \| vision\/beta2-seed0 failed/);
    expect(md).toMatch(/\| 8 \| 0 \| 1 \| invalid job payload/);
    expect(report.stderr).toMatch(/failed: β=2 seed 0 after 2 attempt\(s\)/);
  }, 300_000);
});
