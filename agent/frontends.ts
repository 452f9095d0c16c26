/**
 * Observation front-ends: what turns a vector env's batch of observations into the policy's input.
 * - `darla`, `entangled`: a frozen β-VAE encoder; the policy acts on μ. All envs' frames are
 *   encoded as one batch inside tf.tidy, once per step; the rollout stores μ, so the update epochs
 *   never re-encode (the encoder is frozen). `entangled` is the same code with a β = 1 VAE.
 * - `pixels`: the frames themselves (stored as uint8, scaled to [0, 1] when they become a tensor),
 *   for a conv policy trained end to end by RL.
 * - `oracle`: the world's ground-truth factors from info.factors, as the shape world's fixed-length
 *   feature vector (an upper bound on what any encoder can give).
 * - `state`: the env's own float observation vector (CartPole, the test envs).
 * A front-end describes itself (`record`) so a policy checkpoint can say which encoder and which
 * observation size it was trained with, and transfer can refuse a mismatched pairing.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Info } from '../envs/core/env.ts';
import { UserError } from '../envs/core/errors.ts';
import type { Box } from '../envs/core/spaces/box.ts';
import type { Dtype } from '../envs/core/space.ts';
import type { ObsArray } from '../envs/core/vector-env.ts';
import { stableStringify } from '../envs/util/run-dir.ts';
import { oracleFeatures, ORACLE_FEATURE_SIZE, type FactorValues } from '../envs/shapeworld/factors.ts';
import type { VaeArch } from '../vision/vae/model.ts';
import type { LoadedVae } from '../vision/vae/load.ts';
import type { FrontendKind } from './config.ts';

/** Which encoder a latent front-end used: enough to refuse a policy paired with another one. */
export interface EncoderRecord {
  arch: VaeArch;
  /** SHA-256 prefix of the VAE's weights (vision/vae/load.ts). */
  fingerprint: string;
  path: string;
  objective: unknown;
  /** Variants whose frames the VAE saw in pretraining. */
  seenVariants: string[];
  /** Their definitions, by name, when the VAE recorded them. */
  seenDefinitions?: Record<string, unknown>;
}

export interface FrontendRecord {
  kind: FrontendKind;
  /** Shape of one env observation the front-end accepts (e.g. [64, 64, 3], or [4] for CartPole). */
  obsShape: number[];
  /** Shape of one policy input (e.g. [10] for μ, [64, 64, 3] for pixels). */
  inputShape: number[];
  encoder?: EncoderRecord;
}

export type FeatureArray = Float32Array | Uint8Array;

