/**
 * WebGPU under Node through Dawn (the npm package `webgpu`): finds an adapter, tells a hardware GPU
 * from a software rasteriser (Mesa's lavapipe/llvmpipe, SwiftShader), and registers tfjs's 'webgpu'
 * backend on that adapter. Dawn's Vulkan backend needs a Vulkan driver: a GPU vendor's, or Mesa ≥ 24
 * (lavapipe) for software; Dawn refuses Mesa 22.
 */
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

function isSoftware(info: GPUAdapterInfo & { isFallbackAdapter?: boolean }): boolean {
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`;
  return info.isFallbackAdapter === true || info.architecture === 'software' || /llvmpipe|lavapipe|swiftshader|software/i.test(text);
}

/** The best adapter Dawn offers (hardware first), or null (see lastProbeFailure). */
export async function probeAdapter(): Promise<AdapterProbe | null> {
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
  const name = [info.vendor, info.architecture, info.device].filter((s) => s !== '').join(' ') + (info.description ? ` (${info.description})` : '');
  return { adapter, name, software: isSoftware(info) };
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
