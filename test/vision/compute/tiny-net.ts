/**
 * A tiny network that touches every training kernel the compute module supplies: a strided conv
 * (Conv2D, Conv2DBackpropFilter, Conv2DBackpropInput), a bias broadcast (Sum over leading axes), a
 * dense layer (BatchMatMul with transposes), and a strided transposed conv. Used to compare
 * gradients across backends.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Parameter names and shapes, in order. Input is [N, 8, 8, 3]. */
export const TINY_NET_PARAMS: ReadonlyArray<[string, number[]]> = [
  ['conv/w', [3, 3, 3, 4]],
  ['conv/b', [4]],
  ['fc/w', [64, 16]],
  ['fc/b', [16]],
  ['fc2/w', [16, 64]],
  ['deconv/w', [4, 4, 3, 4]],
];

/** Loss and gradients (plain arrays, in TINY_NET_PARAMS order) on the active backend. */
export async function tinyNetGrads(
  params: ReadonlyArray<{ data: Float32Array; shape: number[] }>,
  input: { data: Float32Array; shape: number[] },
): Promise<{ loss: number; grads: Float32Array[] }> {
  const vars = params.map((p, i) => {
    const init = tf.tensor(p.data, p.shape);
    const v = tf.variable(init, true, `tiny${i}_${Math.random()}`);
    init.dispose();
    return v;
  });
  const x = tf.tensor4d(input.data, input.shape as [number, number, number, number]);
  const n = input.shape[0];
  const { value, grads } = tf.variableGrads(() => {
    const [cw, cb, fw, fb, f2, dw] = vars;
    const h = tf.relu(tf.add(tf.conv2d(x, cw as tf.Tensor4D, 2, 'same'), cb)) as tf.Tensor4D; // [n,4,4,4]
    const flat = tf.reshape(h, [n, 64]) as tf.Tensor2D;
    const z = tf.tanh(tf.add(tf.matMul(flat, fw as tf.Tensor2D), fb)) as tf.Tensor2D; // [n,16]
    const up = tf.reshape(tf.matMul(z, f2 as tf.Tensor2D), [n, 4, 4, 4]) as tf.Tensor4D;
    const y = tf.conv2dTranspose(up, dw as tf.Tensor4D, [n, 8, 8, 3], 2, 'same');
    return tf.mean(tf.square(tf.sub(y, x))) as tf.Scalar;
  }, vars);
  // Async reads: the webgpu backend cannot read synchronously under Node.
  const loss = (await value.data())[0];
  const out = await Promise.all(vars.map(async (v) => Float32Array.from(await grads[v.name].data())));
  tf.dispose([value, x, ...Object.values(grads), ...vars]);
  return { loss, grads: out };
}
