/**
 * Shared helpers for the compute tests: seeded random tensors, running one computation on a named
 * backend and reading it back, and an error measure against the `cpu` reference.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../../envs/core/rng.ts';

/** Seeded N(0, 1) values of a shape, as plain data (so every backend gets the same numbers). */
export function randomData(rng: Rng, shape: number[]): { data: Float32Array; shape: number[] } {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return { data, shape };
}

/** Runs `fn` with `backend` active and returns its outputs' values (tensors are disposed). */
export async function runOn(backend: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(() => {
    const r = fn();
    return Array.isArray(r) ? r : [r];
  });
  // Async reads: the webgpu backend cannot read synchronously under Node.
  const values = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(outs);
  return values.map((v) => Float32Array.from(v));
}

/** Largest absolute difference, relative to the reference's largest magnitude (≥ 1e-6). */
export function relError(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) return Number.POSITIVE_INFINITY;
  let maxDiff = 0;
  let maxRef = 1e-6;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= maxDiff)) maxDiff = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
  }
  return maxDiff / maxRef;
}

/** A 2D convolution case for comparing a backend's kernels against cpu (NHWC). */
export type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding;
export interface ConvCase {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: [number, number];
  pad: Pad;
}

/** The forward output shape of a case. */
export function outShape(c: ConvCase): [number, number, number, number] {
  return tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad, undefined, false, 'channelsLast').outShape;
}
