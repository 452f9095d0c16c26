/**
 * Run directories never destroy or strand what is not theirs: only a recognisable darla run is
 * resumed or replaced (--fresh), a folder with anything else in it is never written into, --resume
 * on nothing is refused, and a run is locked while a process writes in it (a stale lock of a dead
 * process is taken over with a message). Nothing is written when something is refused.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE, readLock } from '../../envs/util/run-lock.ts';
import { RUN_FORMAT, RunDir } from '../../envs/util/run-dir.ts';
import { fileSnapshot, userError } from './helpers.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'run-dir-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = () => path.join(tmp, `d${n++}`);
const record = { kind: 'transfer', seed: 0, config: { a: 1 } };


describe('RunDir: what may be written into or deleted', () => {
  it('--fresh never deletes a folder that is not a darla run, and nothing is written into one', () => {
    const dir = fresh();
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'thesis.tex'), 'years of work');
    fs.writeFileSync(path.join(dir, 'report.md'), 'my own report');
    fs.writeFileSync(path.join(dir, 'sub', 'data.csv'), '1,2,3');
    const before = fileSnapshot(dir);
    for (const mode of [{ fresh: true }, {}, { resume: true }, { resume: 'auto' as const }, { resume: 'auto' as const, fresh: true }]) {
      const err = userError(() => new RunDir(dir).open(record, mode));
      expect(err.field).toBe('--run-dir');
      expect(err.message).toMatch(/is not a darla run .*and is not empty/);
      if (mode.fresh) expect(err.message).toMatch(/nothing was deleted/);
    }
    // A config.json of something else is not a darla run either.
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ kind: 'webpack', entry: 'x' }));
    expect(userError(() => new RunDir(dir).open(record, { fresh: true })).message).toMatch(/not a darla run/);
    expect(fileSnapshot(dir)).toEqual({ ...before, 'config.json': JSON.stringify({ kind: 'webpack', entry: 'x' }) });
    // A file is not a folder.
    expect(userError(() => new RunDir(path.join(dir, 'thesis.tex')).open(record, { fresh: true })).message).toMatch(/is a file/);
  });

  it('--fresh replaces a darla run of the same kind (new and older runs), never another kind, never the current folder', () => {
    const dir = fresh();
    const run = new RunDir(dir);
    const first = run.open(record);
    expect(first.format).toBe(RUN_FORMAT);
    fs.writeFileSync(path.join(dir, 'report.md'), 'old result');
    run.release();
    const second = new RunDir(dir).open(record, { fresh: true });
    expect(fs.existsSync(path.join(dir, 'report.md'))).toBe(false);
    expect(second.createdAt >= first.createdAt).toBe(true);
    new RunDir(dir).release();
    // A run written before the format marker existed is recognised by its fields.
    const legacy = fresh();
    fs.mkdirSync(legacy);
    fs.writeFileSync(path.join(legacy, 'config.json'), JSON.stringify({ kind: 'transfer', seed: 0, config: {}, versions: { node: 'v20' }, createdAt: '2026-01-01T00:00:00Z' }));
    fs.writeFileSync(path.join(legacy, 'report.md'), 'old');
    expect(new RunDir(legacy).state()).toBe('run');
    new RunDir(legacy).open(record, { fresh: true });
    new RunDir(legacy).release();
    expect(fs.existsSync(path.join(legacy, 'report.md'))).toBe(false);
    // Another kind of run is not replaced.
    const err = userError(() => new RunDir(legacy).open({ ...record, kind: 'pipeline' }, { fresh: true }));
    expect(err.message).toMatch(/holds a transfer run, not a pipeline run; --fresh only replaces a run of the same kind/);
    // Nor the folder the user stands in.
    const cwd = process.cwd();
    process.chdir(legacy);
    try {
      expect(userError(() => new RunDir('.').open(record, { fresh: true })).message).toMatch(/holds the current folder/);
    } finally {
      process.chdir(cwd);
    }
    expect(fs.existsSync(path.join(legacy, 'config.json'))).toBe(true);
  });

  it('an existing run: advice names only the flags the command has', () => {
    const dir = fresh();
    new RunDir(dir).open(record);
    new RunDir(dir).release();
    expect(userError(() => new RunDir(dir).open(record, { resumeFlag: false })).message).toMatch(/already holds a transfer run; pass --fresh to replace it, or choose another --run-dir/);
    expect(userError(() => new RunDir(dir).open(record, { resumeFlag: false })).message).not.toMatch(/--resume/);
    expect(userError(() => new RunDir(dir).open(record)).message).toMatch(/pass --resume to continue it, pass --fresh/);
  });

  it('--resume with nothing to resume is refused; an empty folder may be started in', () => {
    for (const dir of [fresh(), (() => { const d = fresh(); fs.mkdirSync(d); return d; })()]) {
      const err = userError(() => new RunDir(dir).open(record, { resume: true }));
      expect(err.field).toBe('--resume');
      expect(err.message).toMatch(/nothing to resume in .*run without --resume to start one/);
    }
    const empty = fresh();
    fs.mkdirSync(empty);
    new RunDir(empty).open(record);
    new RunDir(empty).release();
    expect(new RunDir(empty).state()).toBe('run');
  });
});

describe('RunDir: the lock', () => {
  it('is held while a process writes, refuses another live process, and is released', () => {
    const dir = fresh();
    const run = new RunDir(dir);
    run.open(record);
    expect(readLock(dir)?.pid).toBe(process.pid);
    run.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);

    // Another process, alive, holds it.
    const sleeper = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: sleeper.pid, host: os.hostname(), command: 'darla transfer', startedAt: 'now' }));
      const before = fileSnapshot(dir);
      for (const mode of [{ resume: true }, { fresh: true }]) {
        const err = userError(() => new RunDir(dir).open(record, mode));
        expect(err.message).toMatch(new RegExp(`in use by another darla process \\(pid ${sleeper.pid}, darla transfer`));
        expect(err.message).toMatch(/wait for it to finish or stop it/);
      }
      expect(fileSnapshot(dir)).toEqual(before);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('takes over a stale lock (its process is gone) with a message', () => {
    const dir = fresh();
    new RunDir(dir).open(record);
    new RunDir(dir).release();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid, host: os.hostname(), command: 'darla pretrain', startedAt: 'then' }));
    const lines: string[] = [];
    new RunDir(dir).open(record, { resume: true, log: (l) => lines.push(l) });
    expect(lines.join('\n')).toMatch(new RegExp(`taking over the lock of .*its owner \\(pid ${deadPid}.*\\) is no longer running`));
    expect(readLock(dir)?.pid).toBe(process.pid);
    new RunDir(dir).release();
  });
});

describe('RunDir: --fresh on an encoder agent runs depend on (issue 21.2)', () => {
  it('warns, before deleting, which agent runs nearby recorded this encoder', () => {
    const base = fresh();
    const vaeDir = path.join(base, 'vision', 'darla');
    const vae = { kind: 'pretrain', seed: 0, config: { arch: 1 } };
    new RunDir(vaeDir).open(vae);
    new RunDir(vaeDir).release();
    // A pipeline-style agent (absolute path) and a sibling agent (path relative to its run); one of another encoder.
    const agents = [path.join(base, 'agents', 'darla-seed0'), path.join(base, 'vision', 'agent'), path.join(base, 'agents', 'darla-ckpt')];
    const other = path.join(base, 'agents', 'entangled-seed0');
    const uses = [[agents[0], vaeDir], [agents[1], '../darla'], [agents[2], path.join(vaeDir, 'checkpoints', 'step-000000010.ckpt')], [other, path.join(base, 'vision', 'entangled')]] as const;
    for (const [dir, vaePath] of uses) {
      new RunDir(dir).open({ kind: 'train-agent', seed: 0, config: { frontend: 'darla', vae: vaePath } });
      new RunDir(dir).release();
    }
    const lines: string[] = [];
    new RunDir(vaeDir).open(vae, { fresh: true, log: (l) => lines.push(l) });
    new RunDir(vaeDir).release();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^warning: --fresh replaces the encoder in .*they will no longer find a matching encoder/);
    for (const a of agents) expect(lines[0]).toContain(a);
    expect(lines[0]).not.toContain(other);
  });
});
