import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodePng } from '../../envs/util/png.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/darla.js');

describe('darla envs / darla world-demo', () => {
  it('lists envs and variants as JSON and writes one sheet per variant', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sheets-'));
    const out = execFileSync('node', [BIN, 'envs', '--json', '--sheets', dir, '--rows', '1', '--cols', '2', '--scale', '1'], { encoding: 'utf8' });
    const listing = JSON.parse(out.trim().split('\n').pop() as string);
    expect(listing.envs.map((e: { id: string }) => e.id)).toEqual(expect.arrayContaining(['CartPole-v1', 'ShapeWorld-v0']));
    expect(listing.variants.map((v: { name: string }) => v.name)).toContain('recombination');
    expect(listing.sheets.length).toBe(8);
    const img = decodePng(fs.readFileSync(path.join(dir, 'source.png')));
    expect([img.width, img.height]).toEqual([2 * 64 + 3 * 2, 64 + 2 * 2]);
    fs.rmSync(dir, { recursive: true });
  });

  it('plays a demo, writes the strip, and refuses bad flags with exit code 2', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-'));
    const ok = spawnSync('node', [BIN, 'world-demo', '--steps', '300', '--frames', '4', '--out', dir, '--variant', '{"extends": "source", "name": "tiny", "gridSize": 4}'], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/rendered steps\/s/);
    expect(fs.existsSync(path.join(dir, 'world-strip.png'))).toBe(true);
    const bad = spawnSync('node', [BIN, 'world-demo', '--variant', '{"extends": "source", "goal": {"shape": "heart", "colors": ["red"]}}'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/goal.colors\[0\]: expected a colour/);
    const flag = spawnSync('node', [BIN, 'envs', '--rows', '0'], { encoding: 'utf8' });
    expect(flag.status).toBe(2);
    expect(flag.stderr).toMatch(/--rows/);
    fs.rmSync(dir, { recursive: true });
  });
});
