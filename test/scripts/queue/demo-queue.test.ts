/**
 * `darla demo --queue` at the tiny preset with a real `darla worker` on a real Redis: the act
 * stage's four agent trainings run on the worker (their results name it), the pipeline finishes
 * with its transfer table and report; a pipeline whose run directory is outside the worker's
 * --runs-dir has its jobs refused with a message saying so.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../../scripts/queue/throwaway-redis.ts';

const BIN = path.resolve('bin/darla.js');
const ENV = { ...process.env, DARLA_WASM_THREADS: '1' };

let redis: TestRedis;
let tmp: string;
let worker: ChildProcess;
let workerLog: string;

function darla(args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

beforeAll(async () => {
  redis = await startRedis();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-queue-'));
  workerLog = path.join(tmp, 'worker.log');
  const fd = fs.openSync(workerLog, 'a');
  worker = spawn(process.execPath, [BIN, 'worker', '--queue', redis.url, '--concurrency', '2', '--runs-dir', path.join(tmp, 'shared')], { env: ENV, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
});

afterAll(() => {
  worker?.kill('SIGKILL');
  redis?.stop();
});

describe('darla demo --queue', () => {
  it("trains the act stage's agents on a worker and finishes the pipeline", async () => {
    const runDir = path.join(tmp, 'shared', 'demo');
    const r = await darla(['demo', '--preset', 'tiny', '--queue', redis.url, '--run-dir', runDir, '--no-view', '--quiet', '--backend', 'wasm']);
    expect(r.status, `${r.stderr}\n${fs.readFileSync(workerLog, 'utf8')}`).toBe(0);
    expect(r.stderr).toContain('agent training(s) on the queue');
    for (const kind of ['darla', 'entangled', 'pixels', 'oracle']) {
      expect(fs.existsSync(path.join(runDir, 'agents', `${kind}-seed0`, 'done.json')), kind).toBe(true);
      const result = JSON.parse(fs.readFileSync(path.join(runDir, 'results', `agent-${kind}-seed0.json`), 'utf8'));
      expect(result.worker.id).toMatch(new RegExp(`:${worker.pid}$`));
      expect(JSON.parse(result.summary).steps).toBe(256);
    }
    expect(fs.existsSync(path.join(runDir, 'transfer', 'done.json'))).toBe(true);
    expect(fs.readFileSync(path.join(runDir, 'report.md'), 'utf8')).toContain('darla');
  }, 300_000);

  it('a pipeline outside the workers\' --runs-dir: its jobs are refused, saying why', async () => {
    const runDir = path.join(tmp, 'elsewhere', 'demo');
    const r = await darla(['demo', '--preset', 'tiny', '--queue', redis.url, '--run-dir', runDir, '--no-view', '--quiet', '--backend', 'wasm']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/failed on the queue after 1 attempt\(s\): .* is not inside this worker's --runs-dir/);
    expect(fs.existsSync(path.join(runDir, 'agents', 'darla-seed0'))).toBe(false);
  }, 300_000);
});
