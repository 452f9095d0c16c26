/**
 * The bridge between tfjs variables and checkpoint arrays: read named variables into plain arrays
 * (bit-exact copies) and assign them back, refusing missing names or wrong shapes with a message.
 */
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../../envs/core/errors.ts';
import type { NamedArray } from './format.ts';

export function variablesToArrays(params: ReadonlyArray<[string, tf.Variable]>, prefix = ''): Record<string, NamedArray> {
  const out: Record<string, NamedArray> = {};
  for (const [name, v] of params) {
    out[prefix + name] = { dtype: 'float32', shape: [...v.shape], data: (v.dataSync() as Float32Array).slice() };
  }
  return out;
}

/** Checks every param has an array of its shape first, then assigns them all (never half-loads). */
export function assignArrays(params: ReadonlyArray<[string, tf.Variable]>, arrays: Record<string, NamedArray>, prefix = '', source = 'checkpoint'): void {
  for (const [name, v] of params) {
    const a = arrays[prefix + name];
    if (a === undefined) throw new UserError(`refusing ${source}: it has no weights named '${prefix + name}'`, 'checkpoint');
    if (a.shape.join(',') !== v.shape.join(',')) {
      throw new UserError(`refusing ${source}: weights '${prefix + name}' have shape [${a.shape}], the model expects [${v.shape}]`, 'checkpoint');
    }
  }
  for (const [name, v] of params) {
    const a = arrays[prefix + name];
    // assign() shares the new tensor's data; tidy frees the temporary handle.
    tf.tidy(() => v.assign(tf.tensor(a.data, a.shape, 'float32')));
  }
}
