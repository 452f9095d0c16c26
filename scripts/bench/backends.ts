/**
 * `darla bench backends`: the reference β-VAE (vision/vae/model.ts: 4 convs 32-32-64-64 4×4/2, FC
 * 256, 10 latents, mirrored decoder; 64×64×3; Bernoulli; the β objective; Adam via VaeTrainer) on
 * each tfjs backend, at batch 64:
 *   vae_train_img_per_sec_<backend>   images/s of full training steps (median step time)
 *   vae_train_img_per_cpu_sec_<backend>  images per CPU-second of the process (median; all its
 *                                     threads' CPU time, so it holds up when other processes load
 *                                     the machine, which wall-clock rates do not)
 *   vae_infer_img_per_sec_<backend>   images/s of the encoder's forward pass (μ, what the agent uses)
 *   vae_train_gflops_<backend>        effective GFLOP/s: the model's conv/dense FLOPs per step
 *                                     (forward, dX, dW; elementwise work not counted) / step time
 *   wasm_threads                      the thread count `--backend wasm` runs with here
 * plus the same for wasm on one thread (`_wasm_1thread`), and, for wasm:
 *   vae_train_img_per_sec_wasm_pair   two one-thread trainings side by side, as the pipeline runs
 *                                     its two β-VAEs: each process's images/s, measured at the same
 *                                     time (both warm up, then start their timed steps together);
 *                                     the slower of the two
 *   …_wasm_xnnpack, …_wasm_xnnpack_1thread  (not with --quick) the same training with
 *                                     DARLA_WASM_KERNELS=xnnpack, the previous kernels: a same-run
 *                                     ratio for the project's own kernels
 *   …_torch, …_torch_1thread          Debian's PyTorch (python3-torch, run by /usr/bin/python3) on
 *                                     the same model and step (scripts/bench/torch_vae.py), and
 *                                     wasm_vs_torch(_1thread), the ratio of images/s; skipped, with
 *                                     the reason logged, where torch is not installed
 * The cpu backend trains on batch 8, and
 * `--quick` trains webgpu on batch 8 (a software adapter runs a few images/s) and cpu on batch 2. `--backend auto` measures every backend
 * that can run (wasm at both thread counts; webgpu on any adapter, a software one included; cpu on a
 * small batch; tensorflow when tfjs-node is installed); `--backend <name>` measures that one only.
 * Each configuration runs in a fresh child process (a tfjs backend and its thread pool are fixed for
 * the life of a process); the machine's load average is logged beside each result, since the
 * numbers are only as good as the cores were idle.
 */
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median, type BenchSuite } from './types.ts';

const BATCH = 64;
/** The cpu backend is ~500× slower than wasm: it trains on a smaller batch, for one step. */
const CPU_BATCH = 8;

interface MeasureSpec {
  backend: 'wasm' | 'webgpu' | 'cpu' | 'tensorflow';
  threads?: number;
  /** wasm: DARLA_WASM_KERNELS for the child (default: the default, darla). */
  kernels?: 'darla' | 'xnnpack';
  /** After warm-up, print READY and wait for a line on stdin before the timed steps (pair runs). */
  barrier?: boolean;
  batch: number;
  warmup: number;
  steps: number;
  inferRepeats: number;
  seed: number;
  profile: boolean;
}

interface MeasureResult {
  backend: string;
  describe: string;
  threads?: number;
  adapter?: string;
  trainStepMs: number[];
  /** CPU time of the whole process (all threads) per timed step. */
  trainStepCpuMs: number[];
  inferMs: number[];
  batch: number;
  trainFlopsPerImage: number;
  inferFlopsPerImage: number;
  loadBefore: number[];
  loadAfter: number[];
  profile?: Array<{ kernel: string; msPerStep: number; callsPerStep: number }>;
}

// --- FLOP count of the reference model ---------------------------------------------------------

/** Multiply-adds per image of each conv / dense layer of the reference β-VAE (DEFAULT_ARCH). */
export function referenceLayerMacs(arch: { imageSize: number; channels: number; convFilters: number[]; hidden: number; latents: number }): {
  encoderConvs: number[];
  decoderDeconvs: number[];
  dense: number[];
} {
  const k2 = 16;
  const f = arch.convFilters;
  const encoderConvs: number[] = [];
  let side = arch.imageSize;
  let inC = arch.channels;
  for (const outC of f) {
    side /= 2;
    encoderConvs.push(side * side * k2 * inC * outC);
    inC = outC;
  }
  const flat = side * side * f[3];
  const dense = [flat * arch.hidden, arch.hidden * 2 * arch.latents, arch.latents * arch.hidden, arch.hidden * flat];
  // The decoder mirrors the encoder: same MACs per layer, in reverse order.
  const decoderDeconvs = [...encoderConvs].reverse();
  return { encoderConvs, decoderDeconvs, dense };
}

