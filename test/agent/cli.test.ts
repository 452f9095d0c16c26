import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/darla.js');
const darla = (...args: string[]) => spawnSync('node', [BIN, ...args], { encoding: 'utf8' });

describe('darla train-agent / darla transfer', () => {
  it('trains from flags and a --config file, prints a JSON summary and writes the run', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'train-agent-'));
    const config = path.join(dir, 'ppo.json');
    fs.writeFileSync(config, JSON.stringify({ numEnvs: 2, numSteps: 32, hidden: [8], evalEpisodes: 2 }));
    const run = path.join(dir, 'run');
    const ok = darla('train-agent', '--frontend', 'oracle', '--config', config, '--total-steps', '128', '--run-dir', run, '--backend', 'cpu', '--json');
    expect(ok.status).toBe(0);
    const summary = JSON.parse(ok.stdout.trim().split('\n').pop()!) as { steps: number; frontend: string; variant: string };
    expect(summary).toMatchObject({ steps: 128, frontend: 'oracle', variant: 'source' });
    const record = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8')) as { config: { numEnvs: number; totalSteps: number } };
    expect(record.config.numEnvs).toBe(2);
    expect(record.config.totalSteps).toBe(128);
    fs.rmSync(dir, { recursive: true });
  });

  it('refuses bad flags and configs with exit code 2 and a message naming the field', () => {
    const cases: [string[], RegExp][] = [
      [['train-agent', '--lr', '0'], /--lr/],
      [['train-agent', '--frontend', 'darla'], /--vae/],
      [['train-agent', '--frontend', 'oracle', '--variant', 'colour-shift'], /unknown variant 'colour-shift'; known variants: source, color-shift/],
      [['transfer', '--policies', '/no/such/run'], /--policies/],
    ];
    for (const [args, message] of cases) {
      const r = darla(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});
