/**
 * Through the `darla` CLI, runs never destroy or strand user data:
 * - --fresh (every command) deletes only a darla run; a folder of anything else is never deleted
 *   nor written into (exit 2, a message naming --run-dir);
 * - every input is checked before the run directory is created or touched, so a corrected command
 *   is accepted afterwards;
 * - --resume on nothing is refused, and no command advises a flag it does not have;
 * - a run directory is locked while a process trains in it (a stale lock is taken over), and a
 *   pipeline's training child stops when its parent dies.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainAgent } from '../../agent/ppo.ts';
import { LOCK_FILE, readLock } from '../../envs/util/run-lock.ts';
import { writeRandomVae } from '../agent/vae-fixture.ts';
import { fileSnapshot } from '../envs/helpers.ts';

const BIN = path.resolve('bin/darla.js');
const FIXTURE = path.resolve('test/scripts/fixtures/job-parent.ts');
const darla = (args: string[], cwd?: string) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd });

// A tiny oracle agent: the same config from code and from these flags.
const TINY = { frontend: 'oracle', numEnvs: 2, numSteps: 16, totalSteps: 32, hidden: [8], evalEpisodes: 1, evalInterval: 0 } as const;
const TINY_FLAGS = ['--num-envs', '2', '--num-steps', '16', '--total-steps', '32', '--hidden', '8', '--eval-episodes', '1', '--eval-interval', '0', '--backend', 'cpu', '--quiet'];
const PRETRAIN_FLAGS = ['--steps', '2', '--batch-size', '4', '--random-frames', '32', '--factor-frames', '32', '--latents', '2', '--variants', 'source', '--no-eval', '--backend', 'cpu', '--quiet'];
const TRANSFER_FLAGS = ['--variants', 'source', '--episodes', '1', '--seeds', '0', '--modes', 'deterministic', '--backend', 'cpu', '--quiet'];

let tmp: string;
let policy: string;
let vae: string;
const stray: ChildProcess[] = [];
const strayPids: number[] = [];

beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'run-safety-'));
  policy = path.join(tmp, 'policy');
  await trainAgent({ ...TINY, frontend: 'oracle' }, { runDir: policy });
  vae = writeRandomVae(path.join(tmp, 'vae'), 1);
});
afterAll(() => {
  for (const c of stray) c.kill('SIGKILL');
  for (const pid of strayPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

let n = 0;
/** A folder of the user's own files (no darla run). */
function userFolder(): string {
  const dir = path.join(tmp, `user-${n++}`);
  fs.mkdirSync(path.join(dir, 'notes'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'thesis.tex'), 'years of work');
  fs.writeFileSync(path.join(dir, 'report.md'), 'my own report');
  fs.writeFileSync(path.join(dir, 'notes', 'a.txt'), 'a');
  return dir;
}