/** FLOPs (2 per multiply-add) per image: inference = encoder forward; training = fwd + dX + dW. */
export function referenceFlops(arch: Parameters<typeof referenceLayerMacs>[0]): { train: number; infer: number } {
  const { encoderConvs, decoderDeconvs, dense } = referenceLayerMacs(arch);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const forward = sum(encoderConvs) + sum(decoderDeconvs) + sum(dense);
  // Backward: every layer's weight gradient, and every input gradient except the first conv's
  // (its input is data).
  const backward = forward + (forward - encoderConvs[0]);
  const encoderForward = sum(encoderConvs) + dense[0] + dense[1];
  return { train: 2 * (forward + backward), infer: 2 * encoderForward };
}

// --- the child: one backend, one process -------------------------------------------------------

async function measureInThisProcess(spec: MeasureSpec): Promise<MeasureResult> {
  const tf = await import('@tensorflow/tfjs-core');
  await import('../../vision/train/gradients.ts');
  const { selectBackend, describeBackend } = await import('../../vision/compute/backend.ts');
  const { BetaVae, DEFAULT_ARCH } = await import('../../vision/vae/model.ts');
  const { VaeTrainer } = await import('../../vision/vae/trainer.ts');
  const loadBefore = os.loadavg();
  const info = await selectBackend(spec.backend, { threads: spec.threads, log: () => {} });
  const model = new BetaVae(DEFAULT_ARCH, spec.seed);
  const trainer = new VaeTrainer(model, { kind: 'beta', beta: 4 }, { lr: 1e-4, seed: spec.seed });
  const x = tf.randomUniform([spec.batch, 64, 64, DEFAULT_ARCH.channels], 0, 1, 'float32', spec.seed) as import('@tensorflow/tfjs-core').Tensor4D;

  // trainStep awaits its loss read-back, so when it resolves the step has finished (any backend).
  const step = async (): Promise<void> => {
    await trainer.trainStep(x);
  };
  for (let i = 0; i < spec.warmup; i++) await step();
  if (spec.barrier === true) await waitForGo();
  const profiler = spec.profile && (spec.backend === 'wasm' || spec.backend === 'cpu') ? (await import('../../vision/compute/profile.ts')).profileKernels(spec.backend) : undefined;
  const trainStepMs: number[] = [];
  const trainStepCpuMs: number[] = [];
  for (let i = 0; i < spec.steps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await step();
    trainStepMs.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    trainStepCpuMs.push((c.user + c.system) / 1000);
  }
  const profile = profiler?.report().map((k) => ({ kernel: k.kernel, msPerStep: k.ms / spec.steps, callsPerStep: k.calls / spec.steps }));
  profiler?.stop();

  const inferMs: number[] = [];
  for (let i = 0; i < spec.inferRepeats + 2; i++) {
    const t0 = performance.now();
    const { mu, logvar } = model.encode(x);
    await mu.data();
    tf.dispose([mu, logvar]);
    if (i >= 2) inferMs.push(performance.now() - t0);
  }
  trainer.dispose();
  model.dispose();
  x.dispose();
  const flops = referenceFlops(DEFAULT_ARCH);
  return {
    backend: info.name,
    describe: describeBackend(info),
    threads: info.threads,
    adapter: info.adapter,
    trainStepMs,
    trainStepCpuMs,
    inferMs,
    batch: spec.batch,
    trainFlopsPerImage: flops.train,
    inferFlopsPerImage: flops.infer,
    loadBefore,
    loadAfter: os.loadavg(),
    profile: profile?.slice(0, 32),
  };
}

const RESULT_PREFIX = 'DARLA_BENCH_RESULT ';
const USER_ERROR_PREFIX = 'DARLA_BENCH_USER_ERROR ';
const READY_LINE = 'DARLA_BENCH_READY';

/** Tells the parent this child has warmed up, then waits for its go-ahead line on stdin. */
async function waitForGo(): Promise<void> {
  process.stdout.write(`${READY_LINE}\n`);
  await new Promise<void>((resolve) => {
    process.stdin.once('data', () => resolve());
  });
  process.stdin.pause();
}

