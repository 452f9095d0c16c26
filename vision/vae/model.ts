/**
 * The β-VAE network (Higgins et al. 2017; Burgess et al. 2018 architecture), built from tfjs-core
 * ops so that every kernel it hits is one the compute module can make fast:
 *   encoder  64×64×C → conv 4×4/2 ×4 (32-32-64-64, ReLU) → FC 256 (ReLU) → μ, log σ²  (latents each)
 *   decoder  z → FC 256 → FC 4·4·64 (ReLU) → transposed conv 4×4/2 ×4 (64-32-32-C) → logits
 *            (`decoder: 'deconv'`, the default), or the spatial broadcast decoder
 *            (`decoder: 'broadcast'`, vision/vae/broadcast-decoder.ts)
 * Convolutions use 'same' padding. Weights are initialised from our seeded Rng (He-uniform for
 * ReLU layers, Glorot-uniform for the linear heads, zero biases), so a seed gives the same network
 * on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { Rng } from '../../envs/core/rng.ts';
import '../train/gradients.ts';
import { addBroadcastDecoderParams, broadcastDecode, coordinateChannels } from './broadcast-decoder.ts';

/** The decoders the model can build: the mirrored deconvolution stack, or the spatial broadcast decoder. */
export const DECODERS = ['deconv', 'broadcast'] as const;
export type DecoderKind = (typeof DECODERS)[number];

export const VaeArchSchema = z
  .object({
    latents: z.number().int().min(1).max(256),
    imageSize: z.literal(64),
    channels: z.number().int().min(1).max(4),
    convFilters: z.array(z.number().int().min(1)).length(4),
    hidden: z.number().int().min(1),
    likelihood: z.enum(['bernoulli', 'gaussian']),
    /** Absent means 'deconv' (what every run before round three used, so their records still match). */
    decoder: z.enum(DECODERS).optional(),
  })
  .strict();
export type VaeArch = z.infer<typeof VaeArchSchema>;

export const DEFAULT_ARCH: VaeArch = {
  latents: 10,
  imageSize: 64,
  channels: 3,
  convFilters: [32, 32, 64, 64],
  hidden: 256,
  likelihood: 'bernoulli',
};

const KERNEL = 4;
const STRIDE = 2;

/** Feature-map side after the encoder's four stride-2 convs. */
function bottleneckSide(arch: VaeArch): number {
  return arch.imageSize / 2 ** arch.convFilters.length;
}

function uniformInit(rng: Rng, shape: number[], limit: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (2 * rng.uniform() - 1) * limit;
  return tf.tensor(data, shape, 'float32');
}

export class BetaVae {
  readonly arch: VaeArch;
  /** All trainable parameters, in a fixed order (checkpoints and optimizers rely on it). */
  readonly params: ReadonlyArray<[string, tf.Variable]>;
  private readonly p: Record<string, tf.Variable> = {};
  /** The broadcast decoder's fixed coordinate channels (absent for the deconv decoder). */
  private readonly coords?: tf.Tensor4D;

  constructor(arch: VaeArch, seed: number) {
    this.arch = VaeArchSchema.parse(arch);
    const rng = new Rng(seed);
    const list: [string, tf.Variable][] = [];
    const add = (name: string, init: tf.Tensor) => {
      // Unnamed: tfjs variable names are process-global, and several models may live side by side.
      const v = tf.variable(init, true);
      init.dispose();
      this.p[name] = v;
      list.push([name, v]);
    };
    const heUniform = (shape: number[], fanIn: number) => uniformInit(rng, shape, Math.sqrt(6 / fanIn));
    const glorot = (shape: number[], fanIn: number, fanOut: number) => uniformInit(rng, shape, Math.sqrt(6 / (fanIn + fanOut)));

    const { channels, convFilters: f, hidden, latents } = this.arch;
    const side = bottleneckSide(this.arch);
    const flat = side * side * f[3];

    // Encoder convs: filter [kh, kw, in, out].
    let inC = channels;
    f.forEach((outC, i) => {
      add(`enc/conv${i}/w`, heUniform([KERNEL, KERNEL, inC, outC], KERNEL * KERNEL * inC));
      add(`enc/conv${i}/b`, tf.zeros([outC]));
      inC = outC;
    });
    add('enc/fc/w', heUniform([flat, hidden], flat));
    add('enc/fc/b', tf.zeros([hidden]));
    add('enc/head/w', glorot([hidden, 2 * latents], hidden, 2 * latents));
    add('enc/head/b', tf.zeros([2 * latents]));

    if (this.arch.decoder === 'broadcast') {
      addBroadcastDecoderParams(add, { heUniform, glorot }, latents, channels);
      this.coords = coordinateChannels();
      this.params = list;
      return;
    }
    // Decoder.
    add('dec/fc0/w', heUniform([latents, hidden], latents));
    add('dec/fc0/b', tf.zeros([hidden]));
    add('dec/fc1/w', heUniform([hidden, flat], hidden));
    add('dec/fc1/b', tf.zeros([flat]));
    // Transposed-conv filters are [kh, kw, out, in] in tfjs.
    const decOut = [f[2], f[1], f[0], channels];
    let decIn = f[3];
    decOut.forEach((outC, i) => {
      const fanIn = KERNEL * KERNEL * decIn;
      const last = i === decOut.length - 1;
      add(`dec/deconv${i}/w`, last ? glorot([KERNEL, KERNEL, outC, decIn], fanIn, KERNEL * KERNEL * outC) : heUniform([KERNEL, KERNEL, outC, decIn], fanIn));
      add(`dec/deconv${i}/b`, tf.zeros([outC]));
      decIn = outC;
    });
    this.params = list;
  }

