/**
 * selectBackend: wasm starts multi-threaded with SIMD and our training kernels, choices are
 * idempotent, unavailable explicit choices are UserErrors that say what to install, and a process
 * that used the threaded wasm build still exits by itself.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { defaultWasmThreads, describeBackend, selectBackend } from '../../../vision/compute/backend.ts';
import { UserError } from '../../../envs/core/errors.ts';

const quiet = { log: () => {} };

/** Runs selectBackend(name) in a fresh node process with extra env vars; prints `started` or the error. */
function selectInChild(name: string, env: Record<string, string>) {
  const script = [
    "import { selectBackend } from './vision/compute/backend.ts';",
    `await selectBackend('${name}', { log: () => {} }).then(() => console.log('started'), (e) => console.log(e.name, e.message));`,
  ].join('\n');
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: new URL('../../../', import.meta.url).pathname,
    encoding: 'utf8',
    timeout: 45_000,
    env: { ...process.env, ...env },
  });
}

describe('selectBackend', () => {
  it('uses one wasm thread per core other processes leave idle', () => {
    expect(defaultWasmThreads(2, 0.1)).toEqual({ threads: 2, note: '' });
    expect(defaultWasmThreads(2, 1.2).threads).toBe(1);
    expect(defaultWasmThreads(2, 6).threads).toBe(1);
    expect(defaultWasmThreads(8, 2.6).threads).toBe(5);
    expect(defaultWasmThreads(2, 6).note).toMatch(/load average 6\.0.*DARLA_WASM_THREADS/);
  });

  it('starts wasm with SIMD, threads and the training kernels; a second call returns the same info', async () => {
    const lines: string[] = [];
    const info = await selectBackend('wasm', { log: (l) => lines.push(l) });
    expect(info.name).toBe('wasm');
    expect(info.simd).toBe(true);
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(info.threads).toBeLessThanOrEqual(Math.min(os.availableParallelism(), 8));
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeDefined();
    expect(lines.join('\n')).toMatch(/^backend: wasm \(SIMD, \d+ threads?, darla conv kernels\)/);
    expect(await selectBackend('wasm', quiet)).toBe(info);
    expect(describeBackend(info)).toContain('wasm');
  });

  it('computes correctly on the threaded build', async () => {
    await selectBackend('wasm', quiet);
    const y = tf.tidy(() => tf.sum(tf.matMul(tf.ones([64, 128]), tf.fill([128, 32], 0.5))).dataSync()[0]);
    expect(y).toBeCloseTo(64 * 32 * 64, 0);
  });

  it('refuses --backend tensorflow without tfjs-node, saying how to install it', async () => {
    const err = await selectBackend('tensorflow', quiet).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/npm install @tensorflow\/tfjs-node-gpu@4\.22\.0/);
    expect((err as UserError).message).toMatch(/CUDA 11\.2/);
    expect((err as UserError).field).toBe('--backend');
  });

  it('auto falls back to wasm here and says why', async () => {
    const info = await selectBackend('auto', quiet);
    // This machine has no tfjs-node; it has no hardware GPU either (a software adapter is skipped).
    expect(['wasm', 'webgpu']).toContain(info.name);
    expect(info.reason).toMatch(/^auto: /);
    if (info.name === 'wasm') expect(info.reason).toMatch(/tfjs-node/);
  });

  it('runs cpu on request', async () => {
    const info = await selectBackend('cpu', quiet);
    expect(info.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('refuses --backend webgpu when Dawn finds no adapter, saying how to get one', () => {
    // An ICD list naming no driver: the Vulkan loader finds no device, as on a machine without one.
    const r = selectInChild('webgpu', { VK_ICD_FILENAMES: '/nonexistent/icd.json' });
    expect(r.stdout.trim(), r.stderr).toMatch(/^UserError backend 'webgpu' is not available: .*no WebGPU adapter.*mesa-vulkan-drivers/);
  });

  it('a start without a GPU is quiet: Dawn writes nothing to the terminal, the backend line says why (issue 21.9)', () => {
    // `darla view` with an encoder selects `auto` as `npm start` does; the ICD list names no driver.
    const r = spawnSync(process.execPath, ['bin/darla.js', 'view', '--vae', 'models/vision/darla', '--port', '0', '--exit-after', '0.2'], {
      cwd: new URL('../../../', import.meta.url).pathname,
      encoding: 'utf8',
      timeout: 90_000,
      env: { ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/Couldn't load Vulkan|BackendVk\.cpp|node-webgpu|^Warning:/m);
    const backendLine = r.stderr.split('\n').find((l) => l.startsWith('backend: '));
    expect(backendLine, r.stderr).toMatch(/no WebGPU adapter/);
    // Where the Vulkan loader itself is missing (as on this project's CI), the line names it.
    const hasVulkan = spawnSync('sh', ['-c', 'ldconfig -p | grep -q "libvulkan.so.1 "']).status === 0;
    if (!hasVulkan) expect(backendLine).toMatch(/no WebGPU adapter: libvulkan\.so\.1 not found/);
  });

  it('refuses a bad DARLA_WASM_THREADS before starting wasm', () => {
    const r = selectInChild('wasm', { DARLA_WASM_THREADS: 'lots' });
    expect(r.stdout.trim(), r.stderr).toMatch(/^UserError DARLA_WASM_THREADS: wasm threads must be an integer from 1 to 8, got 'lots'/);
  });

  it('refuses a bad DARLA_WASM_KERNELS before starting wasm', () => {
    const r = selectInChild('wasm', { DARLA_WASM_KERNELS: 'fast' });
    expect(r.stdout.trim(), r.stderr).toMatch(/^UserError DARLA_WASM_KERNELS: must be 'darla' or 'xnnpack', got 'fast'/);
  });

  it('runs the XNNPACK conv kernels on request', () => {
    const r = selectInChild('wasm', { DARLA_WASM_KERNELS: 'xnnpack' });
    expect(r.stdout.trim(), r.stderr).toBe('started');
  });

  it('lets a process that used threaded wasm exit on its own', () => {
    const script = [
      "import * as tf from '@tensorflow/tfjs-core';",
      "import { selectBackend } from './vision/compute/backend.ts';",
      "const info = await selectBackend('wasm', { log: () => {}, threads: 2 });",
      'const y = tf.conv2d(tf.ones([2, 16, 16, 4]), tf.ones([3, 3, 4, 8]), 1, "same");',
      'console.log(info.threads, y.shape.join("x"));',
    ].join('\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: new URL('../../../', import.meta.url).pathname,
      encoding: 'utf8',
      timeout: 45_000,
    });
    expect(r.error, r.stderr).toBeUndefined();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('2 2x16x16x8');
  });
});
