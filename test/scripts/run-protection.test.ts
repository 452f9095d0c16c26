/**
 * Through the `darla` CLI (issue 21): what a run directory protects.
 * - --fresh never deletes the folder the user stands in, however symlinks spell either path;
 * - a shipped model (provenance.json) is never replaced nor resumed into; --fresh refuses a run
 *   holding files darla did not write (test/envs/run-dir.test.ts: the warning about dependent agents);
 * - a path that cannot hold a run (dangling symlink, a file on the way, an unwritable folder) gets
 *   one sentence and exit 2, never a stack trace;
 * - a folder holding the user's run.lock or *.tmp files is not empty, and their run.lock is never
 *   removed.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSnapshot } from '../envs/helpers.ts';

const BIN = path.resolve('bin/darla.js');
const PRETRAIN = ['pretrain', '--steps', '2', '--batch-size', '4', '--random-frames', '32', '--factor-frames', '32', '--latents', '2', '--variants', 'source', '--no-eval', '--backend', 'cpu', '--quiet'];
// A spawn is bounded: on code that wrongly accepts a case, the command would go on to train.
const darla = (args: string[], opts: SpawnSyncOptions = {}) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, ...opts }) as { status: number | null; stdout: string; stderr: string };

let tmp: string;
let n = 0;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'run-protection-'));
  fs.chmodSync(tmp, 0o755); // the unwritable-folder case runs as another user when the tests run as root
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A pretraining run as darla writes one (config.json, a checkpoint, metrics), without training. */
function pretrainRun(name = `run-${n++}`): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(path.join(dir, 'checkpoints'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ format: 'darla-run/1', kind: 'pretrain', seed: 0, config: {}, versions: {}, createdAt: '2026-12-01T00:00:00Z' }));
  fs.writeFileSync(path.join(dir, 'checkpoints', 'step-000000002.ckpt'), 'weights');
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), '{"step":1}\n');
  return dir;
}

/** One line of error, no stack trace. */
function expectOneLine(stderr: string): void {
  expect(stderr).not.toMatch(/\n\s+at /);
  expect(stderr.trim().split('\n').filter((l) => l.startsWith('error:'))).toHaveLength(1);
}

describe('--fresh through symlinks (issue 21.1)', () => {
  it('refuses to delete the run holding the current folder when --run-dir is a symlink to it', () => {
    const run = pretrainRun();
    const link = path.join(tmp, `link-${n++}`);
    fs.symlinkSync(run, link);
    const before = fileSnapshot(run);
    // Standing in a sub-folder of the run, --run-dir spelled through the link (as `$(dirname "$PWD")` does).
    const inside = darla([...PRETRAIN, '--run-dir', link, '--fresh'], { cwd: path.join(run, 'checkpoints') });
    expect(inside.status, inside.stderr).toBe(2);
    expect(inside.stderr).toMatch(/--fresh: .* holds the current folder/);
    // Standing in the run itself.
    const self = darla([...PRETRAIN, '--run-dir', link, '--fresh'], { cwd: run });
    expect(self.status, self.stderr).toBe(2);
    expect(fileSnapshot(run)).toEqual(before);
  });

  it('a dangling symlink as --run-dir: exit 2 with one sentence naming it, nothing created', () => {
    const link = path.join(tmp, `dangling-${n++}`);
    fs.symlinkSync(path.join(tmp, 'nowhere'), link);
    for (const extra of [[], ['--fresh'], ['--resume']]) {
      const r = darla([...PRETRAIN, '--run-dir', link, ...extra]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`${link}.*symbolic link .*does not exist|nothing to resume`));
      expectOneLine(r.stderr);
    }
    expect(fs.existsSync(path.join(tmp, 'nowhere'))).toBe(false);
  });
});