  /** μ and log σ² for a batch of images [N, 64, 64, C] with values in [0, 1]. */
  encode(x: tf.Tensor4D): { mu: tf.Tensor2D; logvar: tf.Tensor2D } {
    return tf.tidy(() => {
      let h: tf.Tensor4D = x;
      for (let i = 0; i < this.arch.convFilters.length; i++) {
        h = tf.relu(tf.add(tf.conv2d(h, this.p[`enc/conv${i}/w`] as tf.Tensor4D, STRIDE, 'same'), this.p[`enc/conv${i}/b`])) as tf.Tensor4D;
      }
      const flat = tf.reshape(h, [h.shape[0], -1]) as tf.Tensor2D;
      const hid = tf.relu(tf.add(tf.matMul(flat, this.p['enc/fc/w'] as tf.Tensor2D), this.p['enc/fc/b'])) as tf.Tensor2D;
      const out = tf.add(tf.matMul(hid, this.p['enc/head/w'] as tf.Tensor2D), this.p['enc/head/b']) as tf.Tensor2D;
      const L = this.arch.latents;
      const mu = tf.slice(out, [0, 0], [-1, L]);
      const logvar = tf.slice(out, [0, L], [-1, L]);
      return { mu, logvar };
    });
  }

  /** Decoder output before the likelihood's link: logits [N, 64, 64, C] (sigmoid gives the image). */
  decode(zs: tf.Tensor2D): tf.Tensor4D {
    if (this.coords !== undefined) return broadcastDecode(this.p, this.coords, zs, this.arch.channels);
    return tf.tidy(() => {
      const n = zs.shape[0];
      const f = this.arch.convFilters;
      const side = bottleneckSide(this.arch);
      let h = tf.relu(tf.add(tf.matMul(zs, this.p['dec/fc0/w'] as tf.Tensor2D), this.p['dec/fc0/b'])) as tf.Tensor2D;
      h = tf.relu(tf.add(tf.matMul(h, this.p['dec/fc1/w'] as tf.Tensor2D), this.p['dec/fc1/b'])) as tf.Tensor2D;
      let x = tf.reshape(h, [n, side, side, f[3]]) as tf.Tensor4D;
      const outs = [f[2], f[1], f[0], this.arch.channels];
      let s = side;
      outs.forEach((outC, i) => {
        s *= STRIDE;
        x = tf.add(tf.conv2dTranspose(x, this.p[`dec/deconv${i}/w`] as tf.Tensor4D, [n, s, s, outC], STRIDE, 'same'), this.p[`dec/deconv${i}/b`]) as tf.Tensor4D;
        if (i < outs.length - 1) x = tf.relu(x);
      });
      return x;
    });
  }

  /** Images [N, 64, 64, C] in [0, 1] from latents: the decoder's mean. */
  reconstruct(zs: tf.Tensor2D): tf.Tensor4D {
    return tf.tidy(() => tf.sigmoid(this.decode(zs)));
  }

  dispose(): void {
    for (const [, v] of this.params) v.dispose();
    this.coords?.dispose();
  }
}
