/**
 * The agent's networks, with CleanRL's layout and initialisation:
 * - `mlp` (latent and oracle front-ends): separate actor and critic MLPs on the feature vector,
 *   each in → hidden… (tanh) → head; the actor's head gives action logits, the critic's one value.
 * - `conv` (pixels front-end): a small conv torso shared by both heads (Nature-CNN style, ReLU,
 *   'valid' padding) → FC → actor head and critic head, trained end to end by RL.
 * Weights are orthogonal (gain √2 hidden, 0.01 policy head, 1.0 value head), biases zero, drawn
 * from our seeded Rng, so a seed gives the same network on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { Rng } from '../envs/core/rng.ts';
import { orthogonal } from './init.ts';
import '../vision/train/gradients.ts';

const ConvLayerSchema = z.object({ filters: z.number().int().min(1), kernel: z.number().int().min(1), stride: z.number().int().min(1) }).strict();

export const PolicyArchSchema = z.discriminatedUnion('torso', [
  z
    .object({
      torso: z.literal('mlp'),
      inputSize: z.number().int().min(1),
      hidden: z.array(z.number().int().min(1)).min(1),
      activation: z.enum(['tanh', 'relu']),
      numActions: z.number().int().min(2),
    })
    .strict(),
  z
    .object({
      torso: z.literal('conv'),
      /** [height, width, channels] of one frame. */
      inputShape: z.tuple([z.number().int().min(1), z.number().int().min(1), z.number().int().min(1)]),
      conv: z.array(ConvLayerSchema).min(1),
      hidden: z.number().int().min(1),
      numActions: z.number().int().min(2),
    })
    .strict(),
]);
export type PolicyArch = z.infer<typeof PolicyArchSchema>;

const SQRT2 = Math.SQRT2;

/** Output side of a 'valid' convolution. */
function validOut(size: number, kernel: number, stride: number): number {
  return Math.floor((size - kernel) / stride) + 1;
}

/** The elements of one network input (the feature vector's length, or H·W·C). */
export function inputElements(arch: PolicyArch): number {
  return arch.torso === 'mlp' ? arch.inputSize : arch.inputShape[0] * arch.inputShape[1] * arch.inputShape[2];
}

export class ActorCritic {
  readonly arch: PolicyArch;
  /** All trainable parameters in a fixed order (checkpoints and the optimizer rely on it). */
  readonly params: ReadonlyArray<[string, tf.Variable]>;
  private readonly p: Record<string, tf.Variable> = {};

  constructor(arch: PolicyArch, seed: number) {
    this.arch = PolicyArchSchema.parse(arch);
    const rng = new Rng(seed);
    const list: [string, tf.Variable][] = [];
    const dense = (name: string, fanIn: number, fanOut: number, gain: number) => {
      this.add(list, `${name}/w`, tf.tensor2d(orthogonal(fanIn, fanOut, gain, rng), [fanIn, fanOut]));
      this.add(list, `${name}/b`, tf.zeros([fanOut]));
    };
    const a = this.arch;
    if (a.torso === 'mlp') {
      for (const head of ['critic', 'actor'] as const) {
        let fanIn = a.inputSize;
        a.hidden.forEach((h, i) => {
          dense(`${head}/fc${i}`, fanIn, h, SQRT2);
          fanIn = h;
        });
        dense(`${head}/out`, fanIn, head === 'actor' ? a.numActions : 1, head === 'actor' ? 0.01 : 1.0);
      }
    } else {
      let [h, w, c] = a.inputShape;
      a.conv.forEach((layer, i) => {
        const fanIn = layer.kernel * layer.kernel * c;
        const wData = orthogonal(fanIn, layer.filters, SQRT2, rng);
        this.add(list, `torso/conv${i}/w`, tf.tensor4d(wData, [layer.kernel, layer.kernel, c, layer.filters]));
        this.add(list, `torso/conv${i}/b`, tf.zeros([layer.filters]));
        h = validOut(h, layer.kernel, layer.stride);
        w = validOut(w, layer.kernel, layer.stride);
        c = layer.filters;
        if (h < 1 || w < 1) throw new Error(`conv layer ${i} leaves no output for input ${a.inputShape.join('×')}`);
      });
      dense('torso/fc', h * w * c, a.hidden, SQRT2);
      dense('actor/out', a.hidden, a.numActions, 0.01);
      dense('critic/out', a.hidden, 1, 1.0);
    }
    this.params = list;
  }

  private add(list: [string, tf.Variable][], name: string, init: tf.Tensor): void {
    const v = tf.variable(init, true, `policy/${name}/${uniqueSuffix()}`);
    init.dispose();
    this.p[name] = v;
    list.push([name, v]);
  }

  /** Action logits [B, A] and values [B] for a batch of inputs ([B, inputSize] or [B, H, W, C], float). */
  forward(x: tf.Tensor): { logits: tf.Tensor2D; value: tf.Tensor1D } {
    return tf.tidy(() => {
      const a = this.arch;
      if (a.torso === 'mlp') {
        const act = a.activation === 'tanh' ? tf.tanh : tf.relu;
        const run = (head: string) => {
          let h = x as tf.Tensor2D;
          for (let i = 0; i < a.hidden.length; i++) h = act(this.dense(`${head}/fc${i}`, h));
          return this.dense(`${head}/out`, h);
        };
        return { logits: run('actor'), value: tf.reshape(run('critic'), [-1]) as tf.Tensor1D };
      }
      let h = x as tf.Tensor4D;
      a.conv.forEach((layer, i) => {
        h = tf.relu(tf.add(tf.conv2d(h, this.p[`torso/conv${i}/w`] as tf.Tensor4D, layer.stride, 'valid'), this.p[`torso/conv${i}/b`])) as tf.Tensor4D;
      });
      const flat = tf.reshape(h, [h.shape[0], -1]) as tf.Tensor2D;
      const hid = tf.relu(this.dense('torso/fc', flat));
      return { logits: this.dense('actor/out', hid), value: tf.reshape(this.dense('critic/out', hid), [-1]) as tf.Tensor1D };
    });
  }

  private dense(name: string, x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.p[`${name}/w`] as tf.Tensor2D), this.p[`${name}/b`]);
  }

  dispose(): void {
    for (const [, v] of this.params) v.dispose();
  }
}

// tfjs refuses two live variables with one name; several policies may coexist (transfer, tests).
let counter = 0;
function uniqueSuffix(): string {
  counter += 1;
  return String(counter);
}