describe('shipped models, dependent agents and user files (issue 21.2)', () => {
  it('a shipped model is never replaced or resumed into; the refusal says how to ship a new one', () => {
    const shipped = path.join(tmp, `shipped-${n++}`);
    fs.cpSync(path.resolve('models/vision/darla'), shipped, { recursive: true });
    const before = fileSnapshot(shipped);
    for (const extra of [['--fresh'], ['--resume']]) {
      const r = darla([...PRETRAIN, '--run-dir', shipped, ...extra]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/is a shipped model .*provenance\.json.*scripts\/ship-vision\.ts/);
      expectOneLine(r.stderr);
    }
    expect(fileSnapshot(shipped)).toEqual(before);
  });

  it('--fresh on a run holding files darla did not write names them and deletes nothing', () => {
    const run = pretrainRun();
    fs.writeFileSync(path.join(run, 'my-notes.txt'), 'observations');
    fs.writeFileSync(path.join(run, 'checkpoints', 'README.txt'), 'which one is best');
    const before = fileSnapshot(run);
    const r = darla([...PRETRAIN, '--run-dir', run, '--fresh']);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/files darla did not write \('(my-notes\.txt|checkpoints\/README\.txt)', '(my-notes\.txt|checkpoints\/README\.txt)'\)/);
    expect(fileSnapshot(run)).toEqual(before);
  });
});

describe('unusable paths get a sentence, not a stack trace (issue 21.4)', () => {
  it('a file where a folder is expected (ENOTDIR)', () => {
    const file = path.join(tmp, `file-${n++}`);
    fs.writeFileSync(file, 'x');
    const r = darla([...PRETRAIN, '--run-dir', path.join(file, 'run')]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${file} is a file, not a folder`));
    expectOneLine(r.stderr);
  });

  // root ignores permission bits, so as root the command runs as an unprivileged user (nobody), who
  // must be able to read this checkout; a checkout only root can read leaves no way to provoke EACCES.
  const asRoot = process.getuid?.() === 0;
  const nobodyCanRun = !asRoot || spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(BIN)}, 4)`], { uid: 65534, gid: 65534 }).status === 0;
  if (!nobodyCanRun) console.warn('[EACCES case skipped] running as root in a checkout the unprivileged user cannot read');
  it.skipIf(!nobodyCanRun)('a run directory inside an unwritable folder, new or resumed (EACCES)', () => {
    const locked = path.join(tmp, `locked-${n++}`);
    fs.mkdirSync(locked);
    const run = pretrainRun(path.relative(tmp, path.join(locked, 'run')));
    fs.chmodSync(run, 0o555);
    fs.chmodSync(locked, 0o555);
    const asUser: SpawnSyncOptions = asRoot ? { uid: 65534, gid: 65534, env: { ...process.env, HOME: tmp } } : {};
    try {
      const fresh = darla([...PRETRAIN, '--run-dir', path.join(locked, 'new')], asUser);
      expect(fresh.status, fresh.stderr).toBe(2);
      expect(fresh.stderr).toMatch(new RegExp(`cannot write in ${locked} .*permission denied`));
      expectOneLine(fresh.stderr);
      for (const flag of ['--resume', '--fresh']) {
        const r = darla([...PRETRAIN, '--run-dir', run, flag], asUser);
        expect(r.status, r.stderr).toBe(2);
        expect(r.stderr).toMatch(new RegExp(`cannot write in ${run}: permission denied`));
        expectOneLine(r.stderr);
      }
    } finally {
      fs.chmodSync(locked, 0o755);
      fs.chmodSync(run, 0o755);
    }
  });
});

describe("the user's run.lock and *.tmp files (issue 21.5)", () => {
  it('a folder with only a run.lock and *.tmp files of the user is not empty: nothing is written, nothing removed', () => {
    const dir = path.join(tmp, `user-lock-${n++}`);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'run.lock'), 'my lock: do not touch');
    fs.writeFileSync(path.join(dir, 'draft.tmp'), 'a draft');
    const before = fileSnapshot(dir);
    const r = darla([...PRETRAIN, '--run-dir', dir]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/is not a darla run/);
    expect(fileSnapshot(dir)).toEqual(before);
  });

  it("a run with a run.lock darla did not write is refused, and the file kept", () => {
    const run = pretrainRun();
    fs.writeFileSync(path.join(run, 'run.lock'), 'not json');
    const before = fileSnapshot(run);
    const r = darla([...PRETRAIN, '--run-dir', run, '--fresh']);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/run\.lock is not a lock darla wrote/);
    expect(fileSnapshot(run)).toEqual(before);
  });
});