export interface Frontend {
  readonly record: FrontendRecord;
  /** Elements per policy input row. */
  readonly inputSize: number;
  /** How rows are stored in a rollout: μ/features as float32, frames as uint8. */
  readonly storage: 'float32' | 'uint8';
  /** Writes `numEnvs` input rows for a vector env's observations (and infos) into `out`. */
  observe(observations: ObsArray, infos: readonly Info[], numEnvs: number, out: FeatureArray): void;
  /** `rows` stored input rows as the policy network's float input tensor. */
  toTensor(rows: FeatureArray, count: number): tf.Tensor;
  /** Allocates storage for `rows` input rows. */
  allocate(rows: number): FeatureArray;
  dispose(): void;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

class VectorFrontend implements Frontend {
  readonly storage = 'float32' as const;
  constructor(
    readonly record: FrontendRecord,
    readonly inputSize: number,
    private readonly fill: (observations: ObsArray, infos: readonly Info[], numEnvs: number, out: Float32Array) => void,
    private readonly release: () => void = () => {},
  ) {}
  observe(observations: ObsArray, infos: readonly Info[], numEnvs: number, out: FeatureArray): void {
    this.fill(observations, infos, numEnvs, out as Float32Array);
  }
  toTensor(rows: FeatureArray, count: number): tf.Tensor {
    return tf.tensor2d(rows.subarray(0, count * this.inputSize) as Float32Array, [count, this.inputSize]);
  }
  allocate(rows: number): FeatureArray {
    return new Float32Array(rows * this.inputSize);
  }
  dispose(): void {
    this.release();
  }
}

class PixelFrontend implements Frontend {
  readonly storage = 'uint8' as const;
  readonly inputSize: number;
  constructor(readonly record: FrontendRecord) {
    this.inputSize = record.inputShape.reduce((a, b) => a * b, 1);
  }
  observe(observations: ObsArray, _infos: readonly Info[], numEnvs: number, out: FeatureArray): void {
    out.set(observations.subarray(0, numEnvs * this.inputSize));
  }
  toTensor(rows: FeatureArray, count: number): tf.Tensor {
    const n = count * this.inputSize;
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = rows[i] / 255;
    const [h, w, c] = this.record.inputShape;
    return tf.tensor4d(x, [count, h, w, c]);
  }
  allocate(rows: number): FeatureArray {
    return new Uint8Array(rows * this.inputSize);
  }
  dispose(): void {}
}

export interface FrontendOptions {
  /** The env's single observation space. */
  obsSpace: Box<Dtype>;
  /** The loaded encoder (darla/entangled). The front-end does not own it unless `ownsVae`. */
  vae?: LoadedVae;
  ownsVae?: boolean;
}

export function createFrontend(kind: FrontendKind, opts: FrontendOptions): Frontend {
  const obsShape = [...opts.obsSpace.shape];
  if (kind === 'state') {
    if (opts.obsSpace.dtype !== 'float32' || obsShape.length !== 1) {
      throw new UserError(`the state front-end needs a flat float32 observation, this env observes ${String(opts.obsSpace)}`, 'frontend');
    }
    const size = obsShape[0];
    return new VectorFrontend({ kind, obsShape, inputShape: [size] }, size, (obs, _infos, n, out) => out.set(obs.subarray(0, n * size)));
  }
  if (kind === 'oracle') {
    return new VectorFrontend({ kind, obsShape, inputShape: [ORACLE_FEATURE_SIZE] }, ORACLE_FEATURE_SIZE, (_obs, infos, n, out) => {
      for (let i = 0; i < n; i++) {
        const factors = infos[i]?.factors;
        const positionValues = infos[i]?.positionValues;
        if (factors === undefined || typeof positionValues !== 'number') {
          throw new UserError('the oracle front-end needs info.factors and info.positionValues from the env (the shape world provides them)', 'frontend');
        }
        oracleFeatures(factors as FactorValues, positionValues, out, i * ORACLE_FEATURE_SIZE, 0, infos[i]?.view === 'ego' ? 'ego' : 'top');
      }
    });
  }
  if (opts.obsSpace.dtype !== 'uint8' || obsShape.length !== 3) {
    throw new UserError(`the ${kind} front-end needs uint8 H×W×C frames, this env observes ${String(opts.obsSpace)}`, 'frontend');
  }
  if (kind === 'pixels') return new PixelFrontend({ kind, obsShape, inputShape: obsShape });

  // darla / entangled: a frozen encoder; the policy sees μ.
  const vae = opts.vae;
  if (vae === undefined) throw new UserError(`the ${kind} front-end needs a pretrained VAE (--vae)`, '--vae');
  const arch = vae.model.arch;
  const frameShape = [arch.imageSize, arch.imageSize, arch.channels];
  if (!sameShape(frameShape, obsShape)) {
    throw new UserError(`the VAE at ${vae.info.path} encodes ${frameShape.join('×')} frames but the env observes ${obsShape.join('×')}`, '--vae');
  }
  const frameSize = frameShape[0] * frameShape[1] * frameShape[2];
  const L = arch.latents;
  const record: FrontendRecord = {
    kind,
    obsShape,
    inputShape: [L],
    encoder: { arch, fingerprint: vae.info.fingerprint, path: vae.info.path, objective: vae.info.objective, seenVariants: [...vae.info.seenVariants], ...(vae.info.seenDefinitions !== undefined ? { seenDefinitions: vae.info.seenDefinitions } : {}) },
  };
  const encode = (obs: ObsArray, _infos: readonly Info[], n: number, out: Float32Array) => {
    const mu = tf.tidy(() => {
      const pixels = new Float32Array(n * frameSize);
      for (let i = 0; i < pixels.length; i++) pixels[i] = obs[i] / 255;
      const x = tf.tensor4d(pixels, [n, frameShape[0], frameShape[1], frameShape[2]]);
      return vae.model.encode(x).mu.dataSync() as Float32Array;
    });
    out.set(mu.subarray(0, n * L));
  };
  return new VectorFrontend(record, L, encode, () => {
    if (opts.ownsVae) vae.model.dispose();
  });
}

/**
 * Why a policy trained with front-end `trained` cannot run behind front-end `now`, or null when it
 * can: same kind, same observation and input shapes, and (latent front-ends) the same encoder.
 */
export function frontendMismatch(trained: FrontendRecord, now: FrontendRecord): string | null {
  if (trained.kind !== now.kind) return `the policy was trained on the '${trained.kind}' front-end, not '${now.kind}'`;
  if (!sameShape(trained.obsShape, now.obsShape)) return `the policy was trained on ${trained.obsShape.join('×')} observations, this env gives ${now.obsShape.join('×')}`;
  if (!sameShape(trained.inputShape, now.inputShape)) return `the policy expects inputs of shape [${trained.inputShape}], the front-end gives [${now.inputShape}]`;
  if (trained.encoder !== undefined || now.encoder !== undefined) {
    const a = trained.encoder;
    const b = now.encoder;
    if (a === undefined || b === undefined) return 'one side has an encoder and the other does not';
    if (stableStringify(a.arch) !== stableStringify(b.arch)) return `the policy was trained with an encoder of architecture ${stableStringify(a.arch)}, this one is ${stableStringify(b.arch)}`;
    if (a.fingerprint !== b.fingerprint) return `the policy was trained with encoder ${a.fingerprint} (${a.path}), this encoder is ${b.fingerprint} (${b.path})`;
  }
  return null;
}
