/**
 * `darla demo` checks everything before any work (issue 21.3): every part of a --config file
 * (agents.overrides too, which only the agent stage used to read) and the --host/--port of the viewer
 * the run ends with. Each refusal is exit 2 with a message naming the field, and no run directory.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { launchWithFreePort } from '../../scripts/commands/demo.ts';
import { ViewerServer } from '../../viewer/server.ts';

const BIN = path.resolve('bin/darla.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-checks-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
// Bounded: on code that checks late, the command would first train.
const demo = (args: string[]) => spawnSync(process.execPath, [BIN, 'demo', '--preset', 'tiny', '--jobs', '1', '--backend', 'cpu', '--quiet', ...args], { encoding: 'utf8', timeout: 60_000 });
let n = 0;

describe('darla demo validates before any work (issue 21.3)', () => {
  it('a bad or unknown agents.overrides field: exit 2 naming it, before the vision trains', () => {
    for (const [overrides, expected] of [
      [{ lr: -1 }, /agents\.overrides: lr: .*for the darla agents/],
      [{ learningRate: 0.1 }, /agents\.overrides: unknown key\(s\) 'learningRate'/],
    ] as const) {
      const file = path.join(tmp, `config-${n}.json`);
      fs.writeFileSync(file, JSON.stringify({ agents: { overrides } }));
      const run = path.join(tmp, `run-${n++}`);
      const r = demo(['--no-view', '--config', file, '--run-dir', run]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(expected);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(fs.existsSync(run)).toBe(false);
    }
  });

  it("an invalid --host or a busy --port of the viewer: exit 2 before the pipeline starts", async () => {
    const bad = demo(['--host', '999.1.1.1', '--exit-after', '1', '--run-dir', path.join(tmp, `run-${n}`)]);
    expect(bad.status, bad.stderr).toBe(2);
    expect(bad.stderr).toMatch(/--host: cannot listen on '999\.1\.1\.1'/);
    expect(fs.existsSync(path.join(tmp, `run-${n++}`))).toBe(false);

    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const run = path.join(tmp, `run-${n++}`);
      const busy = demo(['--port', String(port), '--exit-after', '1', '--run-dir', run]);
      expect(busy.status, busy.stderr).toBe(2);
      expect(busy.stderr).toMatch(new RegExp(`--port: port ${port} on 127\\.0\\.0\\.1 is already in use`));
      expect(fs.existsSync(run)).toBe(false);
    } finally {
      holder.close();
    }
  });

  it('a port taken while the pipeline ran: the viewer serves on the next free one and says so', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const taken = (holder.address() as net.AddressInfo).port;
    const lines: string[] = [];
    try {
      const server = await launchWithFreePort((port) => ViewerServer.start({ host: '127.0.0.1', port, log: () => {} }), taken, (l) => lines.push(l));
      try {
        expect(server.port).toBeGreaterThan(taken);
        expect(lines).toEqual([`viewer: port ${taken} was taken while the pipeline ran; serving on port ${server.port} instead`]);
      } finally {
        await server.close();
      }
    } finally {
      holder.close();
    }
  });
});
