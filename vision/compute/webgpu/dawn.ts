/**
 * WebGPU under Node through Dawn (the npm package `webgpu`): finds an adapter, tells a hardware GPU
 * from a software rasteriser (Mesa's lavapipe/llvmpipe, SwiftShader), and registers tfjs's 'webgpu'
 * backend on that adapter. Dawn's Vulkan backend needs a Vulkan driver: a GPU vendor's, or Mesa ≥ 24
 * (lavapipe) for software; Dawn refuses Mesa 22. Whether there is an adapter is first asked in a
 * child process whose stderr is captured: on a machine without Vulkan, Dawn writes a raw warning
 * (with a path from its own CI) straight to the terminal, which the user should never see; the
 * backend line says it in words instead ("no WebGPU adapter: libvulkan.so.1 not found").
 */
import { spawn } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';

export interface AdapterProbe {
  adapter: GPUAdapter;
  /** "vendor architecture device (description)", as Dawn reports it. */
  name: string;
  /** True for CPU rasterisers (lavapipe, llvmpipe, SwiftShader): correct but slow. */
  software: boolean;
}

/** Why no adapter was found, with what to do; set by probeAdapter when it returns null. */
export let lastProbeFailure = '';

let gpu: GPU | undefined;

/** Dawn's GPU object, created once; null if the `webgpu` package cannot load here. */
async function dawn(): Promise<GPU | null> {
  if (gpu !== undefined) return gpu;
  try {
    const { create, globals } = (await import('webgpu')) as { create: (opts: string[]) => GPU; globals: object };
    Object.assign(globalThis, globals);
    gpu = create([]);
    return gpu;
  } catch (err) {
    lastProbeFailure = `the 'webgpu' package (Dawn) did not load: ${err instanceof Error ? err.message : String(err)}`;
    return null;
  }
}

/** The adapter fields the project reads (Dawn's GPUAdapterInfo has them, and so does the probe child's report). */
type AdapterInfoLike = Pick<GPUAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description'> & { isFallbackAdapter?: boolean };

/** "vendor architecture device (description)". */
export function adapterName(info: AdapterInfoLike): string {
  return [info.vendor, info.architecture, info.device].filter((s) => s !== '').join(' ') + (info.description ? ` (${info.description})` : '');
}

export function isSoftware(info: AdapterInfoLike): boolean {
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`;
  return info.isFallbackAdapter === true || info.architecture === 'software' || /llvmpipe|lavapipe|swiftshader|software/i.test(text);
}

/** What the probe child reports: Dawn's adapter info, or null; and what Dawn wrote to stderr. */
export interface ChildProbe {
  adapter: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean } | null;
  stderr: string;
  /** Set when the child could not answer (crashed, timed out, the package did not load). */
  failure?: string;
}

/** The script the probe child runs: load Dawn, ask for an adapter, print its info as JSON. */
const PROBE_SCRIPT = `
const { create, globals } = await import(process.argv[1]);
Object.assign(globalThis, globals);
const a = await create([]).requestAdapter({ powerPreference: 'high-performance' });
const i = a === null ? null : a.info;
process.stdout.write(JSON.stringify(i === null ? null : { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, isFallbackAdapter: a.isFallbackAdapter === true || i.isFallbackAdapter === true }));
process.exit(0);
`;

/** Asks Dawn for an adapter in a child process, so nothing Dawn prints reaches this terminal. */
export function probeInChild(env: NodeJS.ProcessEnv = process.env, timeoutMs = 30_000): Promise<ChildProbe> {
  let url: string;
  try {
    url = import.meta.resolve('webgpu');
  } catch (err) {
    return Promise.resolve({ adapter: null, stderr: '', failure: `the 'webgpu' package (Dawn) is not installed: ${err instanceof Error ? err.message : String(err)}` });
  }
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', PROBE_SCRIPT, url], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', (e) => resolve({ adapter: null, stderr: err, failure: `the WebGPU probe could not start: ${e.message}` }));
    child.on('close', (code, signal) => {
      try {
        if (code === 0) return resolve({ adapter: JSON.parse(out) as ChildProbe['adapter'], stderr: err });
      } catch {
        // Not JSON: reported below.
      }
      resolve({ adapter: null, stderr: err, failure: `the WebGPU probe ${signal !== null ? `was stopped (${signal})` : `exited with code ${code}`}` });
    });
  });
}

/** Why a probe found no adapter, in words: the first line the backend report shows. */
export function noAdapterReason(probe: ChildProbe): string {
  const lib = /Couldn't load Vulkan: (\S+?):/.exec(probe.stderr);
  if (lib !== null) {
    return `no WebGPU adapter: ${lib[1]} not found (install your GPU vendor's Vulkan driver, or for a software adapter Mesa >= 24: \`apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1\` on Debian 12)`;
  }
  if (probe.failure !== undefined) return `no WebGPU adapter: ${probe.failure}`;
  return (
    'no WebGPU adapter: Dawn found none (no Vulkan driver: install your GPU vendor\'s Vulkan driver, or for a software ' +
    'adapter Mesa >= 24, e.g. `apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1` on Debian 12)'
  );
}

