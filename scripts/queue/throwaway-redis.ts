/**
 * A throwaway real Redis for the queue tests and the queue benchmark: Debian's redis-server on
 * loopback, a free port, no persistence, noeviction, optionally with a password; stopped by its pid.
 * No mock anywhere: the tests talk to this server. Not used by darla itself.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface TestRedis {
  port: number;
  url: string;
  /** Stops the server (by its pid) and removes its folder. */
  stop(): Promise<void>;
}

/** A port nothing listens on right now (the kernel's pick). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Whether redis-server is installed (.ci/run installs it). */
export function haveRedis(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function startRedis(opts: { password?: string } = {}): Promise<TestRedis> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-'));
  const pidfile = path.join(dir, 'redis.pid');
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'yes', '--pidfile', pidfile, '--maxmemory-policy', 'noeviction', '--logfile', path.join(dir, 'redis.log')];
  if (opts.password !== undefined) args.push('--requirepass', opts.password);
  execFileSync('redis-server', args, { stdio: 'ignore' });
  // Daemonized: wait for the pid file and the port.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = fs.existsSync(pidfile) && (await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.end(), resolve(true)));
      s.once('error', () => resolve(false));
    }));
    if (up) break;
    if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}; see ${dir}/redis.log`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const pid = Number(fs.readFileSync(pidfile, 'utf8').trim());
  const auth = opts.password !== undefined ? `:${encodeURIComponent(opts.password)}@` : '';
  return {
    port,
    url: `redis://${auth}127.0.0.1:${port}`,
    async stop() {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
      // Wait for it to exit (it writes its log while shutting down), then remove its folder.
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}
