/** The queue tests' way to run the `darla` CLI as a child process and collect its output (async, so workers keep running). */
import { spawn } from 'node:child_process';
import path from 'node:path';

export const BIN = path.resolve('bin/darla.js');
/** One wasm thread per process: the tests run a client and several workers at once on two cores. */
export const ENV = { ...process.env, DARLA_WASM_THREADS: '1' };

export function darla(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