function childArgs(spec: MeasureSpec): { args: string[]; env: NodeJS.ProcessEnv; cwd: string } {
  const self = fileURLToPath(import.meta.url);
  const env = { ...process.env };
  if (spec.kernels !== undefined) env.DARLA_WASM_KERNELS = spec.kernels;
  return { args: ['--import', 'tsx', self, '--measure', JSON.stringify(spec)], env, cwd: path.resolve(path.dirname(self), '../..') };
}

/** A backend the user asked for explicitly cannot run here (the child said why). */
class Unavailable extends Error {}

/** Runs one measurement in a fresh `node --import tsx` child; null (with a logged reason) on failure. */
function measureInChild(spec: MeasureSpec, log: (line: string) => void, timeoutMs: number): MeasureResult | null {
  const { args, env, cwd } = childArgs(spec);
  const r = spawnSync(process.execPath, args, {
    cwd,
    env,
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = r.stdout?.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
  const userError = r.stdout?.split('\n').find((l) => l.startsWith(USER_ERROR_PREFIX));
  if (userError !== undefined) throw new Unavailable(userError.slice(USER_ERROR_PREFIX.length));
  if (r.status !== 0 || line === undefined) {
    const why = r.error !== undefined ? r.error.message : (r.stderr ?? '').trim().split('\n').filter((l) => l.length < 400).slice(-3).join(' | ');
    log(`  ${spec.backend}${spec.threads !== undefined ? ` (${spec.threads} threads)` : ''}: not measured (${why || `exit ${r.status}`})`);
    return null;
  }
  return JSON.parse(line.slice(RESULT_PREFIX.length)) as MeasureResult;
}

/**
 * Two children side by side: both warm up, then both are told to start their timed steps at once.
 * Null (logged) if either fails.
 */
async function measurePair(spec: MeasureSpec, log: (line: string) => void, timeoutMs: number): Promise<MeasureResult[] | null> {
  const { args, env, cwd } = childArgs({ ...spec, barrier: true });
  const children = [0, 1].map(() => spawn(process.execPath, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] }));
  const outputs = children.map(() => ({ stdout: '', stderr: '' }));
  let ready = 0;
  const timer = setTimeout(() => children.forEach((c) => c.kill()), timeoutMs);
  const done = children.map(
    (child, i) =>
      new Promise<number | null>((resolve) => {
        child.stdout.setEncoding('utf8');
        child.stderr.setEncoding('utf8');
        child.stdout.on('data', (chunk: string) => {
          const before = outputs[i].stdout.includes(READY_LINE);
          outputs[i].stdout += chunk;
          if (!before && outputs[i].stdout.includes(READY_LINE) && ++ready === children.length) {
            for (const c of children) c.stdin.write('go\n');
          }
        });
        child.stderr.on('data', (chunk: string) => (outputs[i].stderr += chunk));
        child.on('close', (code) => resolve(code));
        child.on('error', () => resolve(null));
      }),
  );
  const codes = await Promise.all(done);
  clearTimeout(timer);
  const results: MeasureResult[] = [];
  for (const [i, out] of outputs.entries()) {
    const line = out.stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
    if (codes[i] !== 0 || line === undefined) {
      const why = out.stderr.trim().split('\n').filter((l) => l.length < 400).slice(-3).join(' | ');
      log(`  wasm pair: not measured (process ${i + 1}: ${why || `exit ${codes[i]}`})`);
      return null;
    }
    results.push(JSON.parse(line.slice(RESULT_PREFIX.length)) as MeasureResult);
  }
  return results;
}

interface TorchResult {
  torch: string;
  threads: number;
  batch: number;
  stepMs: number[];
  stepCpuMs: number[];
}

const TORCH_SCRIPT = fileURLToPath(new URL('./torch_vae.py', import.meta.url));
/** Debian's interpreter first: python3-torch installs for it (a pyenv python3 on PATH has no torch). */
const PYTHONS = ['/usr/bin/python3', 'python3'];

