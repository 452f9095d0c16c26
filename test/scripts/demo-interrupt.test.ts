/**
 * Ctrl-C on `darla demo` (issue 21.7): the terminal sends SIGINT to the whole process group, the
 * pipeline and its training children alike. Each child then does what a direct `darla train-agent`
 * does on Ctrl-C: saves a checkpoint of the update it is in and releases its run's lock; the
 * pipeline exits 130 and a rerun resumes.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE, readLock } from '../../envs/util/run-lock.ts';

const BIN = path.resolve('bin/darla.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-interrupt-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let group = 0;
afterAll(() => {
  if (group !== 0) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('darla demo and Ctrl-C (issue 21.7)', () => {
  it('SIGINT to the process group: the training children save a checkpoint and release their locks', async () => {
    const config = path.join(tmp, 'config.json');
    // Long oracle agents whose periodic checkpoints never come: whatever is saved, the interrupt saved.
    fs.writeFileSync(config, JSON.stringify({ vision: { from: 'shipped' }, agents: { kinds: ['oracle'], seeds: [0, 1], totalSteps: 10_000_000, overrides: { checkpointInterval: 1_000_000, evalInterval: 0 } } }));
    const run = path.join(tmp, 'run');
    const demo = spawn(process.execPath, [BIN, 'demo', '--preset', 'tiny', '--config', config, '--no-view', '--jobs', '2', '--backend', 'cpu', '--quiet', '--run-dir', run], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    group = demo.pid!;
    let stderr = '';
    demo.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const closed = new Promise<number | null>((resolve) => demo.on('close', (code) => resolve(code)));
    const agents = [0, 1].map((s) => path.join(run, 'agents', `oracle-seed${s}`));
    // Both children train (their locks name them, and they have logged an update).
    const training = () => agents.every((a) => { const o = readLock(a); return o !== null && o.pid !== demo.pid && fs.existsSync(path.join(a, 'metrics.jsonl')); });
    for (let i = 0; i < 600 && !training(); i++) await sleep(100);
    expect(training(), stderr).toBe(true);
    expect(agents.every((a) => !fs.existsSync(path.join(a, 'checkpoints', 'latest')))).toBe(true);
    process.kill(-group, 'SIGINT');
    const code = await closed;
    group = 0;
    expect(code, stderr).toBe(130);
    for (const a of agents) {
      expect(fs.existsSync(path.join(a, LOCK_FILE)), `${a} still locked`).toBe(false);
      expect(fs.readdirSync(path.join(a, 'checkpoints')).some((f) => f.endsWith('.ckpt')), `${a} saved no checkpoint`).toBe(true);
    }
    expect(fs.existsSync(path.join(run, LOCK_FILE))).toBe(false);
  }, 120_000);
});
