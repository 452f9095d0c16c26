/**
 * `darla demo --queue` at the tiny preset with a real `darla worker` on a real Redis: the act
 * stage's four agent trainings and their transfer evaluations run on the worker (their results name
 * it), and the pipeline's transfer table equals a local `darla transfer` of the same agents; a
 * pipeline whose run directory is outside the worker's --runs-dir has its jobs refused, saying so.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../../scripts/queue/throwaway-redis.ts';
import { BIN, ENV, darla } from './darla-cli.ts';


let redis: TestRedis;
let tmp: string;
let worker: ChildProcess;
let workerLog: string;


beforeAll(async () => {
  redis = await startRedis();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-queue-'));
  workerLog = path.join(tmp, 'worker.log');
  const fd = fs.openSync(workerLog, 'a');
  worker = spawn(process.execPath, [BIN, 'worker', '--queue', redis.url, '--concurrency', '2', '--runs-dir', path.join(tmp, 'shared')], { env: ENV, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
});

afterAll(async () => {
  worker?.kill('SIGKILL');
  await redis?.stop();
});

describe('darla demo --queue', () => {
  it("trains the act stage's agents on a worker and finishes the pipeline", async () => {
    const runDir = path.join(tmp, 'shared', 'demo');
    const r = await darla(['demo', '--preset', 'tiny', '--queue', redis.url, '--run-dir', runDir, '--no-view', '--quiet', '--backend', 'wasm']);
    expect(r.status, `${r.stderr}\n${fs.readFileSync(workerLog, 'utf8')}`).toBe(0);
    expect(r.stderr).toContain('agent training(s) on the queue');
    expect(r.stderr).toContain('4 evaluation(s) on the queue');
    const kinds = ['darla', 'entangled', 'pixels', 'oracle'];
    for (const kind of kinds) {
      expect(fs.existsSync(path.join(runDir, 'agents', `${kind}-seed0`, 'done.json')), kind).toBe(true);
      const agent = JSON.parse(fs.readFileSync(path.join(runDir, 'results', `agent-${kind}-seed0.json`), 'utf8'));
      expect(agent.worker.id).toMatch(new RegExp(`:${worker.pid}$`));
      expect(JSON.parse(agent.summary).steps).toBe(256);
      const transfer = JSON.parse(fs.readFileSync(path.join(runDir, 'results', `transfer-${kind}-seed0.json`), 'utf8'));
      expect(transfer.worker.id).toMatch(new RegExp(`:${worker.pid}$`));
      expect(transfer.cells.length).toBe(3 * 2); // (its own source, source, color-shift) × (deterministic, stochastic) × 1 seed
    }
    expect(fs.existsSync(path.join(runDir, 'transfer', 'done.json'))).toBe(true);
    expect(fs.readFileSync(path.join(runDir, 'report.md'), 'utf8')).toContain('darla');
    // The table aggregated from the workers' cells is the one a local evaluation of the same agents gives.
    const local = await darla(['transfer', '--policies', ...kinds.map((k) => path.join(runDir, 'agents', `${k}-seed0`)), '--variants', 'source', 'color-shift', '--episodes', '2', '--seeds', '0', '--run-dir', path.join(tmp, 'local-transfer'), '--json', '--quiet', '--backend', 'wasm']);
    expect(local.status, local.stderr).toBe(0);
    const queued = JSON.parse(fs.readFileSync(path.join(runDir, 'transfer', 'transfer.json'), 'utf8'));
    const here = JSON.parse(fs.readFileSync(path.join(tmp, 'local-transfer', 'transfer.json'), 'utf8'));
    expect(queued.cells).toEqual(here.cells);
    expect(queued.rows).toEqual(here.rows);
  }, 300_000);

  it('a pipeline outside the workers\' --runs-dir: its jobs are refused, saying why', async () => {
    const runDir = path.join(tmp, 'elsewhere', 'demo');
    const r = await darla(['demo', '--preset', 'tiny', '--queue', redis.url, '--run-dir', runDir, '--no-view', '--quiet', '--backend', 'wasm']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/failed on the queue after 1 attempt\(s\): .* is not inside this worker's --runs-dir/);
    expect(fs.existsSync(path.join(runDir, 'agents', 'darla-seed0'))).toBe(false);
  }, 300_000);
});