/** An earlier transfer run, as this project wrote them before config.json had its `format` marker. */
function transferRun(): string {
  const dir = path.join(tmp, `transfer-${n++}`);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ kind: 'transfer', seed: 0, config: {}, versions: { node: process.version }, createdAt: '2026-11-28T00:00:00.000Z' }));
  fs.writeFileSync(path.join(dir, 'report.md'), 'an earlier transfer');
  return dir;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('--fresh and foreign folders (issue 13.1)', () => {
  it('--fresh on a folder that is not a darla run deletes nothing, for every command (exit 2)', () => {
    const cases: string[][] = [
      ['transfer', '--policies', policy, ...TRANSFER_FLAGS, '--fresh'],
      ['train-agent', '--frontend', 'oracle', ...TINY_FLAGS, '--fresh'],
      ['pretrain', ...PRETRAIN_FLAGS, '--fresh'],
      ['demo', '--preset', 'tiny', '--no-view', '--jobs', '1', '--backend', 'cpu', '--quiet', '--fresh'],
    ];
    for (const args of cases) {
      const dir = userFolder();
      const before = fileSnapshot(dir);
      const r = darla([...args, '--run-dir', dir]);
      expect(r.status, `${args[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/--run-dir: .* is not a darla run .*--fresh only ever deletes a darla run, so nothing was deleted/);
      expect(fileSnapshot(dir)).toEqual(before);
    }
  });

  it('`--fresh --run-dir .` in a folder of the user\'s deletes nothing', () => {
    const dir = userFolder();
    const before = fileSnapshot(dir);
    const r = darla(['transfer', '--policies', policy, ...TRANSFER_FLAGS, '--fresh', '--run-dir', '.'], dir);
    expect(r.status, r.stderr).toBe(2);
    expect(fileSnapshot(dir)).toEqual(before);
  });

  it('a non-empty folder that is not a run is never written into (report.md stays the user\'s)', () => {
    const dir = userFolder();
    const before = fileSnapshot(dir);
    const r = darla(['transfer', '--policies', policy, ...TRANSFER_FLAGS, '--run-dir', dir]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/is not a darla run .*nothing is written into it/);
    expect(fileSnapshot(dir)).toEqual(before);
  });
});

describe('validation before writing (issue 13.2)', () => {
  it('a bad --vae leaves no run directory behind, so the corrected command is accepted', () => {
    const notAVae = fs.mkdtempSync(path.join(tmp, 'not-a-vae-'));
    const run = path.join(tmp, `agent-${n++}`);
    for (const extra of [[], ['--resume']]) {
      const bad = darla(['train-agent', '--frontend', 'darla', '--vae', notAVae, ...TINY_FLAGS, '--run-dir', run, ...extra]);
      expect(bad.status, bad.stderr).toBe(2);
      expect(bad.stderr).toMatch(/--vae|no checkpoints|nothing to resume/);
      expect(fs.existsSync(run)).toBe(false);
    }
    const ok = darla(['train-agent', '--frontend', 'darla', '--vae', vae, ...TINY_FLAGS, '--run-dir', run]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8')).kind).toBe('train-agent');
  });

  it('a bad --vae for transfer deletes nothing, even with --fresh', () => {
    const notAVae = fs.mkdtempSync(path.join(tmp, 'not-a-vae-'));
    const out = transferRun();
    const before = fileSnapshot(out);
    const r = darla(['transfer', '--policies', policy, ...TRANSFER_FLAGS, '--vae', notAVae, '--fresh', '--run-dir', out]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--vae/);
    expect(fileSnapshot(out)).toEqual(before);
  });
});

describe('one clear behaviour for --resume, advice only with flags that exist (issue 13.3)', () => {
  it('--resume where there is no run says there is nothing to resume (exit 2) and creates nothing', () => {
    const empty = fs.mkdtempSync(path.join(tmp, 'empty-'));
    const missing = path.join(tmp, `missing-${n++}`);
    const cases: string[][] = [
      ['train-agent', '--frontend', 'oracle', ...TINY_FLAGS, '--resume', '--run-dir', empty],
      ['train-agent', '--frontend', 'oracle', ...TINY_FLAGS, '--resume', '--run-dir', missing],
      ['pretrain', ...PRETRAIN_FLAGS, '--resume', '--run-dir', missing],
    ];
    for (const args of cases) {
      const r = darla(args);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/--resume: there is nothing to resume in .*run without --resume to start one/);
    }
    expect(fs.readdirSync(empty)).toEqual([]);
    expect(fs.existsSync(missing)).toBe(false);
  });

  it('transfer onto an earlier transfer run advises --fresh, never --resume (which it does not have)', () => {
    const out = transferRun();
    const before = fileSnapshot(out);
    const r = darla(['transfer', '--policies', policy, ...TRANSFER_FLAGS, '--run-dir', out]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/already holds a transfer run; pass --fresh to replace it/);
    expect(r.stderr).not.toMatch(/--resume/);
    expect(fileSnapshot(out)).toEqual(before);
  });
});

describe('run locks (issue 13.4)', () => {
  it('a run another live process holds is refused; a stale lock is taken over with a message', () => {
    const sleeper = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    stray.push(sleeper);
    const lockFile = path.join(policy, LOCK_FILE);
    fs.writeFileSync(lockFile, JSON.stringify({ pid: sleeper.pid, host: os.hostname(), command: 'darla train-agent', startedAt: 'now' }));
    const busy = darla(['train-agent', '--frontend', 'oracle', ...TINY_FLAGS, '--resume', '--run-dir', policy]);
    expect(busy.status, busy.stderr).toBe(2);
    expect(busy.stderr).toMatch(new RegExp(`--run-dir: .* is in use by another darla process \\(pid ${sleeper.pid}`));
    sleeper.kill('SIGKILL');

    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    fs.writeFileSync(lockFile, JSON.stringify({ pid: Number(dead.stdout), host: os.hostname(), command: 'darla train-agent', startedAt: 'then' }));
    const stale = darla(['train-agent', '--frontend', 'oracle', ...TINY_FLAGS, '--resume', '--run-dir', policy]);
    expect(stale.status, stale.stderr).toBe(0);
    expect(stale.stderr).toMatch(new RegExp(`taking over the lock of .*pid ${dead.stdout}.* is no longer running`));
    expect(fs.existsSync(lockFile)).toBe(false); // released when it finished
  });

  it("a pipeline's training child holds its run's lock and stops when its parent is killed", async () => {
    const run = path.join(tmp, `child-${n++}`);
    const args = ['train-agent', '--frontend', 'oracle', '--num-envs', '1', '--num-steps', '8', '--total-steps', '100000000', '--eval-interval', '0', '--backend', 'cpu', '--quiet', '--run-dir', run];
    const parent = spawn(process.execPath, ['--import', 'tsx', FIXTURE, path.join(tmp, 'logs'), run, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    stray.push(parent);
    let out = '';
    parent.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    // The child starts training: its lock names it.
    let childPid = 0;
    for (let i = 0; i < 300 && childPid === 0; i++) {
      await sleep(100);
      const m = /started job \(pid (\d+)\)/.exec(out);
      if (m !== null) childPid = Number(m[1]);
    }
    expect(childPid, `parent said: ${out}`).toBeGreaterThan(0);
    strayPids.push(childPid);
    for (let i = 0; i < 300 && readLock(run)?.pid !== childPid; i++) await sleep(100);
    expect(readLock(run)?.pid).toBe(childPid);
    // A second trainer on the same run is refused while the child trains.
    const second = darla(['train-agent', '--frontend', 'oracle', '--num-envs', '1', '--num-steps', '8', '--total-steps', '100000000', '--eval-interval', '0', '--backend', 'cpu', '--resume', '--run-dir', run]);
    expect(second.status).toBe(2);
    expect(second.stderr).toMatch(new RegExp(`in use by another darla process \\(pid ${childPid}`));

    parent.kill('SIGKILL');
    for (let i = 0; i < 100 && alive(childPid); i++) await sleep(100);
    expect(alive(childPid)).toBe(false);
    expect(fs.existsSync(path.join(run, LOCK_FILE))).toBe(false);
  }, 60_000);
});