let childProbeResult: Promise<ChildProbe> | undefined;

/** The probe child's answer, asked once per process; sets lastProbeFailure when it found no adapter. */
export function childProbe(): Promise<ChildProbe> {
  childProbeResult ??= probeInChild().then((r) => {
    if (r.adapter === null) lastProbeFailure = noAdapterReason(r);
    return r;
  });
  return childProbeResult;
}

/** The best adapter Dawn offers (hardware first), or null (see lastProbeFailure). */
export async function probeAdapter(): Promise<AdapterProbe | null> {
  // Ask a child first: where there is no adapter, Dawn is never loaded here (and never prints here).
  if (gpu === undefined && (await childProbe()).adapter === null) return null;
  const g = await dawn();
  if (g === null) return null;
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await g.requestAdapter({ powerPreference: 'high-performance' });
  } catch (err) {
    lastProbeFailure = `Dawn's requestAdapter failed: ${err instanceof Error ? err.message : String(err)}`;
    return null;
  }
  if (adapter === null) {
    lastProbeFailure =
      'Dawn found no WebGPU adapter (no Vulkan driver: install your GPU vendor\'s Vulkan driver, or for a software ' +
      'adapter Mesa >= 24, e.g. `apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1` on Debian 12)';
    return null;
  }
  const info = adapter.info;
  return { adapter, name: adapterName(info), software: isSoftware(info) };
}

/** What dataSync()/arraySync() say on the webgpu backend under Node. */
export const SYNC_READ_MESSAGE =
  'synchronous reads (dataSync, arraySync, bufferSync) are not available on the webgpu backend under Node: ' +
  'tfjs reads GPU buffers synchronously through OffscreenCanvas, which Node lacks. Use `await tensor.data()` ' +
  '(or `await tensor.array()`) instead.';

/**
 * tfjs-backend-webgpu's readSync goes through OffscreenCanvas (browser only); under Node it fails
 * with a bare ReferenceError. Replace that with an error that says what to do.
 */
function explainSyncReads(backend: { readSync: (dataId: object) => unknown }): void {
  const original = backend.readSync.bind(backend);
  backend.readSync = (dataId: object) => {
    try {
      return original(dataId);
    } catch (err) {
      if (err instanceof ReferenceError && /OffscreenCanvas/.test(err.message)) throw new Error(SYNC_READ_MESSAGE);
      throw err;
    }
  };
}

let registeredOn: GPUAdapter | undefined;

/**
 * Registers tfjs's 'webgpu' backend on `probe.adapter` (replacing the package's own registration,
 * which would pick an adapter by itself). Loads @tensorflow/tfjs-backend-webgpu's kernels.
 */
export async function registerWebGpuBackend(probe: AdapterProbe): Promise<void> {
  if (registeredOn === probe.adapter) return;
  // The package decides at import time whether to register itself, from globalThis.navigator.gpu.
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav === undefined) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  else if (nav.gpu === undefined) nav.gpu = gpu;
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  if (tf.findBackendFactory('webgpu') !== null) tf.removeBackend('webgpu');
  const adapter = probe.adapter;
  tf.registerBackend(
    'webgpu',
    async () => {
      const requiredFeatures: GPUFeatureName[] = [];
      if (adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
      const l = adapter.limits;
      const device = await adapter.requestDevice({
        requiredFeatures,
        requiredLimits: {
          maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
          maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
          maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
          maxBufferSize: l.maxBufferSize,
          maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
          maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
        },
      });
      const backend = new WebGPUBackend(device, adapter.info);
      explainSyncReads(backend);
      return backend;
    },
    3,
  );
  registeredOn = adapter;
}