/** PyTorch on the same model and step; a string saying why not when it cannot run here. */
function measureTorch(threads: number, warmup: number, steps: number, seed: number, timeoutMs: number): TorchResult | string {
  const reasons: string[] = [];
  for (const python of PYTHONS) {
    const r = spawnSync(python, [TORCH_SCRIPT, '--threads', String(threads), '--warmup', String(warmup), '--steps', String(steps), '--seed', String(seed)], {
      encoding: 'utf8',
      timeout: timeoutMs,
    });
    if (r.error !== undefined) {
      reasons.push(`${python}: ${r.error.message}`);
      continue;
    }
    const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
    let parsed: (TorchResult & { skipped?: undefined }) | { skipped: string } | undefined;
    try {
      parsed = JSON.parse(last) as typeof parsed;
    } catch {
      parsed = undefined;
    }
    if (r.status === 0 && parsed !== undefined && parsed.skipped === undefined) return parsed;
    reasons.push(parsed?.skipped ?? `${python}: exit ${r.status} ${(r.stderr ?? '').trim().split('\n').slice(-1)[0] ?? ''}`);
  }
  return reasons.join('; ');
}

// --- the suite -----------------------------------------------------------------------------------

export const run: BenchSuite = async ({ quick, backend: choice, seed, log }) => {
  const { MAX_WASM_THREADS } = await import('../../vision/compute/wasm/threads.ts');
  const cores = Math.min(os.availableParallelism(), MAX_WASM_THREADS);
  const steps = quick ? 3 : 10;
  const base = { warmup: 2, steps, inferRepeats: quick ? 5 : 15, seed, profile: !quick };
  const plan: Array<{ key: string; spec: MeasureSpec; timeoutMs: number }> = [];
  const all = choice === 'auto';
  const wasm = all || choice === 'wasm';
  if (wasm) {
    plan.push({ key: 'wasm', spec: { ...base, backend: 'wasm', threads: cores, batch: BATCH }, timeoutMs: 300_000 });
    if (cores > 1) plan.push({ key: 'wasm_1thread', spec: { ...base, backend: 'wasm', threads: 1, batch: BATCH }, timeoutMs: 300_000 });
    if (!quick) {
      plan.push({ key: 'wasm_xnnpack', spec: { ...base, backend: 'wasm', threads: cores, batch: BATCH, kernels: 'xnnpack' }, timeoutMs: 300_000 });
      if (cores > 1) {
        plan.push({ key: 'wasm_xnnpack_1thread', spec: { ...base, backend: 'wasm', threads: 1, batch: BATCH, kernels: 'xnnpack' }, timeoutMs: 300_000 });
      }
    }
  }
  if (all || choice === 'webgpu') {
    // --quick: a smaller batch, since a software adapter (lavapipe) runs at a few images/s.
    plan.push({ key: 'webgpu', spec: { ...base, backend: 'webgpu', batch: quick ? 8 : BATCH, steps: quick ? 1 : 5, warmup: 1, inferRepeats: quick ? 2 : 5 }, timeoutMs: 420_000 });
  }
  if (all || choice === 'tensorflow') {
    plan.push({ key: 'tensorflow', spec: { ...base, backend: 'tensorflow', batch: BATCH }, timeoutMs: 300_000 });
  }
  if (all || choice === 'cpu') {
    plan.push({ key: 'cpu', spec: { ...base, backend: 'cpu', batch: quick ? 2 : CPU_BATCH, warmup: 0, steps: 1, inferRepeats: 1, profile: false }, timeoutMs: 300_000 });
  }

  const metrics: Record<string, number> = {};
  const details: Record<string, unknown> = { batch: BATCH, cpuBatch: CPU_BATCH, flopsPerImage: referenceFlops((await import('../../vision/vae/model.ts')).DEFAULT_ARCH) };
  const measured: string[] = [];
  for (const { key, spec, timeoutMs } of plan) {
    log(`${key}: batch ${spec.batch}, ${spec.warmup} warm-up + ${spec.steps} timed training steps, ${spec.inferRepeats} encoder passes`);
    let res: MeasureResult | null;
    try {
      res = measureInChild(spec, log, timeoutMs);
    } catch (err) {
      if (!(err instanceof Unavailable)) throw err;
      // An explicit --backend that cannot run is the user's to fix (exit 2); under auto, skip it.
      if (!all) {
        const { UserError } = await import('../../envs/core/errors.ts');
        throw new UserError(err.message, '--backend');
      }
      log(`  ${key}: not available here (${err.message.split('. ')[0]})`);
      continue;
    }
    if (res === null) continue;
    const stepMs = median(res.trainStepMs);
    const inferMs = median(res.inferMs);
    metrics[`vae_train_img_per_sec_${key}`] = (res.batch * 1000) / stepMs;
    metrics[`vae_train_img_per_cpu_sec_${key}`] = (res.batch * 1000) / median(res.trainStepCpuMs);
    metrics[`vae_infer_img_per_sec_${key}`] = (res.batch * 1000) / inferMs;
    metrics[`vae_train_gflops_${key}`] = (res.trainFlopsPerImage * res.batch) / (stepMs * 1e6);
    metrics[`vae_infer_gflops_${key}`] = (res.inferFlopsPerImage * res.batch) / (inferMs * 1e6);
    if (key === 'wasm' && res.threads !== undefined) metrics.wasm_threads = res.threads;
    if (key === 'cpu' || key === 'webgpu' || key === 'tensorflow' || key === 'wasm') measured.push(res.backend);
    if (key.startsWith('wasm_xnnpack')) delete metrics[`vae_infer_gflops_${key}`];
    log(`  ${res.describe}: ${metrics[`vae_train_img_per_sec_${key}`].toFixed(1)} img/s training, ${metrics[`vae_infer_img_per_sec_${key}`].toFixed(0)} img/s encoder (load avg ${res.loadBefore[0].toFixed(2)} → ${res.loadAfter[0].toFixed(2)})`);
    details[key] = res;
  }
  if (wasm && metrics.vae_train_img_per_sec_wasm !== undefined) {
    // The pipeline's two β-VAE trainings, one thread each, side by side.
    const spec: MeasureSpec = { ...base, backend: 'wasm', threads: 1, batch: BATCH, profile: false };
    log(`wasm_pair: two one-thread trainings at once, batch ${BATCH}, ${spec.warmup} warm-up + ${spec.steps} timed steps each`);
    const pair = await measurePair(spec, log, 300_000);
    if (pair !== null) {
      const rates = pair.map((r) => (r.batch * 1000) / median(r.trainStepMs));
      metrics.vae_train_img_per_sec_wasm_pair = Math.min(...rates);
      metrics.vae_train_img_per_cpu_sec_wasm_pair = Math.min(...pair.map((r) => (r.batch * 1000) / median(r.trainStepCpuMs)));
      details.wasm_pair = pair;
      log(`  each: ${rates.map((r) => r.toFixed(1)).join(' and ')} img/s (load avg ${pair[0].loadBefore[0].toFixed(2)} → ${pair[0].loadAfter[0].toFixed(2)})`);
    }
    // The anchor: Debian's PyTorch on the same model, at the same thread counts.
    for (const [key, threads] of [['torch', cores], ['torch_1thread', 1]] as const) {
      if (key === 'torch_1thread' && cores === 1) continue;
      log(`${key}: PyTorch, ${threads} thread${threads === 1 ? '' : 's'}, batch ${BATCH}, ${quick ? 2 : steps} timed steps`);
      const loadBefore = os.loadavg();
      const t = measureTorch(threads, quick ? 1 : 2, quick ? 2 : steps, seed, 600_000);
      if (typeof t === 'string') {
        log(`  ${key}: skipped (${t})`);
        details.torch = { skipped: t };
        break;
      }
      const wasmKey = key === 'torch' ? 'wasm' : 'wasm_1thread';
      metrics[`vae_train_img_per_sec_${key}`] = (t.batch * 1000) / median(t.stepMs);
      metrics[`vae_train_img_per_cpu_sec_${key}`] = (t.batch * 1000) / median(t.stepCpuMs);
      const ours = metrics[`vae_train_img_per_sec_${wasmKey}`];
      if (ours !== undefined) metrics[`wasm_vs_${key}`] = ours / metrics[`vae_train_img_per_sec_${key}`];
      details[key] = { ...t, loadBefore, loadAfter: os.loadavg() };
      log(`  torch ${t.torch} (${t.threads} threads): ${metrics[`vae_train_img_per_sec_${key}`].toFixed(1)} img/s (load avg ${loadBefore[0].toFixed(2)} → ${os.loadavg()[0].toFixed(2)})`);
    }
  }
  return { backend: [...new Set(measured)].join(',') || 'none', metrics, details };
};

// Run as a child: `node --import tsx scripts/bench/backends.ts --measure '<spec json>'`.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === '--measure') {
  const spec = JSON.parse(process.argv[3]) as MeasureSpec;
  const { UserError } = await import('../../envs/core/errors.ts');
  try {
    const result = await measureInThisProcess(spec);
    process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    process.stdout.write(`${USER_ERROR_PREFIX}${err.message}\n`);
    process.exitCode = 2;
  }
}
