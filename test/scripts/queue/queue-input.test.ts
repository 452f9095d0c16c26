/**
 * Bad --queue input, against a real Redis (requirepass) and a port where nothing listens: each is
 * refused within seconds with exit code 2, naming the URL without its password, with nothing
 * enqueued and no run directory written. And bullmq/ioredis are never imported statically outside
 * scripts/queue, which is itself only imported lazily: without --queue, nothing loads them.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQueueUrl } from '../../../scripts/queue/connection.ts';
import { openQueue, sweepJobs } from '../../../scripts/queue/sweep-queue.ts';
import { freePort, startRedis, type TestRedis } from '../../../scripts/queue/throwaway-redis.ts';

const BIN = path.resolve('bin/darla.js');
const darla = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, DARLA_WASM_THREADS: '1' }, timeout: 30_000 });
const PASSWORD = 'right-Pa55';

let redis: TestRedis;
let tmp: string;

beforeAll(async () => {
  redis = await startRedis({ password: PASSWORD });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'queue-input-'));
});

afterAll(async () => redis?.stop());

describe('--queue input', () => {
  it('parses and redacts queue URLs', () => {
    const t = parseQueueUrl('redis://alice:p%40ss@10.0.0.5:6380/2');
    expect(t).toMatchObject({ host: '10.0.0.5', port: 6380, username: 'alice', password: 'p@ss', db: 2, tls: false, redacted: 'redis://alice:***@10.0.0.5:6380/2' });
    expect(parseQueueUrl('rediss://h').port).toBe(6379);
    expect(parseQueueUrl('redis://h:1').redacted).toBe('redis://h:1');
    expect(() => parseQueueUrl('http://u:pw@h:1')).toThrow(/--queue: http:\/\/u:\*\*\*@h:1\/? is not a redis/);
    expect(() => parseQueueUrl('redis://h:1/x')).toThrow(/database number/);
  });

  it('an unreachable Redis: exit 2 within seconds naming the URL without its password; no run directory', async () => {
    const port = await freePort();
    const runDir = path.join(tmp, 'unreachable');
    const t0 = Date.now();
    const r = darla(['sweep', '--preset', 'tiny', '--betas', '1,4', '--queue', `redis://bob:hunter2@127.0.0.1:${port}`, '--wait', '--run-dir', runDir]);
    expect(r.status, r.stderr).toBe(2);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(r.stderr).toContain(`cannot use the Redis at redis://bob:***@127.0.0.1:${port}`);
    expect(r.stderr + r.stdout).not.toContain('hunter2');
    expect(fs.existsSync(runDir)).toBe(false);
    const w = darla(['worker', '--queue', `redis://:hunter2@127.0.0.1:${port}`, '--runs-dir', path.join(tmp, 'w')]);
    expect(w.status).toBe(2);
    expect(w.stderr).toContain(`redis://:***@127.0.0.1:${port}`);
    expect(w.stderr).not.toContain('hunter2');
    expect(fs.existsSync(path.join(tmp, 'w'))).toBe(false);
  });

  it('a wrong password: exit 2, the password not shown, nothing enqueued', async () => {
    const runDir = path.join(tmp, 'wrong-password');
    const r = darla(['sweep', '--preset', 'tiny', '--betas', '1,4', '--queue', `redis://:not-${PASSWORD}@127.0.0.1:${redis.port}`, '--run-dir', runDir, '--wait']);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/WRONGPASS|invalid username-password/);
    expect(r.stderr).toContain(`redis://:***@127.0.0.1:${redis.port}`);
    expect(r.stderr).not.toContain(PASSWORD);
    expect(fs.existsSync(runDir)).toBe(false);
    const queue = openQueue(parseQueueUrl(redis.url));
    try {
      expect(await sweepJobs(queue)).toEqual([]);
    } finally {
      await queue.close();
    }
  });

  it('a malformed URL or a queue flag without --queue: exit 2 naming --queue', () => {
    for (const url of ['not a url', 'http://127.0.0.1:6379', 'redis://127.0.0.1:6379/db']) {
      const r = darla(['sweep', '--preset', 'tiny', '--betas', '1,4', '--queue', url, '--run-dir', path.join(tmp, 'malformed')]);
      expect(r.status, url).toBe(2);
      expect(r.stderr).toMatch(/error: --queue: /);
    }
    const r = darla(['sweep', '--preset', 'tiny', '--betas', '1,4', '--wait', '--run-dir', path.join(tmp, 'malformed')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--wait needs --queue');
    const id = darla(['sweep', '--preset', 'tiny', '--betas', '1,4', '--queue', redis.url, '--sweep-id', '../up']);
    expect(id.status).toBe(2);
    expect(id.stderr).toMatch(/--sweep-id: a sweep id is/);
    expect(fs.existsSync(path.join(tmp, 'malformed'))).toBe(false);
  });

  it('nothing outside scripts/queue imports bullmq, ioredis or scripts/queue statically', () => {
    const offenders: string[] = [];
    for (const top of ['scripts', 'envs', 'vision', 'agent', 'viewer', 'bin']) {
      for (const rel of fs.readdirSync(top, { recursive: true }) as string[]) {
        const file = path.join(top, rel);
        // scripts/queue itself, and the queue's benchmark (a script run on its own, never imported).
        if (!/\.(ts|js)$/.test(file) || file.startsWith(path.join('scripts', 'queue')) || file === path.join('scripts', 'bench', 'queue.ts')) continue;
        const text = fs.readFileSync(file, 'utf8');
        if (/^import\s+(?!type\b)[^;]*from\s+'(bullmq|ioredis|[./]+[^']*\/queue\/[^']*)'/m.test(text)) offenders.push(file);
      }
    }
    expect(offenders).toEqual([]);
    // And the dynamic imports are there (the scan above is not vacuous).
    expect(fs.readFileSync('scripts/commands/sweep.ts', 'utf8')).toContain("await import('../queue/connection.ts')");
  });
});
