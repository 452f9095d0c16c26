/**
 * `darla pretrain`'s round-three flags — --decoder, the augmented loss's --blur-* and a variant's view — from the
 * command line: bad values exit 2 naming the flag or field with nothing written, and a tiny run
 * records the decoder and the blur in its config.json and checkpoint architecture.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = path.resolve('bin/darla.js');
const TINY = ['--steps', '2', '--batch-size', '4', '--random-frames', '32', '--factor-frames', '32', '--latents', '2', '--variants', 'source', '--no-eval', '--backend', 'wasm', '--quiet'];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'darla-recon-flags-'));
const darla = (args: string[]) => spawnSync(process.execPath, [BIN, 'pretrain', ...TINY, ...args], { encoding: 'utf8', env: { ...process.env, DARLA_WASM_THREADS: '1' } });

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('pretrain --decoder and --blur-*', () => {
  it('refuses bad values with exit 2, naming the flag, and writes nothing', () => {
    const sideways = path.join(tmp, 'sideways.json');
    fs.writeFileSync(sideways, JSON.stringify({ name: 'sideways', view: 'side', background: ['#000000'], goal: { shape: 'square', colors: ['#ff0000'] }, hazard: { shape: 'ring', colors: ['#0000ff'] }, scales: [12], orientations: [0] }));
    const cases: [string[], RegExp][] = [
      [['--decoder', 'mlp'], /--decoder/],
      [['--blur-kernel', 'median'], /--blur-kernel/],
      [['--blur-kernel', 'box', '--blur-width', '4'], /blur\.width.*odd/],
      [['--blur-kernel', 'gaussian', '--blur-weight', '1.5'], /--blur-weight/],
      [['--blur-sigma', '3'], /--blur-sigma.*--blur-kernel/],
      [['--blur-kernel', 'box', '--blur-sigma', '3'], /--blur-sigma applies to --blur-kernel gaussian/],
      [['--blur-kernel', 'gaussian', '--blur-width', '5'], /--blur-width applies to --blur-kernel box/],
      [['--blur-kernel', 'gaussian', '--target', 'dae'], /blur.*pixel reconstruction only/],
      [['--variants', sideways], /view/],
    ];
    for (const [args, message] of cases) {
      const dir = path.join(tmp, 'refused');
      const r = darla([...args, '--run-dir', dir]);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(fs.existsSync(dir)).toBe(false);
    }
    const config = path.join(tmp, 'bad-blur.json');
    fs.writeFileSync(config, JSON.stringify({ blur: { kernel: 'gaussian', sigma: 2, weight: 0.5, radius: 3 } }));
    const r = darla(['--config', config, '--run-dir', path.join(tmp, 'refused')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/blur/);
  });

  it('a broadcast-decoder run with a Gaussian blur records both', () => {
    const dir = path.join(tmp, 'bc');
    const r = darla(['--decoder', 'broadcast', '--blur-kernel', 'gaussian', '--blur-sigma', '3', '--run-dir', dir]);
    expect(r.status, r.stderr).toBe(0);
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as { config: { arch: { decoder: string }; blur: unknown } };
    expect(cfg.config.arch.decoder).toBe('broadcast');
    expect(cfg.config.blur).toEqual({ kernel: 'gaussian', sigma: 3, weight: 0.5 });
  });
});
